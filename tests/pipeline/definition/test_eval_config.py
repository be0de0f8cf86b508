"""The Evaluator's config: what TFMA computes from it."""

import json

import tensorflow_model_analysis as tfma

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
