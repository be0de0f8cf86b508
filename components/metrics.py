"""Reads the Evaluator's metrics: overall and the worst slice."""

from __future__ import annotations

import dataclasses

# A slice this small has too noisy an AUC to be called the worst.
MIN_SLICE_EXAMPLES = 50
KEY_METRICS = ("auc", "binary_accuracy", "example_count")


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


def read_slices(evaluation_uri: str) -> list[SliceMetrics]:
    """Candidate-model metrics per slice (baseline and diff values left out)."""
    import tensorflow_model_analysis as tfma  # heavy: only when metrics are read

    slices = []
    for record in tfma.load_metrics(evaluation_uri):
        values = {}
        for item in record.metric_keys_and_values:
            key = item.key
            if key.is_diff or key.model_name not in ("", "candidate"):
                continue
            if key.name in KEY_METRICS and item.value.HasField("double_value"):
                values[key.name] = item.value.double_value.value
        slices.append(SliceMetrics(_slice_name(record.slice_key), values))
    return slices


def overall_and_worst(slices: list[SliceMetrics]) -> tuple[dict, SliceMetrics | None]:
    overall = next((s.metrics for s in slices if s.slice == "overall"), {})
    ranked = [
        s
        for s in slices
        if s.slice != "overall"
        and s.metrics.get("example_count", 0) >= MIN_SLICE_EXAMPLES
        and s.metrics.get("auc") == s.metrics.get("auc")  # NaN for one-class slices
        and "auc" in s.metrics
    ]
    worst = min(ranked, key=lambda s: s.metrics["auc"], default=None)
    return overall, worst
