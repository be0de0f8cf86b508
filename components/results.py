"""Reads the Evaluator's output: metrics by slice for the candidate or the
baseline, the metric it ranks by, and the confusion matrices behind the ROC curve."""

from __future__ import annotations

from components.metrics import Metric, SliceMetrics, primary_metric

CURVE = "confusion_matrix_at_thresholds"
# How TFMA names the models: "" when there is no baseline, else these two.
CANDIDATE, BASELINE = ("", "candidate"), ("baseline",)


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
            if item.value.HasField("double_value"):
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


def read_metric(evaluation_uri: str) -> Metric:
    """The metric the Evaluator that wrote `evaluation_uri` was configured to rank by."""
    from tensorflow_model_analysis.writers.eval_config_writer import load_eval_run

    eval_config = load_eval_run(evaluation_uri)[0]
    return primary_metric([m.class_name for spec in eval_config.metrics_specs for m in spec.metrics])
