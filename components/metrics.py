"""The metrics Tollgate knows, and how slices are ranked by them: the overall
and worst slices. Plain Python, so lineage queries use it without TensorFlow;
components/results.py reads them from the Evaluator's output."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Metric:
    name: str  # as a config names it
    class_name: str  # TFMA's (Keras') metric class
    key: str  # the name its results go under
    label: str  # for people
    higher_is_better: bool = True
    # Undefined where every label in a slice is one class (TFMA reports 0).
    needs_both_classes: bool = False


METRICS = {m.name: m for m in (
    Metric("auc", "AUC", "auc", "AUC", needs_both_classes=True),
    Metric("binary_accuracy", "BinaryAccuracy", "binary_accuracy", "accuracy"),
    Metric("accuracy", "SparseCategoricalAccuracy", "sparse_categorical_accuracy", "accuracy"),
    Metric("rmse", "RootMeanSquaredError", "root_mean_squared_error", "RMSE", higher_is_better=False),
    Metric("mae", "MeanAbsoluteError", "mean_absolute_error", "MAE", higher_is_better=False),
)}
BY_CLASS = {m.class_name: m for m in METRICS.values()}
# Tollgate's own versions of TFMA classes (components/histogram_metrics):
# "HistogramBinaryAccuracy" computes TFMA's "BinaryAccuracy", same name and key.
DERIVED_PREFIX = "Histogram"
# What records written before metrics were configurable were ranked by.
AUC = METRICS["auc"]
# A slice this small has too noisy a metric to be called the worst.
MIN_SLICE_EXAMPLES = 50


def tfma_class(class_name: str) -> str:
    """The TFMA class an eval config's metric computes."""
    return class_name.removeprefix(DERIVED_PREFIX)


def primary_metric(class_names: list[str]) -> Metric:
    """The metric a model is ranked by: the eval config lists the configured
    metrics first, so the first one Tollgate knows."""
    return next((BY_CLASS[tfma_class(name)] for name in class_names if tfma_class(name) in BY_CLASS), AUC)


def configured_metric(eval_config: dict) -> Metric:
    """The primary metric of an eval config as JSON (as TFX records it in MLMD)."""
    specs = (eval_config or {}).get("metrics_specs", [])
    return primary_metric([m.get("class_name", "") for spec in specs for m in spec.get("metrics", [])])


def metric_named(name: str) -> Metric:
    """A metric by its config name; AUC for records older than the choice."""
    return METRICS.get(name, AUC)


def summary_metric(summary: dict) -> Metric:
    """The metric an eval summary was ranked by."""
    return metric_named((summary or {}).get("metric", ""))


@dataclasses.dataclass(frozen=True)
class SliceMetrics:
    slice: str  # "overall", or "feature=value"
    metrics: dict


def one_class(metrics: dict) -> bool:
    """Every label in the slice is the same."""
    return metrics.get("mean_label") in (0.0, 1.0)


def undefined(metrics: dict, metric: Metric) -> bool:
    """The slice's value means nothing: AUC on a slice of one class."""
    return metric.needs_both_classes and one_class(metrics)


def rankable(metrics: dict, metric: Metric) -> bool:
    """Enough examples for the slice's metric to mean something, and a value that is defined."""
    value = metrics.get(metric.key)
    return (value is not None and value == value and metrics.get("example_count", 0) >= MIN_SLICE_EXAMPLES
            and not undefined(metrics, metric))


def worse_first(value: float, metric: Metric) -> float:
    """A sort key that puts the worst value first, whichever way the metric points."""
    return value if metric.higher_is_better else -value


def overall_and_worst(slices: list[SliceMetrics], metric: Metric) -> tuple[dict, SliceMetrics | None]:
    overall = next((s.metrics for s in slices if s.slice == "overall"), {})
    ranked = [s for s in slices if s.slice != "overall" and rankable(s.metrics, metric)]
    worst = min(ranked, key=lambda s: worse_first(s.metrics[metric.key], metric), default=None)
    return overall, worst
