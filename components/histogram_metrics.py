"""ExampleCount and MeanLabel for binary models, read off the calibration
histogram that TFMA already builds for the AUC and the ROC curve.

TFMA's own versions each run a combiner of their own, in Python, once per
example and slice. These are the same metrics, under the same names and
keys, so thresholds, pages and the audit read them as before: the example
count and the label sum are the histogram's totals, exactly. The Evaluator
loads them by module name (`tfma.MetricConfig.module`).

BinaryAccuracy stays TFMA's: from the histogram, a prediction just above
0.5 (within its 1/10,000 buckets) would count as a negative.
"""

from __future__ import annotations

import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import calibration_histogram, metric_types, metric_util


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
