"""A self-contained page per run: verdict, sign-off, metrics by slice, data statistics."""

from __future__ import annotations

from pathlib import Path

from pipeline.reports.page import fmt, statistics_section, table, write_page


def slice_order(metrics) -> tuple:
    """Overall first, then by feature, with numeric values in numeric order."""
    feature, _, value = metrics.slice.partition("=")
    number = int(value) if value.lstrip("-").isdigit() else None
    return (metrics.slice != "overall", feature, number is None, number or 0, value)


def write_run_report(path: Path, summary: dict, slices: list, stats_uri: str | None) -> Path:
    """`summary` is RunSummary.to_json(); `slices` are components.metrics.SliceMetrics."""
    worst = (summary["metrics"]["worst_slice"] or {}).get("slice")
    slice_rows = sorted(slices, key=slice_order)
    metrics = table(
        ["slice", "examples", "AUC", "accuracy"],
        [
            [s.slice, int(s.metrics.get("example_count", 0)),
             fmt(s.metrics.get("auc", "-")), fmt(s.metrics.get("binary_accuracy", "-"))]
            for s in slice_rows
        ],
        ["worst" if s.slice == worst else "" for s in slice_rows],
    )
    signoff = summary.get("signoff") or {}
    facts = [
        ["run", summary["run_id"]], ["status", summary["status"]],
        ["model", summary["model_id"]], ["blessed by the Evaluator", summary["blessed"]],
        ["sign-off", signoff.get("status", "-")], ["approver", signoff.get("approver") or "-"],
        ["pushed", summary["pushed"] or "-"],
    ]
    body = (
        f"{table(['', ''], facts)}<h2>Evaluation by slice</h2>"
        f"<p>The worst slice with enough examples is shaded.</p>{metrics}"
        + (statistics_section(stats_uri, "<h2>Training data</h2>") if stats_uri else "")
    )
    return write_page(path, f"Tollgate run {summary['run_id']}", body)
