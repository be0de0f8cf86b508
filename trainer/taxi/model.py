"""The taxi example's TFX user module: Transform's preprocessing_fn and the
Trainer's run_fn, the two names TFX looks for in a module.

The model is a small MLP over the transformed features. Its last hidden
layer is the example's embedding, served through the `embed` signature.
"""

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from absl import logging
# FnArgs from its own module: `tfx.v1` would also import every Google Cloud extension.
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from trainer.strategy import choose_strategy
from trainer.taxi import features
from trainer.taxi.preprocessing import preprocessing_fn
from trainer.warm_start import warm_start

__all__ = ["preprocessing_fn", "run_fn"]
# run_fn applies the transform graph to raw examples and caches the result in
# memory (see _dataset), so Transform need not write transformed copies.
APPLIES_TRANSFORM = True
EMBEDDING_LAYER = "embedding"
LABEL = features.transformed_name(features.LABEL_KEY)


def _one_hot_sizes() -> dict[str, int]:
    sizes = {**features.CATEGORICAL_INT_FEATURES, **features.HASHED_FEATURES}
    return {features.transformed_name(k): v for k, v in sizes.items()}


def build_model(hidden_units) -> keras.Model:
    numeric = {
        features.transformed_name(k): keras.Input(shape=(1,), name=features.transformed_name(k))
        for k in features.NUMERIC_FEATURES
    }
    categorical = {
        name: keras.Input(shape=(1,), name=name, dtype="int64") for name in _one_hot_sizes()
    }
    encoded = [
        keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(categorical[name])
        for name, size in _one_hot_sizes().items()
    ]
    x = keras.layers.concatenate(list(numeric.values()) + encoded)
    for i, units in enumerate(hidden_units):
        last = i == len(hidden_units) - 1
        x = keras.layers.Dense(
            units, activation="relu", name=EMBEDDING_LAYER if last else f"hidden_{i}"
        )(x)
    output = keras.layers.Dense(1, activation="sigmoid", name="big_tipper")(x)
    return keras.Model({**numeric, **categorical}, output)


def train(model: keras.Model, dataset: tf.data.Dataset, steps: int, learning_rate: float,
          strategy: tf.distribute.Strategy | None = None) -> float:
    """Runs `steps` gradient steps in one graph; returns the last batch's loss.

    Keras' fit() converts its train step with AutoGraph, which on a model this
    small takes ten times longer than the training itself, and a Python loop
    pays a call per step. Here the whole loop is one traced while_loop; each
    step runs on every replica of the strategy (just once by default).
    """
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        # Slots must exist before the loop: no variables can be created inside it.
        optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.BinaryCrossentropy(reduction=keras.losses.Reduction.NONE)
    batches = iter(strategy.experimental_distribute_dataset(dataset))

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            # Averaged over the global batch, so replicas' gradients add up right.
            # Labels as (batch, 1), like the predictions: one loss per example.
            per_example = loss_fn(tf.reshape(y, [-1, 1]), model(x, training=True))
            loss = tf.nn.compute_average_loss(per_example)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def step(i, _):
        losses = strategy.run(replica_step, args=batches.get_next())
        return i + 1, strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    @tf.function(autograph=False)
    def loop():
        start = (tf.constant(0), tf.constant(float("nan")))
        return tf.while_loop(lambda i, _: i < steps, step, start)[1]

    return float(loop())


def evaluate(model: keras.Model, dataset: tf.data.Dataset, steps: int) -> dict:
    """Loss and accuracy over `steps` batches, for the training log."""
    loss = keras.metrics.BinaryCrossentropy()
    accuracy = keras.metrics.BinaryAccuracy()
    for x, y in dataset.take(steps):
        predicted = model(x, training=False)
        loss.update_state(y, predicted)
        accuracy.update_state(y, predicted)
    return {"loss": float(loss.result()), "accuracy": float(accuracy.result())}


def _signatures(model: keras.Model, tft_layer, tf_transform_output: tft.TFTransformOutput) -> dict:
    # Keras must track the layer for it to be saved with the model.
    model.tft_layer = tft_layer
    embedder = keras.Model(model.inputs, model.get_layer(EMBEDDING_LAYER).output)
    raw_spec = tf_transform_output.raw_feature_spec()
    examples = tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")

    def transform(columns):
        spec = {k: raw_spec[k] for k in columns if k in raw_spec}

        @tf.function(input_signature=[examples], autograph=False)
        def fn(serialized):
            return model.tft_layer(tf.io.parse_example(serialized, spec))

        return fn

    # Traced once and shared by serve and embed, with AutoGraph off (nothing
    # here branches on tensors): tracing is the slow part of saving. Callers
    # never send the label's source.
    transformed = transform([k for k in features.REQUIRED_COLUMNS if k != features.TIPS_KEY])

    @tf.function(input_signature=[examples], autograph=False)
    def serve(serialized):
        return {"outputs": model(_model_inputs(transformed(serialized)))}

    @tf.function(input_signature=[examples], autograph=False)
    def embed(serialized):
        return {"embedding": embedder(_model_inputs(transformed(serialized)))}

    return {
        "serving_default": serve,
        "embed": embed,
        # TFMA computes the label from raw examples through this one.
        "transform_features": transform(features.REQUIRED_COLUMNS),
    }


def _model_inputs(transformed: dict) -> dict:
    return {k: v for k, v in transformed.items() if k != LABEL}


def _dataset(files, data_accessor, tft_layer, tf_transform_output, batch_size: int) -> tf.data.Dataset:
    """Raw examples, transformed once, then served from memory.

    Transform does not materialize transformed examples (that pass costs more
    than it saves on small data): the transform graph is applied here, and the
    cached result is replayed for every later epoch.
    """
    raw = data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, num_epochs=1, shuffle=True),
        tf_transform_output.raw_metadata.schema,
    )

    # Plain TensorFlow: AutoGraph would spend seconds converting the layer.
    @tf.autograph.experimental.do_not_convert
    def split_label(raw_batch):
        transformed = tft_layer(raw_batch)
        return _model_inputs(transformed), transformed[LABEL]

    return (
        raw.map(split_label, num_parallel_calls=tf.data.AUTOTUNE)
        .cache()
        .shuffle(64, reshuffle_each_iteration=True)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )


def run_fn(fn_args: FnArgs) -> None:
    """Trains the model and saves it with its serving signatures."""
    hparams = fn_args.custom_config or {}
    batch_size = int(hparams.get("batch_size", 128))
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    # One transform layer feeds training and is saved with the model.
    tft_layer = tf_transform_output.transform_features_layer()
    train_data, eval_data = (
        _dataset(files, fn_args.data_accessor, tft_layer, tf_transform_output, batch_size)
        for files in (fn_args.train_files, fn_args.eval_files)
    )
    strategy, why = choose_strategy()
    with strategy.scope():
        model = build_model(tuple(hparams.get("hidden_units", (64, 32))))
        if fn_args.base_model:
            warm_start(model, fn_args.base_model)
    last_loss = train(
        model, train_data, fn_args.train_steps, float(hparams.get("learning_rate", 0.003)), strategy
    )
    logging.info(
        "Trained %d steps with %s, last loss %.4f; eval %s",
        fn_args.train_steps, why, last_loss, evaluate(model, eval_data, fn_args.eval_steps),
    )
    # save_traces=False skips re-tracing every Keras layer: the signatures
    # above are the serving interface, and they are traced anyway.
    model.save(
        fn_args.serving_model_dir,
        save_format="tf",
        save_traces=False,
        signatures=_signatures(model, tft_layer, tf_transform_output),
    )
