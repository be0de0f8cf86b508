"""A small test of the taxi module, which `tollgate init` copies beside it:
run `pytest` in the project folder. It needs no data and no pipeline."""

import numpy as np

import features
import model


def test_the_model_reads_every_transformed_feature_and_gives_one_probability():
    net = model.build_model([8, 4])
    inputs = {name: np.zeros((3, 1), tensor.dtype.as_numpy_dtype) for name, tensor in net.input.items()}
    probability = net(inputs).numpy()
    assert probability.shape == (3, 1) and ((probability > 0) & (probability < 1)).all()
    assert model.LABEL == features.transformed_name(features.LABEL_KEY)


def test_every_column_the_model_needs_has_a_kind():
    assert set(features.REQUIRED_COLUMNS.values()) <= {"int", "number", "string"}
    assert features.TIPS_KEY in features.REQUIRED_COLUMNS
