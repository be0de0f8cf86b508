"""ExampleCount, MeanLabel and BinaryAccuracy for binary models, read off the
calibration histogram that TFMA already builds for the AUC and the ROC curve.

TFMA's own versions each run a combiner of their own, in Python, once per
example and slice: at a million rows they cost about a third of the
Evaluator (issue 27). These are the same metrics, under the same names and
keys, so thresholds, pages and the audit read them as before, derived from
the one histogram: the example count and the label sum are its totals, and
accuracy is the confusion matrix at 0.5 of the curve's 21 thresholds. The
Evaluator loads them by module name (`tfma.MetricConfig.module`).
"""

from __future__ import annotations

import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import binary_confusion_matrices, calibration_histogram, metric_types, metric_util

# The curve's thresholds: 21 as TFMA spaces them, 0.5 among them.
CURVE_POINTS = 21
_HALF = (CURVE_POINTS - 1) // 2


def _key(name: str, model_name: str, output_name: str, sub_key, example_weighted: bool) -> metric_types.MetricKey:
    return metric_types.MetricKey(name=name, model_name=model_name, output_name=output_name, sub_key=sub_key,
                                  example_weighted=example_weighted)


def _from_histogram(value):
    """A per-key computation of `value(buckets)` from the shared calibration histogram."""

    def computations(name, eval_config=None, model_name="", output_name="", sub_key=None,
                     aggregation_type=None, class_weights=None, example_weighted=False):
        histogram = calibration_histogram.calibration_histogram(
            eval_config=eval_config, model_name=model_name, output_name=output_name, sub_key=sub_key,
            aggregation_type=aggregation_type, class_weights=class_weights, example_weighted=example_weighted)
        source = histogram[-1].keys[-1]
        key = _key(name, model_name, output_name, sub_key, example_weighted)
        derived = metric_types.DerivedMetricComputation(
            keys=[key], result=lambda metrics: {key: value(metrics[source])})
        return [*histogram, derived]

    return metric_util.merge_per_key_computations(computations)


def _examples(buckets) -> float:
    return sum(bucket.weighted_examples for bucket in buckets)


def _mean_label(buckets) -> float:
    examples = _examples(buckets)
    return sum(bucket.weighted_labels for bucket in buckets) / examples if examples else float("nan")


# Named apart from TFMA's classes: TFMA looks a class name up in its own
# registry before it reads `module`. Readers map the names back
# (components.metrics.tfma_class).
class HistogramExampleCount(tfma.metrics.Metric):
    def __init__(self, name: str = "example_count"):
        super().__init__(_from_histogram(_examples), name=name)


class HistogramMeanLabel(tfma.metrics.Metric):
    def __init__(self, name: str = "mean_label"):
        super().__init__(_from_histogram(_mean_label), name=name)


def _accuracy(name, eval_config=None, model_name="", output_name="", sub_key=None,
              aggregation_type=None, class_weights=None, example_weighted=False):
    matrices = binary_confusion_matrices.binary_confusion_matrices(
        num_thresholds=CURVE_POINTS, eval_config=eval_config, model_name=model_name, output_name=output_name,
        sub_key=sub_key, aggregation_type=aggregation_type, class_weights=class_weights,
        example_weighted=example_weighted)
    source = matrices[-1].keys[-1]
    key = _key(name, model_name, output_name, sub_key, example_weighted)

    def result(metrics):
        at = metrics[source]
        right, wrong = at.tp[_HALF] + at.tn[_HALF], at.fp[_HALF] + at.fn[_HALF]
        return {key: right / (right + wrong) if right + wrong else float("nan")}

    return [*matrices, metric_types.DerivedMetricComputation(keys=[key], result=result)]


class HistogramBinaryAccuracy(tfma.metrics.Metric):
    def __init__(self, name: str = "binary_accuracy"):
        super().__init__(metric_util.merge_per_key_computations(_accuracy), name=name)
