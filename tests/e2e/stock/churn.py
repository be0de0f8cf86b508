"""A user module as a team running stock TFX 1.16 writes one, after TFX's own
penguin example: tft analyzers in preprocessing_fn, an input_fn that reads
Transform's transformed examples, Keras fit, and a serving signature on
serialized tf.Examples. Nothing here knows Tollgate exists.
"""

from typing import List

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

NUMERIC = ["age", "income"]
CATEGORICAL = ["region"]
LABEL = "churned"


def transformed_name(key: str) -> str:
    return key + "_xf"


def preprocessing_fn(inputs):
    outputs = {transformed_name(key): tft.scale_to_z_score(inputs[key]) for key in NUMERIC}
    for key in CATEGORICAL:
        outputs[transformed_name(key)] = tft.compute_and_apply_vocabulary(
            inputs[key], num_oov_buckets=1, vocab_filename=key)
    outputs[transformed_name(LABEL)] = inputs[LABEL]
    return outputs


def _input_fn(files: List[str], data_accessor, tf_transform_output, batch_size: int) -> tf.data.Dataset:
    return data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=transformed_name(LABEL)),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()


def _build_model(vocabulary_size: int) -> keras.Model:
    numeric = [keras.layers.Input(shape=(1,), name=transformed_name(key)) for key in NUMERIC]
    region = keras.layers.Input(shape=(1,), name=transformed_name("region"), dtype="int64")
    encoded = keras.layers.CategoryEncoding(num_tokens=vocabulary_size + 1, output_mode="one_hot")(region)
    x = keras.layers.concatenate(numeric + [encoded])
    x = keras.layers.Dense(16, activation="relu")(x)
    output = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(numeric + [region], output)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _signatures(model, tf_transform_output):
    model.tft_layer = tf_transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve(serialized):
        spec = tf_transform_output.raw_feature_spec()
        spec.pop(LABEL)
        return {"outputs": model(model.tft_layer(tf.io.parse_example(serialized, spec)))}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features(serialized):
        return model.tft_layer(tf.io.parse_example(serialized, tf_transform_output.raw_feature_spec()))

    return {"serving_default": serve, "transform_features": transform_features}


def run_fn(fn_args: tfx.components.FnArgs):
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _input_fn(fn_args.train_files, fn_args.data_accessor, tf_transform_output, 32)
    evaluate = _input_fn(fn_args.eval_files, fn_args.data_accessor, tf_transform_output, 32)
    model = _build_model(tf_transform_output.vocabulary_size_by_name("region"))
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluate,
              validation_steps=fn_args.eval_steps, verbose=0)
    tf.saved_model.save(model, fn_args.serving_model_dir, signatures=_signatures(model, tf_transform_output))
