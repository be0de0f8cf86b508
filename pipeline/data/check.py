"""Checks the input CSV before any step runs.

CsvExampleGen infers column types from the data, so a typo'd value or a
missing column surfaces later as a TensorFlow error deep inside Transform or
the Trainer. Checking here gives one readable line and leaves nothing behind.
"""

import csv
import dataclasses
from pathlib import Path

from pipeline.config import LATEST
from pipeline.errors import TollgateError
from pipeline.data.spans import chosen_span, spans_in
from trainer.features import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

_FIX = "pass --data with a CSV file, or a folder of CSV files, that has the taxi columns"


@dataclasses.dataclass(frozen=True)
class DataSummary:
    files: tuple[Path, ...]
    rows: int
    span: int | None = None


def csv_files(path: Path) -> tuple[Path, ...]:
    """The files CsvExampleGen will read for `path` (see pipeline.definition.backend)."""
    if not path.exists():
        raise TollgateError(f"data path {path} does not exist; {_FIX}")
    if path.is_dir():
        files = tuple(sorted(path.glob("*.csv")))
        if not files:
            raise TollgateError(f"no .csv files in {path}; {_FIX}")
        return files
    return (path,)


def _parses(value: str, kind: str) -> bool:
    if kind == "string" or value == "":
        return True
    try:
        number = float(value)
    except ValueError:
        return False
    return kind == "number" or number.is_integer()


def _check_header(path: Path, header: list[str] | None) -> None:
    if not header or not any(cell.strip() for cell in header):
        raise TollgateError(f"{path} is empty; {_FIX}")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise TollgateError(f"{path} names column(s) {', '.join(twice)} more than once; rename or remove the copies")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise TollgateError(f"{path} is missing column(s) {', '.join(missing)}; add them to the header")
    unknown = [name for name in header if name not in REQUIRED_COLUMNS and name not in OPTIONAL_COLUMNS]
    if unknown:
        # SchemaGen would take them in, and drift checks and embeddings would then differ by file.
        raise TollgateError(f"{path} has column(s) the taxi model does not know: {', '.join(unknown)}; "
                            "remove them from the header")


def _check_row(path: Path, line: int, row: list[str], width: int, typed: list) -> None:
    if len(row) != width:
        raise TollgateError(
            f"{path} line {line} has {len(row)} fields but the header has "
            f"{width}; fix the row or quote values that hold commas"
        )
    for index, name, kind in typed:
        if not _parses(row[index], kind):
            want = "an integer" if kind == "int" else "a number"
            raise TollgateError(
                f"{path} line {line}, column '{name}': {row[index]!r} is not "
                f"{want}; fix the value or leave the cell empty"
            )


def check_file(path: Path) -> int:
    """Returns the number of data rows; raises TollgateError on bad input."""
    rows, line = 0, 1
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            _check_header(path, header)
            typed = [(header.index(name), name, kind) for name, kind in REQUIRED_COLUMNS.items()]
            for row in reader:
                line = reader.line_num
                if row:
                    rows += 1
                    _check_row(path, line, row, len(header), typed)
    except UnicodeDecodeError as error:
        raise TollgateError(f"{path} is not UTF-8 text (it holds byte 0x{error.object[error.start]:02x});"
                            " save it as UTF-8") from None
    except csv.Error as error:
        raise TollgateError(f"{path} line {line + 1} can't be read as CSV ({error}); fix the row") from None
    if rows == 0:
        raise TollgateError(f"{path} has a header but no rows; {_FIX}")
    return rows


def check_data(path: Path) -> DataSummary:
    files = csv_files(path)
    return DataSummary(files=files, rows=sum(check_file(f) for f in files))


def check_run_data(root: Path, span: int = LATEST) -> DataSummary:
    """Checks what a run will read: the chosen span's folder, or `root` itself."""
    if spans_in(root):
        number, folder = chosen_span(root, span)
        return dataclasses.replace(check_data(folder), span=number)
    if span != LATEST:
        raise TollgateError(f"--span {span} needs span-N folders under {root}; drop --span or point --data at them")
    return check_data(root)
