import numpy as np
import tensorflow as tf

from trainer import features
from trainer.model import EMBEDDING_LAYER, build_model, evaluate, train


def inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = {features.transformed_name(k): rng.normal(size=(n, 1)).astype("float32")
         for k in features.NUMERIC_FEATURES}
    sizes = {**features.CATEGORICAL_INT_FEATURES, **features.HASHED_FEATURES}
    for key, size in sizes.items():
        x[features.transformed_name(key)] = rng.integers(0, size, size=(n, 1))
    # The label depends on one feature only, so a working trainer learns it fast.
    y = (x["fare_xf"] > 0).astype("float32")
    return x, y


def test_embedding_is_the_last_hidden_layer():
    model = build_model((16, 8))
    assert model.get_layer(EMBEDDING_LAYER).output.shape[-1] == 8
    assert model.layers[-1].input.shape[-1] == 8
    x, _ = inputs(4)
    assert model(x).shape == (4, 1)


def test_train_learns_a_separable_label():
    x, y = inputs(512)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).repeat()
    model = build_model((16, 8))
    before = evaluate(model, data, 8)
    train(model, data, steps=300, learning_rate=0.01)
    after = evaluate(model, data, 8)
    assert after["loss"] < before["loss"] / 2
    assert after["accuracy"] > 0.95
