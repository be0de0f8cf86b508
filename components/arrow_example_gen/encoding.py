"""Typed CSV columns to serialized tf.Examples, and TFX's split of each.

The records are written in protobuf's wire format, a column at a time, in
Arrow and NumPy: never a proto per row in Python, nor one per cell in C++
(tfx_bsl's encoder spent 16 s of 38 at a million rows doing that). The
features are laid out in the order protobuf's deterministic serialization
gives them (`deterministic_order`), which makes each record exactly the
bytes TFX hashes to choose a row's split, so every row lands in the split
CsvExampleGen would give it.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from components.arrow_example_gen.columns import FLOAT, INT, STRING, UNKNOWN

# Field 1, length-delimited: Example.features, a Features map entry, an
# entry's key, a BytesList value, and the packed values of the other lists.
_ONE = 0x0A
_VALUE = 0x12  # field 2: a map entry's value
_LIST_TAG = {STRING: 0x0A, FLOAT: 0x12, INT: 0x1A}  # Feature's bytes_list, float_list, int64_list
_NOTHING = pa.scalar(b"", pa.large_binary())


def _key_field(name: str) -> bytes:
    """A map entry's key and empty value, as they end the entry."""
    return _constant_field(_ONE, name.encode()) + bytes([_VALUE, 0])


def deterministic_order(names: list[str]) -> list[str]:
    """The names in the order this protobuf runtime's deterministic
    serialization writes map keys, asked of protobuf itself: upb puts a
    name after the longer names it begins, C++ before them."""
    from tensorflow.core.example import example_pb2

    def first(a: str, b: str) -> int:
        example = example_pb2.Example()
        for name in (a, b):
            example.features.feature[name].SetInParent()
        data = example.SerializeToString(deterministic=True)
        return data.find(_key_field(a)) - data.find(_key_field(b))

    return sorted(names, key=functools.cmp_to_key(first))


def _varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes per varint: one per 7 significant bits."""
    sizes = np.ones(len(values), np.int64)
    for bits in range(7, 64, 7):
        over = values >= np.uint64(1 << bits)
        if not over.any():
            break
        sizes += over
    return sizes


def _varints(values: np.ndarray, prefix: int | None = None) -> pa.Array:
    """Each value as a varint (two's complement for negatives), after an optional tag byte."""
    values = values.astype(np.int64).view(np.uint64)
    sizes = _varint_sizes(values)
    lead, width = int(prefix is not None), int(sizes.max(initial=1))
    grid = np.zeros((len(values), width + lead), np.uint8)
    grid[:, 0] = prefix or 0
    for byte in range(width):
        more = (sizes > byte + 1).astype(np.uint8) << 7
        grid[:, byte + lead] = ((values >> np.uint64(7 * byte)) & np.uint64(0x7F)).astype(np.uint8) | more
    return _binary(grid[np.arange(width + lead)[None, :] < (sizes + lead)[:, None]], sizes + lead)


def _binary(data: np.ndarray, sizes: np.ndarray) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(sizes), [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))])


def _lengths(array: pa.Array) -> np.ndarray:
    offsets = np.frombuffer(array.buffers()[1], np.int64)[array.offset:array.offset + len(array) + 1]
    return np.diff(offsets)


def _field(tag: int, payload: pa.Array) -> pa.Array:
    """Each payload as a length-delimited field: tag, varint length, bytes."""
    return pc.binary_join_element_wise(_varints(_lengths(payload), tag), payload, _NOTHING)


def _constant_field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + _varints(np.array([len(payload)])).to_pylist()[0] + payload


def _lists(values: pa.Array, kind: int) -> pa.Array:
    """A value list (a Feature's payload) holding each value alone."""
    if kind == STRING:
        return _field(_ONE, pc.cast(values, pa.large_binary()))
    if kind == FLOAT:
        raw = values.to_numpy(zero_copy_only=False).astype("<f4").view(np.uint8)
        return _field(_ONE, _binary(raw, np.full(len(values), 4)))
    return _field(_ONE, _varints(values.to_numpy(zero_copy_only=False)))


def map_entries(name: str, kind: int, filled: pa.Array, values: pa.Array) -> pa.Array | pa.Scalar:
    """Each row's Features map entry for one column: its name, and its value list."""
    key = _constant_field(_ONE, name.encode())
    if kind == UNKNOWN:
        # CsvExampleGen gives a column with no value at all an empty Feature.
        return pa.scalar(_constant_field(_ONE, key + _constant_field(_VALUE, b"")), pa.large_binary())
    present = _field(_LIST_TAG[kind], _lists(values, kind))
    mask = filled.to_numpy(zero_copy_only=False)
    slots = pa.array(np.cumsum(mask) - 1, pa.int64(), mask=~mask)
    empty = pa.scalar(bytes([_LIST_TAG[kind], 0]), pa.large_binary())  # an empty cell: an empty list
    features = pc.fill_null(pc.take(present, slots), empty)
    return _field(_ONE, pc.binary_join_element_wise(
        pa.scalar(key, pa.large_binary()), _field(_VALUE, features), _NOTHING))


def encode(entries: list[pa.Array | pa.Scalar], rows: int) -> pa.Array:
    """Serialized tf.Examples from their columns' map entries, given in name order."""
    if not any(isinstance(entry, pa.Array) for entry in entries):
        entries = [pa.array([b""] * rows, pa.large_binary()), *entries]
    return _field(_ONE, pc.binary_join_element_wise(*entries, _NOTHING))


def split_of(records: list[bytes], buckets: list[int]) -> np.ndarray:
    """TFX's split index for each record: its SHA-256 as a number, bucketed."""
    digests = b"".join(hashlib.sha256(record).digest() for record in records)
    grid = np.frombuffer(digests, np.uint8).reshape(-1, 32).astype(np.int64)
    total = int(buckets[-1])
    # The 256-bit number modulo `total`, one byte's weight at a time.
    weights = np.array([pow(256, 31 - i, total) for i in range(32)], np.int64)
    return np.searchsorted(np.asarray(buckets), (grid * weights).sum(axis=1) % total, side="right")
