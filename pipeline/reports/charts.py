"""Charts for the pages, drawn by matplotlib as inline SVG.

matplotlib is maintained, draws every chart the pages need (bars,
histograms, lines), and writes static SVG: no script runs in the page, so it
shows the same in a browser, in the KFP UI's sandboxed frame and offline.
Text stays text (svg.fonttype none), so charts are small and searchable.
"""

from __future__ import annotations

import functools
import io
import re

CANDIDATE, BASELINE, LIMIT, SPARK = "#2f6fde", "#9aa5b1", "#b42318", "#4c78a8"
_STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
          "svg.hashsalt": "tollgate"}


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.rcParams.update(_STYLE)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(figure) -> str:
    """The figure as an <svg> element, without the XML prologue or size in points."""
    out = io.StringIO()
    # No RDF metadata block: it only names matplotlib and the date.
    figure.savefig(out, format="svg", transparent=True, metadata={"Creator": None, "Date": None, "Format": None,
                                                                   "Type": None})
    text = out.getvalue()
    return re.sub(r'\s(width|height)="[\d.]+pt"', "", text[text.index("<svg"):], count=2)


def _remembered(draw):
    """A chart is a pure function of its values, and drawing one takes tens of
    milliseconds: the review desk draws each once per process (lists become tuples)."""
    cached = functools.lru_cache(maxsize=2048)(draw)

    @functools.wraps(draw)
    def chart(*args):
        return cached(*(tuple(a) if isinstance(a, list) else a for a in args))

    return chart


@_remembered
def sparkline(heights: list[float]) -> str:
    """A tiny bar chart of a distribution, to sit in a table cell."""
    figure = _figure(1.9, 0.38)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.bar(range(len(heights)), heights, width=0.85, color=SPARK)
    axes.set_axis_off()
    return _svg(figure)


@_remembered
def slice_bars(rows: list[tuple[str, float, float | None]], metric: str, floor: float | None) -> str:
    """One bar per slice for the candidate, the baseline as a grey tick, the value threshold as a red line."""
    height = 0.28 * len(rows) + 0.85  # inches: a row per slice, room for the axis and legend
    figure = _figure(7.2, height)
    axes = figure.add_axes((0.3, 0.5 / height, 0.66, 1 - 0.8 / height))
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, [r[1] for r in rows], height=0.6, color=CANDIDATE, label="this model")
    marks = [(p, r[2]) for p, r in zip(positions, rows) if r[2] is not None]
    if marks:
        axes.scatter([m[1] for m in marks], [m[0] for m in marks], marker="|", s=260, linewidths=2.5,
                     color=BASELINE, label="baseline", zorder=3)
    if floor is not None:
        axes.axvline(floor, color=LIMIT, linestyle="--", linewidth=1.2, label=f"threshold {floor:g}")
    axes.set_yticks(positions, [r[0] for r in rows])
    # Scores between 0 and 1 on a fixed axis, so pages compare at a glance;
    # errors (RMSE) on their own scale.
    largest = max([r[1] for r in rows] + [m[1] for m in marks] + [floor or 0])
    axes.set_xlim(0, 1 if largest <= 1 else largest * 1.1)
    axes.set_xlabel(metric)
    axes.legend(loc="lower right", fontsize=8, frameon=False, ncols=3, bbox_to_anchor=(1, 1))
    return _svg(figure)


def timeline(labels: list[str], values: list[float | None], metric: str) -> str:
    """The metric of each release, in order; a label may hold a line break."""
    figure = _figure(7.2, 2.4)
    axes = figure.add_axes((0.11, 0.3, 0.86, 0.62))
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=CANDIDATE)
    step = -(-len(labels) // 8)  # at most eight labels, so they never overlap
    axes.set_xticks(range(0, len(labels), step), labels[::step])
    axes.set_xlim(-0.5, len(labels) - 0.5)
    axes.set_ylabel(metric)
    axes.grid(axis="y", color="#e4e7eb")
    return _svg(figure)


def paired_bars(labels: list[str], before: list[float], after: list[float], title: str) -> str:
    """Two spans' shares of the same values, as paired bars."""
    figure = _figure(3.6, 2.0)
    axes = figure.add_axes((0.14, 0.34, 0.84, 0.54))
    at = list(range(len(labels)))
    axes.bar([x - 0.2 for x in at], before, width=0.4, color=BASELINE, label="previous span")
    axes.bar([x + 0.2 for x in at], after, width=0.4, color=CANDIDATE, label="this span")
    axes.set_xticks(at, [label[:12] for label in labels], rotation=30, ha="right", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, frameon=False)
    return _svg(figure)


def two_histograms(before: tuple[list, list], after: tuple[list, list], title: str) -> str:
    """Two spans' histograms, each (bucket edges, shares), drawn over one axis."""
    figure = _figure(3.6, 2.0)
    axes = figure.add_axes((0.14, 0.22, 0.84, 0.66))
    for (edges, shares), colour, label in ((before, BASELINE, "previous span"), (after, CANDIDATE, "this span")):
        if shares:
            axes.stairs(shares, edges, color=colour, linewidth=1.6, label=label)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, frameon=False)
    return _svg(figure)
