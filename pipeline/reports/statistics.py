"""The statistics of a run's data as a table: per feature, how much is missing
and how the values are spread, from StatisticsGen's output (TFDV's protos)."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import statistics_pb2

from components.statistics import read_statistics
from pipeline.reports import charts
from pipeline.reports.page import table

_STANDARD = statistics_pb2.Histogram.HistogramType.Value("STANDARD")


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


def buckets(feature: statistics_pb2.FeatureNameStatistics) -> list[tuple[float, float, float]]:
    """(low, high, count) of the numbers' histogram."""
    standard = [h for h in feature.num_stats.histograms if h.type == _STANDARD]
    return [(b.low_value, b.high_value, b.sample_count) for b in standard[0].buckets] if standard else []


def counts(feature: statistics_pb2.FeatureNameStatistics) -> list[float]:
    """The numbers' histogram counts, or the counts of the strings' most common values."""
    if feature.HasField("num_stats"):
        return [count for *_, count in buckets(feature)]
    return [v.frequency for v in feature.string_stats.top_values[:10]]


def by_name(stats: statistics_pb2.DatasetFeatureStatisticsList) -> dict:
    return {".".join(f.path.step): f for d in stats.datasets for f in d.features}


def feature_rows(stats: statistics_pb2.DatasetFeatureStatisticsList) -> list[list]:
    """[feature, type, with a value, missing share, distribution (SVG), summary] for each feature."""
    rows = []
    for dataset in stats.datasets:
        for feature in sorted(dataset.features, key=lambda f: f.path.step[-1]):
            if feature.HasField("num_stats"):
                s, kind = feature.num_stats, "number"
                detail = f"mean {s.mean:.3g}, std {s.std_dev:.3g}, min {s.min:g}, max {s.max:g}"
            else:
                s, kind = feature.string_stats, "text"
                detail = (f"{s.unique} distinct; most common: {', '.join(v.value for v in s.top_values[:3])}"
                          if s.unique else "no values")
            common = s.common_stats
            heights = counts(feature)
            picture = f"<div class='spark'>{charts.sparkline(heights)}</div>" if any(heights) else ""
            rows.append([feature.path.step[-1], kind, common.num_non_missing - empty_lists(common),
                         missing_share(common), picture, detail])
    return rows


def statistics_table(stats_uri: str | None, split: str = "train") -> str:
    """One split's statistics as a table, or a line saying there are none."""
    found = read_statistics(stats_uri).get(split) if stats_uri else None
    if found is None:
        return "<p class='muted'>No statistics were recorded.</p>"
    header = ["feature", "type", "with a value", "missing", "distribution", "summary"]
    return table(header, feature_rows(found), numeric=(2, 3), raw=(4,))
