"""The data gate's page: each anomaly, every drift measurement beside its
threshold, the two spans' distributions side by side, and the statistics.

A local run writes it when the gate stops the run; on Kubeflow the
ExampleValidator task writes it on every run, for the KFP UI.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from components.anomaly_gate.anomalies import anomaly_rows
from components.statistics import read_statistics
from pipeline.lineage.data import prop
from pipeline.lineage.runs import RunRecord, step_outputs
from pipeline.reports import charts
from pipeline.reports.page import badge, fmt, page, section, table, write_page
from pipeline.reports.statistics import buckets, by_name, statistics_table

# Which step's ExampleAnomalies each kind of finding comes from.
SOURCES = (("schema", "ExampleValidator"), ("drift", "DriftCheck"))


@dataclasses.dataclass(frozen=True)
class Findings:
    rows: list[tuple]  # (check, split, feature, finding) for each anomaly
    measurements: list[dict]  # every drift comparison: split, feature, measure, value, threshold
    statistics: str | None = None  # this run's statistics
    previous: str | None = None  # the previous span's, when drift was measured
    previous_span: int | None = None


def findings(store, record: RunRecord) -> Findings:
    found = {source: step_outputs(store, record, step).get("ExampleAnomalies") for source, step in SOURCES}
    rows = [(source, *row) for source, artifact in found.items() if artifact for row in anomaly_rows(artifact.uri)]
    drift = found["drift"]
    compared = prop(drift, "compared_with") if drift is not None else None
    previous = store.get_artifacts_by_id([compared]) if compared else []
    statistics = step_outputs(store, record, "StatisticsGen").get("ExampleStatistics")
    return Findings(
        rows=rows,
        measurements=json.loads(prop(drift, "measurements") or "[]") if drift is not None else [],
        statistics=statistics.uri if statistics else None,
        previous=previous[0].uri if previous else None,
        previous_span=prop(drift, "previous_span") if drift is not None else None,
    )


def _shares(counts: list[float]) -> list[float]:
    total = sum(counts) or 1.0
    return [c / total for c in counts]


def _histogram(feature) -> tuple[list[float], list[float]]:
    """(bucket edges, shares) of a numeric feature."""
    found = buckets(feature)
    edges = [low for low, _, _ in found] + [found[-1][1]] if found else [0.0]
    return edges, _shares([count for *_, count in found])


def _top_shares(feature, labels: list[str]) -> list[float]:
    counts = {v.value: v.frequency for v in feature.string_stats.top_values}
    return _shares([counts.get(label, 0) for label in labels])


def _distributions(found: Findings) -> str:
    """For each feature measured, the previous span's distribution beside this one's."""
    if not (found.previous and found.statistics):
        return ""
    before = by_name(read_statistics(found.previous).get("train"))
    after = by_name(read_statistics(found.statistics).get("train"))
    pictures = []
    for name in sorted({m["feature"] for m in found.measurements if m["split"] == "train"}):
        then, now = before.get(name), after.get(name)
        if then is None or now is None:
            continue
        if now.HasField("num_stats"):
            pictures.append(charts.two_histograms(_histogram(then), _histogram(now), name))
        else:
            labels = list(dict.fromkeys(v.value for f in (now, then) for v in f.string_stats.top_values[:8]))
            pictures.append(charts.paired_bars(labels, _top_shares(then, labels), _top_shares(now, labels), name))
    return f"<div class='charts'>{''.join(f'<div>{p}</div>' for p in pictures)}</div>"


def _drift_section(found: Findings) -> str:
    if not found.measurements:
        return "<p>No earlier span to compare with: drift was not measured.</p>"
    rows = [[m["split"], m["feature"], m["measure"].replace("_", " "), fmt(m["value"]), fmt(m["threshold"]),
             "over" if m["value"] > m["threshold"] else "within"] for m in found.measurements]
    over = ["worse" if m["value"] > m["threshold"] else "" for m in found.measurements]
    return (f"<p>Compared with span {found.previous_span}; rows shaded red are over their threshold.</p>"
            + table(["split", "feature", "measure", "value", "threshold", ""], rows, over, numeric=(3, 4))
            + _distributions(found))


def write_data_gate_report(path: Path, run_id: str, found: Findings) -> Path:
    blocked = bool(found.rows)
    anomalies = (table(["check", "split", "feature", "finding"], [list(r) for r in found.rows])
                 if blocked else "<p>None: the data passed the schema and drift checks.</p>")
    sections = [
        section("Anomalies", anomalies, "anomalies"),
        section("Drift from the previous span", _drift_section(found), "drift"),
        section("Statistics of this data", statistics_table(found.statistics), "statistics"),
    ]
    verdict = badge("data blocked", "bad") if blocked else badge("data passed", "ok")
    lede = ("The data gate stopped this run before Transform: nothing was trained or pushed."
            if blocked else "The data gate let this data through to training.")
    return write_page(path, page("Data gate", f"Run {run_id}: the data gate", lede, sections, [verdict]))
