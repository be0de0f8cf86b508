"""The serving check's figures as people read them: one line per target.

The figures are the `serving` part of a sign-off's evaluation summary,
written by components/serving_check; every command and page that shows
them (run, pending, show, lineage, the reports, the KFP UI) uses these.
"""

from __future__ import annotations

HEADER = ["target", "p50 ms", "p95 ms", "p99 ms", "p99 spread", "examples/s", "best batch",
          "max abs diff", "size", "load s"]


def _size(count: int) -> str:
    return f"{count / 1024:,.0f} KB" if count < 1 << 20 else f"{count / (1 << 20):,.1f} MB"


def target_row(name: str, figures: dict) -> list[str]:
    """The figures of one target, in HEADER's order. A failed one has none:
    its reason, often a long converter message, is in the problems beneath
    the table, where it wraps instead of widening every column."""
    if "error" in figures:
        return [name, "failed", *["-"] * (len(HEADER) - 2)]
    low, high = figures["p99_spread_ms"]
    return [
        name, f"{figures['p50_ms']:.3f}", f"{figures['p95_ms']:.3f}", f"{figures['p99_ms']:.3f}",
        f"{low:.3f}–{high:.3f}", f"{figures['throughput']:,.0f}", str(figures["best_batch"]),
        f"{figures['max_abs_diff']:.2g}", _size(figures["size_bytes"]), f"{figures['load_seconds']:.2f}",
    ]


def rows(serving: dict | None) -> list[list[str]]:
    return [target_row(n, f) for n, f in (serving or {}).get("targets", {}).items()]


def target_line(name: str, figures: dict) -> str:
    if "error" in figures:
        return f"{name}: {figures['error'].split(': ', 1)[-1]}"
    return (f"{name}: p99 {figures['p99_ms']:.2f} ms, {figures['throughput']:,.0f} examples/s "
            f"at batch {figures['best_batch']}, max diff {figures['max_abs_diff']:.2g}")


def lines(serving: dict | None) -> list[str]:
    """A line per target, then the verdict: passed, or each budget missed."""
    if not serving:
        return []
    found = [target_line(n, f) for n, f in serving["targets"].items()]
    verdict = ["within budget"] if serving["passed"] else [f"OVER BUDGET: {p}" for p in serving["problems"]]
    return found + verdict


def host_text(serving: dict | None) -> str:
    host = (serving or {}).get("host") or {}
    return f"{host.get('cpu', '?')}, {host.get('cores', '?')} cores, accelerator {host.get('accelerator', 'none')}"


def markdown(serving: dict | None) -> str:
    """For the KFP UI's Markdown viewer."""
    if not serving:
        return "## Serving check: not run\n\nThe Evaluator did not bless the model, so it was not converted.\n"
    title = "within budget" if serving["passed"] else "over budget"
    table = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    table += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows(serving)]
    problems = [f"- {p}" for p in serving["problems"]]
    return "\n".join([f"## Serving check: {title}", "", *table, "", *problems,
                      f"Measured on {host_text(serving)}; {serving['examples']} eval examples.", ""])
