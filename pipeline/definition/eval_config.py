"""The TFMA config: what the Evaluator measures and what it takes to bless."""

import json

import tensorflow_model_analysis as tfma
from google.protobuf import wrappers_pb2

from components import histogram_metrics
from components.metrics import DERIVED_PREFIX, METRICS
from pipeline.config import MetricConfig, TollgateConfig

# Twenty-one points from 0 to 1, 0.05 apart: a readable curve, and 0.5 for
# the matrix. The ends lie just outside 0 and 1, as TFMA spaces a number of
# thresholds: given exactly that list, TFMA takes its histogram path, where
# any other list sends each example through a Python loop per slice (about
# five times the cost).
_EDGE = 1e-7
CURVE_THRESHOLDS = [-_EDGE] + [(i + 1) * 1.0 / 20 for i in range(19)] + [1.0 + _EDGE]
# Measured for every model of a problem, whether or not a threshold names them.
_REPORTED = {
    "binary": ["ExampleCount", "BinaryAccuracy", "MeanLabel"],
    "multiclass": ["ExampleCount", "SparseCategoricalAccuracy"],
    "regression": ["ExampleCount", "MeanLabel", "MeanPrediction", "RootMeanSquaredError", "MeanAbsoluteError"],
}


def _threshold(metric: MetricConfig) -> tfma.MetricThreshold | None:
    higher = METRICS[metric.name].higher_is_better
    threshold = tfma.MetricThreshold()
    if metric.threshold is not None:
        bound = "lower_bound" if higher else "upper_bound"
        threshold.value_threshold.CopyFrom(tfma.GenericValueThreshold(**{bound: {"value": metric.threshold}}))
    if metric.max_change is not None:
        # Ignored by TFMA when no baseline was resolved (the first release).
        threshold.change_threshold.CopyFrom(tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER if higher else tfma.MetricDirection.LOWER_IS_BETTER,
            absolute={"value": -metric.max_change if higher else metric.max_change},
        ))
    return threshold if metric.threshold is not None or metric.max_change is not None else None


# For a binary model, these come from the histogram the AUC and the curve
# already build, instead of a Python combiner each per example and slice.
_FROM_HISTOGRAM = {"ExampleCount", "MeanLabel"}


def _metric(class_name: str, metric: MetricConfig | None, problem: str) -> tfma.MetricConfig:
    config = tfma.MetricConfig(class_name=class_name)
    if problem == "binary" and class_name in _FROM_HISTOGRAM:
        config.class_name, config.module = DERIVED_PREFIX + class_name, histogram_metrics.__name__
    if class_name == "AUC":
        # 1,000 thresholds resolve AUC to 0.001, finer than any gate here;
        # TFMA's default of 10,000 costs 10x the work.
        config.config = '{"num_thresholds": 1000}'
    threshold = _threshold(metric) if metric else None
    if threshold is not None:
        # Gate on the overall slice only: small slices (a rare payment type)
        # are reported, not held to the bar.
        config.per_slice_thresholds.append(
            tfma.PerSliceMetricThreshold(slicing_specs=[tfma.SlicingSpec()], threshold=threshold))
    return config


def _metrics(config: TollgateConfig) -> list[tfma.MetricConfig]:
    gated = {METRICS[m.name].class_name: m for m in config.metrics}
    # The configured metrics first: the first is the one readers rank by
    # (components.metrics.primary_metric).
    names = list(dict.fromkeys([*gated, *_REPORTED[config.model.problem]]))
    metrics = [_metric(name, gated.get(name), config.model.problem) for name in names]
    if config.model.problem == "binary":
        # The ROC curve and the confusion matrix, for the pages and the KFP UI.
        metrics.append(tfma.MetricConfig(class_name="ConfusionMatrixAtThresholds",
                                         config=json.dumps({"thresholds": CURVE_THRESHOLDS})))
    return metrics


def eval_config(config: TollgateConfig) -> tfma.EvalConfig:
    model = config.model
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name=model.signature_name,
                label_key=model.label_key,
                preprocessing_function_names=list(model.preprocessing_function_names),
            )
        ],
        slicing_specs=[tfma.SlicingSpec()]
        + [tfma.SlicingSpec(feature_keys=[key]) for key in config.evaluator.slice_features],
        metrics_specs=[tfma.MetricsSpec(metrics=_metrics(config))],
        # A user's model compiled with Keras metrics would have them computed
        # again per slice, beside the ones configured here; no gate reads
        # them, and without them the Evaluator can sum a batch at a time
        # (components.batch_evaluator).
        options=tfma.Options(include_default_metrics=wrappers_pb2.BoolValue(value=False)),
    )
