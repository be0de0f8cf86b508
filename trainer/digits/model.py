"""The digits example's TFX user module: which of ten digits an 8x8 image shows.

The images are scikit-learn's bundled handwritten digits (1,797 of them, each
pixel an intensity from 0 to 16), so nothing downloads. The module is
written as a stock TFX module and imports nothing of Tollgate's:
`preprocessing_fn` scales the pixels into one feature, `run_fn` reads
Transform's transformed examples and fits a small Keras network, and the
model serves three signatures on serialized tf.Examples: `serving_default`
(the ten class probabilities), `transform_features` (for TFMA) and `embed`
(the last hidden layer, which the vector index searches).
"""

from typing import List

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
# FnArgs from its own module: `tfx.v1` would also import every Google Cloud extension.
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

PIXELS = [f"pixel_{i}" for i in range(64)]
LABEL = "digit"
CLASSES = 10
IMAGE = "pixels_xf"
EMBEDDING_LAYER = "embedding"


def preprocessing_fn(inputs):
    # Intensities run from 0 to 16 in every image: a fixed scale, no analyzer.
    pixels = [tf.cast(tf.reshape(inputs[name], [-1]), tf.float32) for name in PIXELS]
    return {IMAGE: tf.stack(pixels, axis=1) / 16.0, "digit_xf": tf.reshape(inputs[LABEL], [-1])}


def _input_fn(files: List[str], data_accessor, tf_transform_output, batch_size: int) -> tf.data.Dataset:
    return data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key="digit_xf"),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()


def build_model(hidden_units=(64, 32), learning_rate: float = 0.003) -> keras.Model:
    image = keras.Input(shape=(64,), name=IMAGE)
    x = image
    for i, units in enumerate(hidden_units):
        last = i == len(hidden_units) - 1
        x = keras.layers.Dense(units, activation="relu", name=EMBEDDING_LAYER if last else f"hidden_{i}")(x)
    output = keras.layers.Dense(CLASSES, activation="softmax", name="probabilities")(x)
    model = keras.Model(image, output)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def _signatures(model: keras.Model, tf_transform_output) -> dict:
    model.tft_layer = tf_transform_output.transform_features_layer()
    embedder = keras.Model(model.inputs, model.get_layer(EMBEDDING_LAYER).output)
    examples = tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")
    pixels_only = {name: spec for name, spec in tf_transform_output.raw_feature_spec().items() if name in PIXELS}

    def image(serialized):
        return model.tft_layer(tf.io.parse_example(serialized, pixels_only))[IMAGE]

    @tf.function(input_signature=[examples])
    def serve(serialized):
        return {"outputs": model(image(serialized))}

    @tf.function(input_signature=[examples])
    def embed(serialized):
        return {"embedding": embedder(image(serialized))}

    @tf.function(input_signature=[examples])
    def transform_features(serialized):
        return model.tft_layer(tf.io.parse_example(serialized, tf_transform_output.raw_feature_spec()))

    return {"serving_default": serve, "embed": embed, "transform_features": transform_features}


def run_fn(fn_args: FnArgs):
    hparams = fn_args.custom_config or {}
    batch_size = int(hparams.get("batch_size", 64))
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _input_fn(fn_args.train_files, fn_args.data_accessor, tf_transform_output, batch_size)
    evaluate = _input_fn(fn_args.eval_files, fn_args.data_accessor, tf_transform_output, batch_size)
    model = build_model(tuple(hparams.get("hidden_units", (64, 32))), float(hparams.get("learning_rate", 0.003)))
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluate,
              validation_steps=fn_args.eval_steps, verbose=0)
    tf.saved_model.save(model, fn_args.serving_model_dir, signatures=_signatures(model, tf_transform_output))
