"""The TFMA config: what the Evaluator measures and what it takes to bless."""

import json

import tensorflow_model_analysis as tfma

from pipeline.config import EvaluatorConfig, ModelConfig

# Twenty-one points from 0 to 1: a readable curve, and 0.5 for the matrix.
CURVE_THRESHOLDS = [round(i / 20, 2) for i in range(21)]


def eval_config(config: EvaluatorConfig, model: ModelConfig) -> tfma.EvalConfig:
    auc_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": config.min_auc}),
        # Ignored by TFMA when no baseline was resolved (the first release).
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -config.max_auc_drop},
        ),
    )
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name=model.signature_name,
                label_key=model.label_key,
                preprocessing_function_names=list(model.preprocessing_function_names),
            )
        ],
        slicing_specs=[tfma.SlicingSpec()]
        + [tfma.SlicingSpec(feature_keys=[key]) for key in config.slice_features],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="ExampleCount"),
                    tfma.MetricConfig(class_name="BinaryAccuracy"),
                    # The share of positive labels: 0 or 1 says a slice has one class only.
                    tfma.MetricConfig(class_name="MeanLabel"),
                    # The ROC curve and the confusion matrix, for the KFP UI.
                    tfma.MetricConfig(
                        class_name="ConfusionMatrixAtThresholds",
                        config=json.dumps({"thresholds": CURVE_THRESHOLDS}),
                    ),
                    # 1,000 thresholds resolve AUC to 0.001, finer than any
                    # gate here; TFMA's default of 10,000 costs 10x the work.
                    tfma.MetricConfig(
                        class_name="AUC",
                        config='{"num_thresholds": 1000}',
                        # Gate on the overall slice only: small slices (a rare
                        # payment type) are reported, not held to the bar.
                        per_slice_thresholds=[
                            tfma.PerSliceMetricThreshold(
                                slicing_specs=[tfma.SlicingSpec()], threshold=auc_threshold
                            )
                        ],
                    ),
                ]
            )
        ],
    )
