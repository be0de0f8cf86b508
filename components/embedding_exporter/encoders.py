"""Turning serialized tf.Examples into vectors, for Beam's RunInference.

An encoder is any function `encode(serialized) -> array [n, d]`, given a
sequence (a numpy array) of serialized tf.Examples.
By default it is one of the trained model's signatures (`[model]
embedding_signature`); an `encoder` setting of "package.module.function"
names another one (a pre-trained text or image encoder, say), which the same
exporter and index then serve.
"""

from __future__ import annotations

import importlib
from typing import Callable, Iterable, Sequence

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

Encoder = Callable[[list], np.ndarray]


# SipHash-2-4 under a fixed key (b"Tollgate" as two words), keyed so that
# keys are stable across runs and machines.
_HASH_KEY = [0x546F6C6C, 0x67617465]
_HASH_BUCKETS = 2**63 - 1


def example_keys(serialized):
    """Stable int64 ids for examples: a hash of each serialized example.

    CsvExampleGen writes the same row as the same bytes, so the key survives
    re-ingestion and maps a search result back to its source row; identical
    rows share a key, as they share a vector. Computed in TensorFlow, so the
    exporter can hash a whole chunk in one call.
    """
    import tensorflow as tf

    return tf.strings.to_hash_bucket_strong(serialized, _HASH_BUCKETS, _HASH_KEY)


def example_key(serialized: bytes) -> int:
    return int(example_keys([serialized]).numpy()[0])


def load_encoder(name: str) -> Encoder:
    module_name, _, function = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(
            f"embedding encoder {name!r} cannot be imported ({error}); "
            "give 'package.module.function', importable in the pipeline's environment"
        ) from None


def saved_model_encoder(model_dir: str, signature: str = "embed") -> Encoder:
    """One of the model's signatures, as an encoder."""
    import tensorflow as tf

    loaded = tf.saved_model.load(model_dir)
    if signature not in loaded.signatures:
        raise ValueError(
            f"the model at {model_dir} has no '{signature}' signature "
            f"(it has {sorted(loaded.signatures)}); export one, or set an encoder"
        )
    embed = loaded.signatures[signature]

    def encode(serialized) -> np.ndarray:
        outputs = embed(examples=tf.convert_to_tensor(serialized))
        return next(iter(outputs.values())).numpy()

    # Keep the loaded object alive as long as the function is.
    encode.model = loaded
    return encode


class EmbedHandler(ModelHandler):
    """Chunks of serialized examples in, one array of vectors per chunk out.

    Elements are chunks of records read together as string tensors (see
    executor.py): the bytes stay inside TensorFlow from file to model, and
    Beam's per-element cost is paid per chunk, not per example. RunInference
    wraps this in BatchElements, which grows or shrinks the number of chunks
    per call to keep each call near its target time: no fixed batch size.
    """

    def __init__(self, model_dir: str, encoder: str = "", signature: str = "embed", min_chunks: int = 1,
                 max_chunks: int = 16):
        super().__init__()
        self._model_dir = model_dir
        self._encoder = encoder
        self._signature = signature
        self._batch = {"min_batch_size": min_chunks, "max_batch_size": max_chunks}

    def load_model(self) -> Encoder:
        if not self._encoder:
            return saved_model_encoder(self._model_dir, self._signature)
        user = load_encoder(self._encoder)
        # User encoders get numpy; the model's signature takes the tensor as it is.
        return lambda serialized: user(serialized.numpy())

    def run_inference(self, batch: Sequence, model: Encoder, inference_args=None) -> Iterable:
        import tensorflow as tf

        flat = tf.concat(list(batch), axis=0)
        vectors = np.asarray(model(flat), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(flat):
            raise ValueError(
                f"the encoder returned shape {vectors.shape} for {len(flat)} examples; "
                "it must return one vector per example"
            )
        ends = np.cumsum([int(chunk.shape[0]) for chunk in batch])[:-1]
        return [PredictionResult(chunk, part) for chunk, part in zip(batch, np.split(vectors, ends))]

    def get_num_bytes(self, batch: Sequence) -> int:
        import tensorflow as tf

        # The default pickles the whole batch only to measure it.
        return sum(int(tf.reduce_sum(tf.strings.length(chunk))) for chunk in batch)

    def batch_elements_kwargs(self):
        return self._batch

    def get_metrics_namespace(self) -> str:
        return "TollgateEmbeddings"
