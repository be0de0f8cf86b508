"""Examples, echo models and the pipeline's config, for the batch evaluator's tests.

Two saved models that echo a feature as their prediction stand in for the
candidate and the baseline, so every prediction is chosen by the test:
the histogram's edges, exactly 0.5, a hair above it.
"""

import dataclasses
import json

import numpy as np
import tensorflow as tf
import tensorflow_model_analysis as tfma
from google.protobuf import json_format

from pipeline.config_file import load_config
from pipeline.definition.eval_config import eval_config

ROWS = 1200


def echo_model(path, column: str) -> str:
    """A saved model whose prediction is the example's `column`."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        return {"outputs": tf.io.parse_example(examples, {column: tf.io.FixedLenFeature([1], tf.float32)})[column]}

    module = tf.Module()
    module.serve = serve
    tf.saved_model.save(module, str(path / "Format-Serving"), signatures={"serving_default": serve})
    return str(path)


def write_examples(path, fractional_rows: int = 0, sparse_slice: bool = False, tracking: bool = False) -> str:
    """Random labels, and predictions at random unless `tracking` (then they follow the labels)."""
    rng = np.random.default_rng(27)
    labels = rng.integers(0, 2, ROWS).astype(float)
    labels[:fractional_rows] = 0.25  # TFMA splits these into two weighted examples
    scores = {"prediction": rng.random(ROWS), "baseline": rng.random(ROWS)}
    if tracking:
        scores["prediction"] = 0.6 * labels + 0.4 * scores["prediction"]
    scores["prediction"][:6] = [0.0, 1.0, 0.5, 0.5 + 1e-7, 0.05, 0.9999]  # edges and thresholds
    file = str(path / "examples.tfrecord")
    with tf.io.TFRecordWriter(file) as writer:
        for row in range(ROWS):
            feature = {
                "label": tf.train.Feature(float_list=tf.train.FloatList(value=[labels[row]])),
                "group": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"abc"[row % 3:row % 3 + 1]])),
                "hour": tf.train.Feature(int64_list=tf.train.Int64List(value=[row % 24])),
                **{name: tf.train.Feature(float_list=tf.train.FloatList(value=[column[row]]))
                   for name, column in scores.items()},
            }
            if sparse_slice and row % 5:
                feature["tag"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"t%d" % (row % 2)]))
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return file


def stored_config(tmp_path, slices=("group", "hour")) -> tfma.EvalConfig:
    """The config Tollgate's pipeline gives the Evaluator, for these examples' label and slices."""
    config = load_config(None, home=str(tmp_path / "home"))
    config = dataclasses.replace(config, evaluator=dataclasses.replace(config.evaluator, slice_features=slices))
    result = eval_config(config)
    result.model_specs[0].label_key = "label"
    del result.model_specs[0].preprocessing_function_names[:]
    return result


def pipeline_config(tmp_path, slices=("group", "hour")) -> tfma.EvalConfig:
    """As the Evaluator completes it, with a baseline."""
    return tfma.utils.update_eval_config_with_defaults(stored_config(tmp_path, slices), has_baseline=True,
                                                       rubber_stamp=True)


def results(out: str) -> dict:
    return {
        "metrics": sorted(json.dumps(json_format.MessageToDict(m), sort_keys=True) for m in tfma.load_metrics(out)),
        "plots": sorted(json.dumps(json_format.MessageToDict(p), sort_keys=True) for p in tfma.load_plots(out)),
        "validation": json_format.MessageToDict(tfma.load_validation_result(out)),
    }


def shared_models(config: tfma.EvalConfig, models: dict) -> list:
    return [tfma.default_eval_shared_model(eval_saved_model_path=f"{models[spec.name]}/Format-Serving",
                                           model_name=spec.name, eval_config=config)
            for spec in config.model_specs]


