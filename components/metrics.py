"""Reads the Evaluator's metrics: by slice for the candidate or the baseline,
the overall and worst slices, and the confusion matrices behind the ROC curve."""

from __future__ import annotations

import dataclasses

# A slice this small has too noisy an AUC to be called the worst.
MIN_SLICE_EXAMPLES = 50
KEY_METRICS = ("auc", "binary_accuracy", "example_count", "mean_label")
CURVE = "confusion_matrix_at_thresholds"
# How TFMA names the models: "" when there is no baseline, else these two.
CANDIDATE, BASELINE = ("", "candidate"), ("baseline",)


@dataclasses.dataclass(frozen=True)
class SliceMetrics:
    slice: str  # "overall", or "feature=value"
    metrics: dict


def _slice_name(slice_key) -> str:
    parts = []
    for key in slice_key.single_slice_keys:
        kind = key.WhichOneof("kind")
        value = getattr(key, kind)
        parts.append(f"{key.column}={value.decode() if isinstance(value, bytes) else value}")
    return ",".join(parts) or "overall"


def _records(evaluation_uri: str):
    import tensorflow_model_analysis as tfma  # heavy: only when metrics are read

    return tfma.load_metrics(evaluation_uri)


def _slices(records, models: tuple) -> list[SliceMetrics]:
    slices = []
    for record in records:
        values = {}
        for item in record.metric_keys_and_values:
            key = item.key
            if key.is_diff or key.model_name not in models:
                continue
            if key.name in KEY_METRICS and item.value.HasField("double_value"):
                values[key.name] = item.value.double_value.value
        if values:
            slices.append(SliceMetrics(_slice_name(record.slice_key), values))
    return slices


def read_slices(evaluation_uri: str) -> tuple[list[SliceMetrics], list[SliceMetrics]]:
    """(candidate, baseline) metrics per slice, diff values left out, from one read;
    a model's list leaves out the slices it lacks, and the baseline's is empty
    for a first model."""
    records = list(_records(evaluation_uri))
    return _slices(records, CANDIDATE), _slices(records, BASELINE)


def read_curve(evaluation_uri: str) -> list:
    """The candidate's confusion matrices at each threshold, on the overall slice."""
    for record in _records(evaluation_uri):
        if _slice_name(record.slice_key) != "overall":
            continue
        for item in record.metric_keys_and_values:
            if item.key.name == CURVE and item.key.model_name in CANDIDATE:
                return list(item.value.confusion_matrix_at_thresholds.matrices)
    return []


def one_class(metrics: dict) -> bool:
    """Every label in the slice is the same, so AUC is undefined there (TFMA reports 0)."""
    return metrics.get("mean_label") in (0.0, 1.0)


def rankable(metrics: dict) -> bool:
    """Enough examples of both classes for the slice's AUC to mean something."""
    auc = metrics.get("auc")
    return (auc is not None and auc == auc and not one_class(metrics)
            and metrics.get("example_count", 0) >= MIN_SLICE_EXAMPLES)


def overall_and_worst(slices: list[SliceMetrics]) -> tuple[dict, SliceMetrics | None]:
    overall = next((s.metrics for s in slices if s.slice == "overall"), {})
    ranked = [s for s in slices if s.slice != "overall" and rankable(s.metrics)]
    worst = min(ranked, key=lambda s: s.metrics["auc"], default=None)
    return overall, worst
