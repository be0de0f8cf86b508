"""This model against the last one a person approved: the answer to "how much
better than the last release?", overall and on every slice, worst first.

Slices too small to judge, and slices whose labels are all one class (where
AUC is undefined), are shown but kept out of the ranking.
"""

from __future__ import annotations

from components.metrics import BY_CLASS, MIN_SLICE_EXAMPLES, Metric, rankable, undefined, worse_first
from pipeline.lineage.records import Threshold
from pipeline.lineage.text import threshold_text
from pipeline.reports import charts
from pipeline.reports.page import badge, esc, fmt, table


def _note(metrics: dict, metric: Metric) -> str:
    if undefined(metrics, metric):
        return f"one class only: {metric.label} undefined"
    if metrics.get("example_count", 0) < MIN_SLICE_EXAMPLES:
        return f"small: under {MIN_SLICE_EXAMPLES} examples"
    return ""


def _shown(metrics: dict, metric: Metric) -> str:
    return "-" if not metrics or undefined(metrics, metric) else fmt(metrics.get(metric.key, "-"))


def _change(now: dict, then: dict, metric: Metric) -> float | None:
    if rankable(now, metric) and rankable(then, metric):
        return now[metric.key] - then[metric.key]
    return None


def _order(row: tuple, metric: Metric) -> tuple:
    """Overall first; then judged slices, worst change first; then the rest."""
    name, now, _, change = row
    if name == "overall":
        return (0, 0.0, name)
    if change is not None:
        return (1, worse_first(change, metric), name)
    if rankable(now, metric):
        return (2, worse_first(now[metric.key], metric), name)
    return (3, 0.0, name)  # not judged: by name


def _checks(limit: Threshold, value: float, then: float | None, baseline_id: int | None) -> list[tuple[str, bool]]:
    checks = []
    if limit.lower_bound is not None:
        checks.append((f"{limit.metric} {value:.4f} against at least {limit.lower_bound:g}",
                       value >= limit.lower_bound))
    if limit.upper_bound is not None:
        checks.append((f"{limit.metric} {value:.4f} against at most {limit.upper_bound:g}", value <= limit.upper_bound))
    if limit.change_absolute is not None and then is not None:
        change, lower = value - then, limit.change_direction == "LOWER_IS_BETTER"
        checks.append((f"change against model {baseline_id}: {change:+.4f}, "
                       f"{'at most' if lower else 'at least'} {limit.change_absolute:+g}",
                       change <= limit.change_absolute if lower else change >= limit.change_absolute))
    return checks


def _gate(overall: dict, before: dict, thresholds: list[Threshold], baseline_id: int | None) -> str:
    """Each threshold of the overall slice, with the figure it was held to."""
    lines = []
    for limit in thresholds:
        key = BY_CLASS[limit.metric].key if limit.metric in BY_CLASS else limit.metric.lower()
        if overall.get(key) is None:
            continue
        checks = _checks(limit, overall[key], before.get(key), baseline_id)
        lines += [f"<li>{badge('met' if ok else 'missed', 'ok' if ok else 'bad')} {esc(text)}</li>"
                  for text, ok in checks]
    return f"<ul class='gate'>{''.join(lines)}</ul>" if lines else ""


def _rows(slices: list, before: dict, metric: Metric) -> list[tuple]:
    rows = ((s.slice, s.metrics, before.get(s.slice, {}), _change(s.metrics, before.get(s.slice, {}), metric))
            for s in slices)
    return sorted(rows, key=lambda row: _order(row, metric))


def _intro(overall: dict, before: dict, baseline_id: int | None, metric: Metric) -> str:
    if baseline_id is None or not before:
        return ("<p><b>No baseline:</b> this is the first model, as no model was approved before it; "
                "only the value thresholds apply.</p>")
    change = _change(overall, before.get("overall", {}), metric)
    how = "no change" if change is None else f"{change:+.4f} {metric.label} overall"
    return f"<p>Against <b>model {baseline_id}</b>, the latest a person approved: <b>{esc(how)}</b>.</p>"


def comparison_section(slices: list, baseline: list, thresholds: list[Threshold], baseline_id: int | None,
                       metric: Metric) -> str:
    """`slices` and `baseline` hold `.slice` and `.metrics` (SliceMetrics or
    SliceResult), compared by `metric`."""
    before = {s.slice: s.metrics for s in baseline}
    rows = _rows(slices, before, metric)
    overall = next((now for name, now, _, _ in rows if name == "overall"), {})
    cells = [[name, int(now.get("example_count", 0)), _shown(now, metric), _shown(then, metric),
              "-" if change is None else f"{change:+.4f}", _note(now, metric)]
             for name, now, then, change in rows]
    shade = ["worse" if change is not None and worse_first(change, metric) < 0
             else "muted" if not rankable(now, metric) and name != "overall" else "" for name, now, _, change in rows]
    judged = [(name, now[metric.key], then.get(metric.key) if rankable(then, metric) else None)
              for name, now, then, _ in rows if name == "overall" or rankable(now, metric)][:16]
    limits = [t for t in thresholds if t.metric == metric.class_name]
    floor = next((t.lower_bound if metric.higher_is_better else t.upper_bound for t in limits), None)
    header = ["slice", "examples", metric.label, f"baseline {metric.label}", "change", "note"]
    listed = "".join(f"<li>{esc(threshold_text(t))}</li>" for t in thresholds)
    return (
        _intro(overall, before, baseline_id, metric)
        + _gate(overall, before.get("overall", {}), thresholds, baseline_id)
        + charts.slice_bars(judged, metric.label, floor)
        + "<p class='muted'>Worst change first; rows shaded red did worse than the baseline. "
          f"Thresholds: </p><ul class='muted'>{listed or '<li>none</li>'}</ul>"
        + table(header, cells, shade, numeric=(1, 2, 3, 4))
    )
