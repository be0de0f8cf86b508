"""What a Tollgate process needs before TensorFlow loads.

Called once by each entry point (the `tollgate` command, the test session,
a notebook's first cell; the pipeline image sets the same in its
environment), never by importing a library module.
"""

import os

# TensorFlow 2.16 ships Keras 3; TFX 1.16, TFMA and the user modules written
# for them expect Keras 2, which `tf.keras` gives when this is set before
# TensorFlow is first imported.
KERAS_2 = {"TF_USE_LEGACY_KERAS": "1"}
# TensorFlow's C++ start-up lines (cuFFT/cuDNN registration on machines
# without a GPU) are noise in a terminal; errors still surface in Python.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def prepare_process() -> None:
    """Sets what must be set before TensorFlow loads; values set by the user win."""
    for name, value in {**KERAS_2, **QUIET_TENSORFLOW}.items():
        os.environ.setdefault(name, value)
