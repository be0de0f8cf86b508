"""An ad-hoc row, typed by the model's schema, as the model would read it.

A user types the few columns they know. Every other column of the schema is
treated like an empty CSV cell: an empty value list, as CsvExampleGen writes
one. A column the schema says always has one value (a fixed shape) cannot be
empty when parsed, so it gets the type's zero (0, or the empty string) —
which is what the taxi preprocessing_fn puts in an empty cell anyway.
"""

from __future__ import annotations

import glob
import os

from pipeline.errors import TollgateError


def parse_row(text: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise TollgateError(f"--row {text!r} is not 'column=value,column=value'")
    return {name.strip(): value.strip() for name, value in pairs}


def read_schema(schema_uri: str):
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    [path] = glob.glob(os.path.join(schema_uri, "schema.pbtxt"))
    with open(path) as handle:
        return text_format.Parse(handle.read(), schema_pb2.Schema())


def _values(feature, kind, value: str | None) -> None:
    """Appends `value` (None: an empty cell) to the tf.Example feature, typed by `kind`."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    if kind.type == schema_pb2.INT:
        values, parse, zero = feature.int64_list, int, 0
    elif kind.type == schema_pb2.FLOAT:
        values, parse, zero = feature.float_list, float, 0.0
    else:
        values, parse, zero = feature.bytes_list, str.encode, b""
    values.SetInParent()  # present, if empty: like an empty CSV cell
    if value is not None:
        values.value.append(parse(value))
    elif kind.shape.dim:
        values.value.append(zero)


def example_from_row(row: dict[str, str], schema) -> tuple[bytes, list[str]]:
    """(serialized tf.Example, the schema's columns the row left empty)."""
    from tensorflow.core.example import example_pb2

    kinds = {f.name: f for f in schema.feature}
    unknown = sorted(set(row) - set(kinds))
    if unknown:
        raise TollgateError(f"unknown column(s) {', '.join(unknown)}; the schema has: {', '.join(sorted(kinds))}")
    example = example_pb2.Example()
    for name, kind in kinds.items():
        try:
            _values(example.features.feature[name], kind, row.get(name))
        except ValueError:
            raise TollgateError(f"column {name} needs a number, got {row[name]!r}") from None
    return example.SerializeToString(), sorted(set(kinds) - set(row))
