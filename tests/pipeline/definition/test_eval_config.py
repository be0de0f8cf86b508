"""The Evaluator's config: what TFMA computes from it."""

import json

import tensorflow_model_analysis as tfma

from components.metrics import tfma_class
from pipeline.config_file import load_config
from pipeline.definition.eval_config import eval_config


def _computed(config: tfma.EvalConfig, class_name: str) -> set[str]:
    """The names of what TFMA computes for one metric of `config`."""
    [spec] = config.metrics_specs
    [metric] = [m for m in spec.metrics if m.class_name == class_name]
    instance = tfma.metrics.ConfusionMatrixAtThresholds(**json.loads(metric.config))
    return {key.name for computation in instance.computations(eval_config=config) for key in computation.keys}


def test_the_roc_curve_takes_tfma_histogram_path_not_its_per_example_loop(tmp_path):
    config = eval_config(load_config(None, home=str(tmp_path)))
    computed = _computed(config, "ConfusionMatrixAtThresholds")
    assert any("calibration_histogram" in name for name in computed), computed
    # And the curve's points are 0.05 apart, with 0.5 among them for the matrix.
    thresholds = json.loads(next(m for m in config.metrics_specs[0].metrics
                                 if m.class_name == "ConfusionMatrixAtThresholds").config)["thresholds"]
    assert len(thresholds) == 21 and 0.5 in thresholds and thresholds[0] < 0 and thresholds[-1] > 1


def _per_example(config: tfma.EvalConfig) -> set[str]:
    """What TFMA computes example by example for `config` (everything else is derived)."""
    from tensorflow_model_analysis.metrics import metric_specs, metric_types

    computations = metric_specs.to_computations(config.metrics_specs, eval_config=config)
    return {key.name for c in computations if type(c) is metric_types.MetricComputation for key in c.keys}


def test_a_binary_model_derives_its_counts_from_the_histogram(tmp_path):
    config = eval_config(load_config(None, home=str(tmp_path)))
    names = {tfma_class(m.class_name) for m in config.metrics_specs[0].metrics}
    assert {"AUC", "ExampleCount", "MeanLabel", "BinaryAccuracy", "ConfusionMatrixAtThresholds"} <= names
    # The histogram, and BinaryAccuracy's matrix at its one threshold (see components/histogram_metrics.py).
    per_example = _per_example(config)
    assert len(per_example) == 2 and any("calibration_histogram" in name for name in per_example), per_example
    assert any(name.startswith("_binary_confusion_matrices") for name in per_example), per_example


def test_other_problems_keep_tfma_own_metrics(tmp_path):
    config = eval_config(load_config(None, home=str(tmp_path), model__problem="regression"))
    assert not any(m.module for m in config.metrics_specs[0].metrics)


def test_a_binary_model_is_evaluated_a_batch_at_a_time(tmp_path):
    from components.batch_evaluator.evaluator import unsupported

    config = eval_config(load_config(None, home=str(tmp_path)))
    assert config.options.HasField("include_default_metrics") and not config.options.include_default_metrics.value
    # Each of its per-example computations has a batch form (components/batch_evaluator/combiners.py).
    assert unsupported(tfma.utils.update_eval_config_with_defaults(config, has_baseline=True)) is None
