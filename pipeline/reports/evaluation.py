"""The Evaluator's page: every slice of the candidate beside the baseline, and the thresholds.

Written by the Evaluator's task on Kubeflow, for the KFP UI.
"""

from __future__ import annotations

import html
from pathlib import Path

from pipeline.lineage.records import Threshold
from pipeline.lineage.text import threshold_text
from pipeline.reports.page import fmt, table, write_page
from pipeline.reports.run import slice_order

def _change(candidate: dict, baseline: dict, key: str) -> str:
    if key not in candidate or key not in baseline:
        return "-"
    return f"{candidate[key] - baseline[key]:+.4f}"


def write_evaluation_report(path: Path, run_id: str, model_id: int | None, blessed: bool | None,
                            baseline_id: int | None, slices: list, baseline: list,
                            thresholds: list[Threshold]) -> Path:
    """`slices` and `baseline` are components.metrics.SliceMetrics of the two models."""
    before = {s.slice: s.metrics for s in baseline}
    rows = []
    for s in sorted(slices, key=slice_order):
        then = before.get(s.slice, {})
        rows.append([
            s.slice, int(s.metrics.get("example_count", 0)),
            fmt(s.metrics.get("auc", "-")), fmt(then.get("auc", "-")), _change(s.metrics, then, "auc"),
            fmt(s.metrics.get("binary_accuracy", "-")), fmt(then.get("binary_accuracy", "-")),
        ])
    verdict = {True: "blessed", False: "not blessed", None: "not evaluated"}[blessed]
    against = f"model {baseline_id}, the latest approved" if baseline_id else "none: this is the first model"
    limits = "".join(f"<li>{html.escape(threshold_text(t))}</li>" for t in thresholds) or "<li>none</li>"
    body = (
        f"<p>Model {model_id}: <b>{verdict}</b> by the Evaluator. Baseline: {html.escape(against)}.</p>"
        f"<h2>Thresholds</h2><ul>{limits}</ul><h2>By slice</h2>"
        + table(["slice", "examples", "AUC", "baseline AUC", "change", "accuracy", "baseline accuracy"], rows)
    )
    return write_page(path, f"Tollgate run {run_id}: evaluation", body)
