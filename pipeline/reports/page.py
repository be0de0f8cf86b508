"""What every Tollgate page shares: the page shell, tables and the data statistics.

Pages are self-contained HTML: no scripts and no network, so they open from
disk, in any browser, years later.
"""

from __future__ import annotations

import html
from pathlib import Path

from tensorflow_metadata.proto.v0 import statistics_pb2

from components.statistics import read_statistics

STYLE = """
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
tr.worst td{background:#fde2e2}
"""


def table(header: list[str], rows: list[list], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def empty_lists(common: statistics_pb2.CommonStatistics) -> int:
    """Examples whose value list for the feature is empty.

    CsvExampleGen writes an empty CSV cell as an empty value list, which TFDV
    counts as present, not missing. For a feature with at most one value per
    example, every present example without a value is such a list; for longer
    lists, the value-count quantiles give an estimate.
    """
    if common.max_num_values <= 1:
        return common.num_non_missing - common.tot_num_values
    buckets = common.num_values_histogram.buckets
    return round(sum(b.sample_count for b in buckets if b.high_value == 0))


def missing_share(common: statistics_pb2.CommonStatistics) -> str:
    """Absent or empty, as a share of all examples."""
    total = common.num_non_missing + common.num_missing
    if not total:
        return "-"
    return f"{100 * (common.num_missing + empty_lists(common)) / total:.1f}%"


def feature_rows(stats: statistics_pb2.DatasetFeatureStatisticsList) -> list[list]:
    """[feature, with a value, missing share, summary] for each feature."""
    rows = []
    for dataset in stats.datasets:
        for feature in sorted(dataset.features, key=lambda f: f.path.step[-1]):
            if feature.HasField("num_stats"):
                s = feature.num_stats
                detail = f"mean {s.mean:.3f}, std {s.std_dev:.3f}, min {s.min:g}, max {s.max:g}"
            else:
                s = feature.string_stats
                detail = f"{s.unique} distinct; top: {', '.join(v.value for v in s.top_values[:3])}"
            common = s.common_stats
            present = common.num_non_missing - empty_lists(common)
            rows.append([feature.path.step[-1], present, missing_share(common), detail])
    return rows


def statistics_section(stats_uri: str | None, heading: str = "") -> str:
    """The training split's statistics as a table, or a line saying there are none."""
    train = read_statistics(stats_uri).get("train") if stats_uri else None
    if train is None:
        return f"{heading}<p>no statistics recorded</p>"
    return heading + table(["feature", "with a value", "missing", "summary"], feature_rows(train))


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def write_page(path: Path, title: str, body: str) -> Path:
    """Writes the page beside its final name and renames it: no reader sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(page(title, body))
    scratch.replace(path)
    return path
