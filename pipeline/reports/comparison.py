"""This model against the last one a person approved: the answer to "how much
better than the last release?", overall and on every slice, worst first.

Slices too small to judge, and slices whose labels are all one class (where
AUC is undefined), are shown but kept out of the ranking.
"""

from __future__ import annotations

from components.metrics import MIN_SLICE_EXAMPLES, one_class, rankable
from pipeline.lineage.records import Threshold
from pipeline.lineage.text import threshold_text
from pipeline.reports import charts
from pipeline.reports.page import badge, esc, fmt, table

METRIC, ACCURACY = "auc", "binary_accuracy"
# TFMA's class names for the metrics the thresholds name.
_CLASS = {"AUC": "auc", "BinaryAccuracy": "binary_accuracy"}


def _note(metrics: dict) -> str:
    if one_class(metrics):
        return "one class only: AUC undefined"
    if metrics.get("example_count", 0) < MIN_SLICE_EXAMPLES:
        return f"small: under {MIN_SLICE_EXAMPLES} examples"
    return ""


def _change(now: dict, then: dict) -> float | None:
    if METRIC in now and METRIC in then and rankable(now) and rankable(then):
        return now[METRIC] - then[METRIC]
    return None


def _order(row: tuple) -> tuple:
    """Overall first; then judged slices, worst change first; then the rest."""
    name, now, _, change = row
    if name == "overall":
        return (0, 0.0, name)
    if change is not None:
        return (1, change, name)
    if rankable(now):
        return (2, now.get(METRIC, 1.0), name)
    return (3, 0.0, name)  # not judged: by name


def _gate(overall: dict, before: dict, thresholds: list[Threshold], baseline_id: int | None) -> str:
    """Each threshold of the overall slice, with the figure it was held to."""
    lines = []
    for limit in thresholds:
        value = overall.get(_CLASS.get(limit.metric, limit.metric.lower()))
        if value is None:
            continue
        checks = []
        if limit.lower_bound is not None:
            checks.append((f"{limit.metric} {value:.4f} against at least {limit.lower_bound:g}", value >= limit.lower_bound))
        then = before.get(_CLASS.get(limit.metric, ""))
        if limit.change_absolute is not None and then is not None:
            change = value - then
            checks.append((f"change against model {baseline_id}: {change:+.4f}, at least {limit.change_absolute:g}",
                           change >= limit.change_absolute))
        lines += [f"<li>{badge('met' if ok else 'missed', 'ok' if ok else 'bad')} {esc(text)}</li>" for text, ok in checks]
    return f"<ul class='gate'>{''.join(lines)}</ul>" if lines else ""


def comparison_section(slices: list, baseline: list, thresholds: list[Threshold], baseline_id: int | None) -> str:
    """`slices` and `baseline` hold `.slice` and `.metrics` (SliceMetrics or SliceResult)."""
    before = {s.slice: s.metrics for s in baseline}
    rows = sorted(((s.slice, s.metrics, before.get(s.slice, {}), _change(s.metrics, before.get(s.slice, {})))
                   for s in slices), key=_order)
    overall = next((now for name, now, _, _ in rows if name == "overall"), {})
    if baseline_id is None or not before:
        intro = ("<p><b>No baseline:</b> this is the first model, as no model was approved before it; "
                 "only the value thresholds apply.</p>")
    else:
        change = _change(overall, before.get("overall", {}))
        how = "no change" if change is None else f"{change:+.4f} AUC overall"
        intro = f"<p>Against <b>model {baseline_id}</b>, the latest a person approved: <b>{esc(how)}</b>.</p>"
    cells = [[name, int(now.get("example_count", 0)), fmt(now.get(METRIC, "-")) if not one_class(now) else "-",
              fmt(then.get(METRIC, "-")) if then and not one_class(then) else "-",
              "-" if change is None else f"{change:+.4f}", fmt(now.get(ACCURACY, "-")), _note(now)]
             for name, now, then, change in rows]
    shade = ["worse" if change is not None and change < 0 else "muted" if not rankable(now) and name != "overall"
             else "" for name, now, _, change in rows]
    judged = [(name, now[METRIC], then.get(METRIC) if then and rankable(then) else None)
              for name, now, then, _ in rows if name == "overall" or rankable(now)][:16]
    floor = next((t.lower_bound for t in thresholds if t.metric == "AUC" and t.lower_bound is not None), None)
    header = ["slice", "examples", "AUC", "baseline AUC", "change", "accuracy", "note"]
    limits = "".join(f"<li>{esc(threshold_text(t))}</li>" for t in thresholds)
    return (
        intro + _gate(overall, before.get("overall", {}), thresholds, baseline_id)
        + charts.slice_bars(judged, "AUC", floor)
        + "<p class='muted'>Worst change first; rows shaded red did worse than the baseline. "
          f"Thresholds: </p><ul class='muted'>{limits or '<li>none</li>'}</ul>"
        + table(header, cells, shade, numeric=(1, 2, 3, 4, 5))
    )
