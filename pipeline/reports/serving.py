"""The serving check on a page: one row per target, the budgets, and the host."""

from __future__ import annotations

from pipeline.lineage import serving as figures
from pipeline.reports.page import esc, facts, table


def serving_html(serving: dict | None) -> str:
    if not serving:
        return "<p>Not checked: only a model the Evaluator blessed is converted and timed.</p>"
    budgets = serving["budgets"]
    verdict = "within every budget" if serving["passed"] else "over budget, so it is not put to sign-off"
    missed = "".join(f"<li>{esc(p)}</li>" for p in serving["problems"])
    about = facts([
        ("verdict", verdict), ("host", figures.host_text(serving)), ("examples", serving["examples"]),
        ("budgets", f"p99 ≤ {budgets['max_p99_ms']} ms, ≥ {budgets['min_throughput']} examples/s, "
                    f"max abs diff ≤ {budgets['max_abs_diff']} (medians of {budgets['repeats']} repeats)"),
    ])
    rows = figures.rows(serving)
    return (table(figures.HEADER, rows, numeric=tuple(range(1, len(figures.HEADER))))
            + (f"<ul>{missed}</ul>" if missed else "") + about)
