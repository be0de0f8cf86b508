"""The audit timeline: every release in order, and how the primary metric moved."""

from __future__ import annotations

from pathlib import Path

from components.metrics import metric_named
from pipeline.lineage.records import AuditEntry
from pipeline.reports import charts
from pipeline.reports.page import badge, page, section, table, write_page


def _value(entry: AuditEntry) -> float | None:
    return (entry.metrics or {}).get(metric_named(entry.metric).key)


def _approver(entry: AuditEntry) -> str:
    """The name with its proof: a name the store holds is not shown as fact on its own."""
    proof = entry.proof or "NOT VERIFIED: no decision"
    return f"{entry.approver or '-'} ({'verified' if proof.startswith('verified') else proof})"


def write_audit_report(path: Path, pipeline_name: str, entries: list[AuditEntry]) -> Path:
    if not entries:
        body = "<p>Nothing has been released yet.</p>"
    else:
        labels = [f"model {e.model_id}\n{e.released_at[:10]}" for e in entries]
        rows = [[e.released_at[:16].replace("T", " "), e.model_id, e.span if e.span else "-", e.data, _approver(e),
                 "-" if _value(e) is None else f"{_value(e):.4f}", e.serving_path] for e in entries]
        # The chart follows the newest release's metric; releases ranked by
        # another (a team that changed its metric) keep their own in the table.
        newest = entries[-1].metric
        label = metric_named(newest).label
        body = (charts.timeline(labels, [_value(e) if e.metric == newest else None for e in entries], label)
                + table(["released (UTC)", "model", "span", "data", "approved by", label, "serving path"], rows,
                        numeric=(1, 5), wrap=(3, 6)))
    lede = f"Every release of '{pipeline_name}', oldest first, read from the metadata store."
    count = badge(f"{len(entries)} release{'s' if len(entries) != 1 else ''}", "plain")
    return write_page(path, page("Audit", f"Releases of {pipeline_name}", lede,
                                 [section("Timeline", body, "timeline")], [count]))
