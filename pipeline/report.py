"""A self-contained HTML page per run: verdict, metrics by slice, data statistics.

No scripts and no network: it opens from disk, in any browser, years later.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from tensorflow_metadata.proto.v0 import statistics_pb2

STYLE = """
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
tr.worst td{background:#fde2e2}
"""


def table(header: list[str], rows: list[list], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def feature_rows(stats_file: str) -> list[list]:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    with open(stats_file, "rb") as handle:
        stats.ParseFromString(handle.read())
    rows = []
    for dataset in stats.datasets:
        for feature in sorted(dataset.features, key=lambda f: f.path.step[-1]):
            name = feature.path.step[-1]
            if feature.HasField("num_stats"):
                s = feature.num_stats
                common = s.common_stats
                detail = f"mean {s.mean:.3f}, std {s.std_dev:.3f}, min {s.min:g}, max {s.max:g}"
            else:
                s = feature.string_stats
                common = s.common_stats
                top = ", ".join(v.value for v in s.top_values[:3])
                detail = f"{s.unique} distinct; top: {top}"
            total = common.num_non_missing + common.num_missing
            missing = f"{100 * common.num_missing / total:.1f}%" if total else "-"
            rows.append([name, common.num_non_missing, missing, detail])
    return rows


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def write_anomaly_report(path: Path, run_id: str, rows: list, measurements: list[dict]) -> Path:
    """Why a run was blocked: each anomaly, and every drift comparison made."""
    body = "<h2>Anomalies</h2><p>Nothing was trained or pushed.</p>" + table(
        ["check", "split", "feature", "finding"], [list(r) for r in rows]
    )
    if measurements:
        over = ["worst" if m["value"] > m["threshold"] else "" for m in measurements]
        body += "<h2>Drift from the previous span</h2><p>Comparisons over their threshold are shaded.</p>"
        body += table(
            ["split", "feature", "measure", "value", "threshold"],
            [[m["split"], m["feature"], m["measure"], _fmt(m["value"]), _fmt(m["threshold"])] for m in measurements],
            over,
        )
    path = path.with_name(path.name.replace("run-", "anomalies-", 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(f"Tollgate run {run_id}: data blocked", body))
    return path


def _slice_order(metrics) -> tuple:
    """Overall first, then by feature, with numeric values in numeric order."""
    feature, _, value = metrics.slice.partition("=")
    number = int(value) if value.lstrip("-").isdigit() else None
    return (metrics.slice != "overall", feature, number is None, number or 0, value)


def write_run_report(path: Path, summary: dict, slices: list, stats_uri: str | None) -> Path:
    """`summary` is RunSummary.to_json(); `slices` are components.metrics.SliceMetrics."""
    worst = (summary["metrics"]["worst_slice"] or {}).get("slice")
    slice_rows = sorted(slices, key=_slice_order)
    metrics = table(
        ["slice", "examples", "AUC", "accuracy"],
        [
            [s.slice, int(s.metrics.get("example_count", 0)),
             _fmt(s.metrics.get("auc", "-")), _fmt(s.metrics.get("binary_accuracy", "-"))]
            for s in slice_rows
        ],
        ["worst" if s.slice == worst else "" for s in slice_rows],
    )
    statistics = ""
    train_stats = os.path.join(stats_uri, "Split-train", "FeatureStats.pb") if stats_uri else ""
    if train_stats and os.path.exists(train_stats):
        statistics = "<h2>Training data</h2>" + table(
            ["feature", "present", "missing", "summary"], feature_rows(train_stats)
        )
    signoff = summary.get("signoff") or {}
    facts = [
        ["run", summary["run_id"]], ["status", summary["status"]],
        ["model", summary["model_id"]], ["blessed by the Evaluator", summary["blessed"]],
        ["sign-off", signoff.get("status", "-")], ["approver", signoff.get("approver") or "-"],
        ["pushed", summary["pushed"] or "-"],
    ]
    page = _page(
        f"Tollgate run {summary['run_id']}",
        f"{table(['', ''], facts)}<h2>Evaluation by slice</h2>"
        f"<p>The worst slice with enough examples is shaded.</p>{metrics}{statistics}",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
