"""Why the data gate stopped a run: each anomaly, and every drift comparison made."""

from __future__ import annotations

from pathlib import Path

from pipeline.reports.page import fmt, table, write_page


def write_anomaly_report(path: Path, run_id: str, rows: list, measurements: list[dict]) -> Path:
    """`path` is the run's report path; the page is written beside it as anomalies-*.html."""
    body = "<h2>Anomalies</h2><p>Nothing was trained or pushed.</p>" + table(
        ["check", "split", "feature", "finding"], [list(r) for r in rows]
    )
    if measurements:
        over = ["worst" if m["value"] > m["threshold"] else "" for m in measurements]
        body += "<h2>Drift from the previous span</h2><p>Comparisons over their threshold are shaded.</p>"
        body += table(
            ["split", "feature", "measure", "value", "threshold"],
            [[m["split"], m["feature"], m["measure"], fmt(m["value"]), fmt(m["threshold"])] for m in measurements],
            over,
        )
    target = path.with_name(path.name.replace("run-", "anomalies-", 1))
    return write_page(target, f"Tollgate run {run_id}: data blocked", body)
