"""Encoders other than the trained model, for the embedding exporter.

Set `[embeddings] encoder = "trainer.encoders.hashed_text"` to use this one.
Any function with the same shape works: it takes a list of serialized
tf.Examples and returns an array with one vector per example. A pre-trained
text or image encoder would parse the examples the same way and call its
model on the column it embeds.
"""

import hashlib

import numpy as np

DIMENSION = 16
TEXT_COLUMNS = ("company", "payment_type")


def _text(example, column: str) -> str:
    feature = example.features.feature.get(column)
    values = feature.bytes_list.value if feature is not None else []
    return values[0].decode("utf-8", "replace") if values else ""


def hashed_text(serialized: list) -> np.ndarray:
    """Feature-hashed words of the text columns: deterministic, no training."""
    from tensorflow.core.example import example_pb2

    vectors = np.zeros((len(serialized), DIMENSION), dtype=np.float32)
    for row, data in enumerate(serialized):
        example = example_pb2.Example.FromString(data)
        for column in TEXT_COLUMNS:
            for word in _text(example, column).lower().split():
                bucket = int.from_bytes(hashlib.sha256(f"{column}:{word}".encode()).digest()[:4], "little")
                vectors[row, bucket % DIMENSION] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
