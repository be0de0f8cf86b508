import numpy as np
import tensorflow as tf

from trainer.taxi import features
from trainer.taxi.model import EMBEDDING_LAYER, build_model, evaluate, train


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


def test_choose_strategy_fits_the_devices_of_this_machine():
    from trainer.strategy import choose_strategy

    strategy, why = choose_strategy()
    if isinstance(strategy, tf.distribute.TPUStrategy):  # only where a TPU answered
        assert why == f"TPUStrategy over {strategy.num_replicas_in_sync} TPU cores"
        return
    gpus = len(tf.config.list_logical_devices("GPU"))
    assert strategy.num_replicas_in_sync == max(1, gpus)
    if gpus > 1:
        assert isinstance(strategy, tf.distribute.MirroredStrategy)
        assert why == f"MirroredStrategy over {gpus} GPUs"
    else:
        assert why == f"default strategy on {'one GPU' if gpus else 'CPU'}"


_MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tests.trainer.taxi.test_model import inputs
from trainer.taxi.model import build_model, evaluate, train
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
x, y = inputs(512)
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).repeat()
with strategy.scope():
    model = build_model((16, 8))
train(model, data, steps=300, learning_rate=0.01, strategy=strategy)
print("accuracy", evaluate(model, data, 8)["accuracy"])
"""


def test_the_training_loop_runs_on_two_replicas():
    # Logical devices must be set before TensorFlow starts, hence a fresh process.
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "-c", _MIRRORED], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    accuracy = float(result.stdout.split("accuracy")[-1])
    assert accuracy > 0.95
