"""CSV files as typed Arrow columns, with CsvExampleGen's typing rules.

CsvExampleGen types each column over the whole input: INT when every
non-empty cell is a Python int within int64, else FLOAT when each is a
Python float, else STRING; a column with no value at all has no type. An
empty cell becomes an empty value list, and a column with no type gives
each row a feature with no list at all. These rules are applied here
column by column in Arrow; a column Arrow's casts cannot settle alone (say,
an int written with spaces) is typed and converted cell by cell in Python,
as CsvExampleGen would.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

UNKNOWN, INT, FLOAT, STRING = range(4)
_INT64 = (-(2**63), 2**63 - 1)
_DIGITS = r"^[+-]?[0-9]+$"
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
    try:
        return INT if _INT64[0] <= int(cell) <= _INT64[1] else STRING
    except ValueError:
        pass
    try:
        float(cell)
    except ValueError:
        return STRING
    return FLOAT


def _casts(values: pa.ChunkedArray, to: pa.DataType) -> bool:
    try:
        pc.cast(values, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def column_type(cells: pa.Array) -> int:
    """The type of a block of a column; a column's type is the highest of its blocks'."""
    present = pc.filter(cells, pc.not_equal(cells, ""))
    if len(present) == 0:
        return UNKNOWN
    # Arrow's int and float syntaxes lie within Python's, so a cast that
    # succeeds settles the type; only integers past int64 need a second look
    # (Python calls them STRING).
    if _casts(present, pa.int64()):
        return INT
    if _casts(present, pa.float64()):
        whole = pc.filter(present, pc.match_substring_regex(present, _DIGITS))
        return FLOAT if _casts(whole, pa.int64()) else STRING
    return max(_python_type(cell) for cell in pc.unique(present).to_pylist())


_ARROW = {INT: pa.int64(), FLOAT: pa.float64()}
_PYTHON = {INT: int, FLOAT: float}


def _values(present: pa.Array, kind: int) -> pa.Array:
    if kind == STRING:
        return pc.cast(present, pa.large_binary())
    try:
        values = pc.cast(present, _ARROW[kind])
    except pa.ArrowInvalid:
        # Typed by Python's rules (spaces, underscores): converted by them too.
        unique = pc.unique(present)
        converted = pa.array([_PYTHON[kind](cell) for cell in unique.to_pylist()], _ARROW[kind])
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
