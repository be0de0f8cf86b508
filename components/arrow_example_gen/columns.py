"""CSV files as typed Arrow columns, with CsvExampleGen's typing rules.

CsvExampleGen types each column over the whole input: INT when every
non-empty cell is a Python int within int64, else FLOAT when each is a
Python float, else STRING; a column with no value at all has no type. An
empty cell becomes an empty value list, and a column with no type gives
each row a feature with no list at all. These rules are applied here
column by column in Arrow where every cell is a plain decimal spelling; any
other column (an int written with spaces, say) is typed and converted by
Python's rules, one distinct cell at a time, as CsvExampleGen would.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

UNKNOWN, INT, FLOAT, STRING = range(4)
_INT64 = (-(2**63), 2**63 - 1)
_INT = r"^[+-]?[0-9]+$"
_FLOAT = r"(?i)^[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity|nan)$"
_BLOCK_BYTES = 16 << 20  # about 100,000 taxi rows: memory stays flat whatever the file's size


class CsvFormatError(ValueError):
    """A CSV file cannot be parsed (a row with the wrong number of cells, say)."""


def header(handle) -> list[str]:
    """The column names on a file's first line, split as CsvExampleGen splits them."""
    return handle.readline().decode("utf-8").strip().split(",")


def batches(source, names: list[str]):
    """One file's rows, a block at a time, every cell a string ("" when empty)."""
    try:
        yield from csv.open_csv(
            source,
            read_options=csv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK_BYTES),
            # Quoted cells may hold line breaks, as CsvExampleGen allows.
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        raise CsvFormatError(str(error).splitlines()[0]) from None


def _python_type(cell: str) -> int:
    """CsvExampleGen's rule for one cell, which it applies to the cell's bytes."""
    raw = cell.encode()
    try:
        return INT if _INT64[0] <= int(raw) <= _INT64[1] else STRING
    except ValueError:
        pass
    try:
        float(raw)
    except ValueError:
        return STRING
    return FLOAT


def _all_match(cells: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(cells, pattern)).as_py())


def _fits_int64(cells: pa.Array) -> bool:
    try:
        pc.cast(cells, pa.int64())
    except pa.ArrowInvalid:
        return False
    return True


def column_type(cells: pa.Array) -> int:
    """The type of a block of a column; a column's type is the highest of its blocks'."""
    present = pc.filter(cells, pc.not_equal(cells, ""))
    if len(present) == 0:
        return UNKNOWN
    # Plain decimal spellings, which Python reads as Arrow does, are settled
    # here; anything else (spaces, underscores, hex, other scripts' digits)
    # takes CsvExampleGen's own rule, cell by distinct cell.
    if _all_match(present, _INT):
        return INT if _fits_int64(present) else STRING  # Python: past int64 is STRING
    if _all_match(present, _FLOAT):
        return FLOAT if _fits_int64(pc.filter(present, pc.match_substring_regex(present, _INT))) else STRING
    return max(_python_type(cell) for cell in pc.unique(present).to_pylist())


_ARROW = {INT: pa.int64(), FLOAT: pa.float64()}
_PYTHON = {INT: int, FLOAT: float}
_PATTERN = {INT: _INT, FLOAT: _FLOAT}


def _values(present: pa.Array, kind: int) -> pa.Array:
    if kind == STRING:
        return pc.cast(present, pa.large_binary())
    try:
        if not _all_match(present, _PATTERN[kind]):
            raise pa.ArrowInvalid("not a plain decimal spelling")
        values = pc.cast(present, _ARROW[kind])
    except pa.ArrowInvalid:
        # Read by Python's rules, as CsvExampleGen reads them.
        unique = pc.unique(present)
        converted = pa.array([_PYTHON[kind](cell.encode()) for cell in unique.to_pylist()], _ARROW[kind])
        values = pc.take(converted, pc.index_in(present, value_set=unique))
    if kind == FLOAT:
        # Python's float, then the proto's float32, rounds the same way.
        values = pc.cast(values, pa.float32(), safe=False)
    return values


def typed(cells: pa.Array, kind: int) -> tuple[pa.Array, pa.Array]:
    """Which rows have a value, and those values in the column's type."""
    filled = pc.not_equal(cells, "")
    if kind == UNKNOWN:
        return filled, pa.array([], pa.int64())
    return filled, _values(pc.filter(cells, filled), kind)
