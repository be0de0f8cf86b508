"""Tollgate's Evaluator executor against TFX's, on the same artifacts.

Both get the config as the pipeline stores it and complete it themselves,
so the first release (no baseline: change thresholds pass) and a later one
(diffs against the baseline) are both their own doing.
"""

import json
import logging

import pytest
from google.protobuf import json_format
from tfx.components.evaluator import executor as stock
from tfx.dsl.io import fileio
from tfx.types import standard_artifacts
from tfx.types import standard_component_specs as specs

from components.batch_evaluator import executor as batch
from tests.components.batch_evaluator.data import results, stored_config, write_examples


def _inputs(tmp_path, models: dict, with_baseline: bool, tracking: bool) -> dict:
    examples = standard_artifacts.Examples()
    examples.uri, examples.split_names = str(tmp_path / "examples"), json.dumps(["train", "eval"])
    for split in ("train", "eval"):
        fileio.makedirs(f"{examples.uri}/Split-{split}")
        fileio.copy(write_examples(tmp_path, tracking=tracking), f"{examples.uri}/Split-{split}/data.tfrecord")
    inputs = {specs.EXAMPLES_KEY: [examples]}
    for key, name, artifact_id in ((specs.MODEL_KEY, "candidate", 11), (specs.BASELINE_MODEL_KEY, "baseline", 12)):
        if key == specs.MODEL_KEY or with_baseline:
            model = standard_artifacts.Model()
            model.uri, model.id = models[name], artifact_id
            inputs[key] = [model]
    return inputs


def _evaluate(executor, tmp_path, inputs: dict, name: str):
    evaluation, blessing = standard_artifacts.ModelEvaluation(), standard_artifacts.ModelBlessing()
    evaluation.uri, blessing.uri = str(tmp_path / name / "evaluation"), str(tmp_path / name / "blessing")
    fileio.makedirs(blessing.uri)
    config = stored_config(tmp_path)
    executor.Do(inputs, {specs.EVALUATION_KEY: [evaluation], specs.BLESSING_KEY: [blessing]},
                {specs.EVAL_CONFIG_KEY: json_format.MessageToJson(config), specs.EXAMPLE_SPLITS_KEY: "null"})
    return results(evaluation.uri), dict(blessing.mlmd_artifact.custom_properties), sorted(fileio.listdir(blessing.uri))


@pytest.mark.parametrize("with_baseline, tracking, verdict", [
    (False, True, "BLESSED"),  # the first release: no baseline, the change threshold passes
    (True, True, "BLESSED"),  # better than a baseline that predicts at random
    (True, False, "NOT_BLESSED"),  # a random candidate: AUC under the 0.7 bar
])
def test_the_same_evaluation_and_blessing_as_tfx(tmp_path, models, caplog, with_baseline, tracking, verdict):
    inputs = _inputs(tmp_path, models, with_baseline, tracking)
    caplog.set_level(logging.INFO, logger="absl")
    ours = _evaluate(batch.Executor(), tmp_path, inputs, "ours")
    assert "metrics summed a batch at a time" in caplog.text
    theirs = _evaluate(stock.Executor(), tmp_path, inputs, "tfx")
    assert ours == theirs
    evaluation, properties, files = ours
    assert files == [verdict]
    assert ("baseline_model_id" in properties) == with_baseline
    # Only the eval split is judged: each split holds the same rows, so the count is the file's.
    overall = next(json.loads(m) for m in evaluation["metrics"] if '"sliceKey": {}' in m)
    counts = [m for m in overall["metricKeysAndValues"]
              if m["key"]["name"] == "example_count" and not m["key"].get("isDiff")]
    assert {c["value"]["doubleValue"] for c in counts} == {1200.0}


def test_a_config_it_cannot_sum_runs_tfx_s_own(tmp_path, models):
    config = stored_config(tmp_path)
    config.options.ClearField("include_default_metrics")
    reason = batch._stock_reason(config, _inputs(tmp_path, models, True, False), {})
    assert reason == "the model's own compiled metrics"
    assert batch._stock_reason(config, {}, {}) == "predictions read from the examples, with no model"
