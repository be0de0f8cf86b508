"""Warm start: a new model begins from the weights of the last released one.

Only layers whose weights have the same shapes are copied, so a change to
`hidden_units` starts the changed layers fresh instead of failing the run.
The Trainer records the base model as its `base_model` input in MLMD.
"""

import os

import tensorflow as tf
from absl import logging


def _checkpoint_key(index: int, weight: tf.Variable) -> str:
    # Keras saves a functional model's weights by the order of its layers
    # that have any: layer_with_weights-<i>/<kernel|bias>.
    short = weight.name.split("/")[-1].split(":")[0]
    return f"layer_with_weights-{index}/{short}/.ATTRIBUTES/VARIABLE_VALUE"


def warm_start(model, base_model_dir: str) -> tuple[list[str], list[str]]:
    """Copies matching weights from a saved model; returns (copied, fresh) layer names."""
    reader = tf.train.load_checkpoint(os.path.join(base_model_dir, "variables", "variables"))
    shapes = reader.get_variable_to_shape_map()
    copied, fresh = [], []
    for index, layer in enumerate(layer for layer in model.layers if layer.weights):
        keys = [_checkpoint_key(index, w) for w in layer.weights]
        if all(k in shapes and list(shapes[k]) == w.shape.as_list() for k, w in zip(keys, layer.weights)):
            layer.set_weights([reader.get_tensor(k) for k in keys])
            copied.append(layer.name)
        else:
            fresh.append(layer.name)
    logging.info("Warm start from %s: copied %s; fresh %s", base_model_dir, copied, fresh or "none")
    return copied, fresh
