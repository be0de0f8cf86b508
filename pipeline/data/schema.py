"""A curated schema: inferred once from data, then edited and checked in.

SchemaGen infers a schema from each run's own data, so a column that
disappears, or a new category, is simply described rather than caught.
A schema kept in the repository (`validation.schema_file`) is a contract
that new spans are checked against instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.data.spans import spans_in
from pipeline.errors import TollgateError


def _pattern(data: Path) -> str:
    if data.is_file():
        return str(data)
    if spans_in(data):
        return str(data / "span-*" / "*.csv")
    if data.is_dir() and any(data.glob("*.csv")):
        return str(data / "*.csv")
    raise TollgateError(f"no CSV data at {data}; pass --data with a CSV file or folder")


def infer_schema(data: Path, out: Path) -> Path:
    """Infers the schema as SchemaGen would, and writes it as text to `out`."""
    import tensorflow_data_validation as tfdv

    statistics = tfdv.generate_statistics_from_csv(data_location=_pattern(data))
    schema = tfdv.infer_schema(statistics, infer_feature_shape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=out.parent, suffix=".pbtxt")
    os.close(handle)
    tfdv.write_schema_text(schema, scratch)
    os.replace(scratch, out)
    return out
