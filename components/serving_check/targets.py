"""Each release target: how the SavedModel becomes it, and how it is called.

Every target answers `predict(batch) -> np.ndarray` on a batch prepared by
its own `prepare(serialized_examples)`, so timings cover only the runtime's
call. SavedModel and TFLite take serialized tf.Examples, as the serving
signature does, with the transform inside. ONNX has no operator that parses
a protocol buffer, so the ONNX model takes the columns that the signature's
parse step produces: one array per column and, for a column that may be
missing, a boolean `<column>__present` beside it. The transform and the
model follow, as in the signature.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
from typing import Any, Callable

import numpy as np

from components.model_digest import TARGET_FILES

SAVED_MODEL = "saved_model"
TFLITE = "tflite"
ONNX = "onnx"
FILE_NAMES = {target: TARGET_FILES[target] for target in (TFLITE, ONNX)}


log = logging.getLogger("tollgate.serving_check")


@contextlib.contextmanager
def native_output_to_log():
    """TFLite's converter and its Flex delegate (on the first call) write to
    file descriptor 2 from C++, across the progress lines; their words go to
    the run's log instead."""
    with tempfile.TemporaryFile() as caught:
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode(errors="replace").strip()
            if text:
                log.info("native output:\n%s", text)


class ConversionFailed(RuntimeError):
    """A target could not be made or loaded from this model."""


@dataclasses.dataclass
class Loaded:
    prepare: Callable[[list[bytes]], Any]
    predict: Callable[[Any], np.ndarray]


def export(target: str, saved_model: str, signature: str, out_dir: str) -> str:
    """Writes the target's file under out_dir (the SavedModel is its own); returns its path."""
    if target == SAVED_MODEL:
        return saved_model
    path = os.path.join(out_dir, FILE_NAMES[target])
    try:
        content = _tflite(saved_model, signature) if target == TFLITE else _onnx(saved_model, signature)
    except Exception as err:  # converters raise many kinds; the first line says which
        raise ConversionFailed(f"{target}: conversion failed: {first_line(err)}") from err
    with open(path, "wb") as handle:
        handle.write(content)
    return path


def load(target: str, path: str, signature: str) -> Loaded:
    try:
        return {SAVED_MODEL: _load_saved_model, TFLITE: _load_tflite, ONNX: _load_onnx}[target](path, signature)
    except Exception as err:
        raise ConversionFailed(f"{target}: the converted model does not load: {first_line(err)}") from err


def first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__


def _only_output(outputs: dict) -> np.ndarray:
    return np.asarray(next(iter(outputs.values()))).reshape(-1)


def _load_saved_model(path: str, signature: str) -> Loaded:
    import tensorflow as tf

    fn = tf.saved_model.load(path).signatures[signature]
    name = next(iter(fn.structured_input_signature[1]))
    return Loaded(lambda rows: tf.constant(rows), lambda batch: _only_output(fn(**{name: batch})))


def _tflite(saved_model: str, signature: str) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=[signature])
    # Parsing examples and hashing strings have no TFLite builtins; the Flex
    # delegate runs those few TensorFlow ops inside the TFLite runtime.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    return converter.convert()


def _load_tflite(path: str, signature: str) -> Loaded:
    import tensorflow as tf

    runner = tf.lite.Interpreter(model_path=path).get_signature_runner(signature)
    name = next(iter(runner.get_input_details()))
    # dtype=object: serialized examples are bytes, not text.
    return Loaded(lambda rows: np.array(rows, dtype=object),
                  lambda batch: _only_output(runner(**{name: batch})))


def _onnx(saved_model: str, signature: str) -> bytes:
    import tf2onnx
    from tf2onnx import constants, utils

    from components.serving_check.graph import columns_function

    fn, spec = columns_function(saved_model, signature)
    # The contrib domain holds string ops (hashing) from onnxruntime-extensions.
    proto, _ = tf2onnx.convert.from_function(
        fn, input_signature=[spec], opset=17,
        extra_opset=[utils.make_opsetid(constants.CONTRIB_OPS_DOMAIN, 1)],
    )
    return proto.SerializeToString()


def _load_onnx(path: str, signature: str) -> Loaded:
    import onnxruntime
    import onnxruntime_extensions

    from components.serving_check.graph import session_spec, to_columns

    options = onnxruntime.SessionOptions()
    options.register_custom_ops_library(onnxruntime_extensions.get_library_path())
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    spec = session_spec(session)
    return Loaded(lambda rows: to_columns(rows, spec), lambda batch: session.run(None, batch)[0].reshape(-1))
