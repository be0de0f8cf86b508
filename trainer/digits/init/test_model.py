"""A small test of the digits module, which `tollgate init` copies beside
it: run `pytest` in the project folder. It needs no data and no pipeline."""

import numpy as np
import tensorflow as tf

import model


def test_preprocessing_scales_the_pixels_into_one_image_feature():
    inputs = {name: tf.constant([[16], [0]], tf.int64) for name in model.PIXELS}
    inputs[model.LABEL] = tf.constant([[3], [7]], tf.int64)
    out = model.preprocessing_fn(inputs)
    assert out[model.IMAGE].shape == (2, 64)
    assert out[model.IMAGE].numpy()[0].tolist() == [1.0] * 64 and out[model.IMAGE].numpy()[1].max() == 0.0
    assert out["digit_xf"].numpy().tolist() == [3, 7]


def test_the_model_gives_ten_probabilities_per_image():
    probabilities = model.build_model((16, 8))(np.random.rand(4, 64).astype("float32")).numpy()
    assert probabilities.shape == (4, model.CLASSES)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
