"""The data gate's page: each anomaly, every drift comparison made, and the statistics.

A local run writes it when the gate stops the run; on Kubeflow the
ExampleValidator task writes it on every run, for the KFP UI.
"""

from __future__ import annotations

import json
from pathlib import Path

from components.anomaly_gate.anomalies import anomaly_rows
from pipeline.lineage.runs import RunRecord, step_outputs
from pipeline.reports.page import fmt, statistics_section, table, write_page

# Which step's ExampleAnomalies each kind of finding comes from.
SOURCES = (("schema", "ExampleValidator"), ("drift", "DriftCheck"))


def findings(store, record: RunRecord) -> tuple[list[tuple], list[dict]]:
    """(rows, measurements) of the run: (check, split, feature, finding) for each
    anomaly, and every drift comparison with its threshold."""
    found = {source: step_outputs(store, record, step).get("ExampleAnomalies") for source, step in SOURCES}
    rows = [(source, *row) for source, artifact in found.items() if artifact for row in anomaly_rows(artifact.uri)]
    drift = found["drift"]
    measured = drift.custom_properties.get("measurements") if drift else None
    return rows, json.loads(measured.string_value) if measured else []


def _drift_table(measurements: list[dict]) -> str:
    over = ["worst" if m["value"] > m["threshold"] else "" for m in measurements]
    return "<h2>Drift from the previous span</h2><p>Comparisons over their threshold are shaded.</p>" + table(
        ["split", "feature", "measure", "value", "threshold"],
        [[m["split"], m["feature"], m["measure"], fmt(m["value"]), fmt(m["threshold"])] for m in measurements],
        over,
    )


def write_data_gate_report(path: Path, run_id: str, rows: list, measurements: list[dict],
                           stats_uri: str | None = None) -> Path:
    verdict = "data blocked" if rows else "data passed"
    body = (
        "<h2>Anomalies</h2><p>Nothing was trained or pushed.</p>"
        + table(["check", "split", "feature", "finding"], [list(r) for r in rows])
        if rows else "<h2>Anomalies</h2><p>None: the data passed the schema and drift checks.</p>"
    )
    if measurements:
        body += _drift_table(measurements)
    if stats_uri:
        body += statistics_section(stats_uri, "<h2>Statistics</h2>")
    return write_page(path, f"Tollgate run {run_id}: {verdict}", body)
