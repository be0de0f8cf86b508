"""Checks the input CSV before any step runs.

CsvExampleGen infers column types from the data, so a typo'd value or a
missing column surfaces later as a TensorFlow error deep inside Transform or
the Trainer. Checking here gives one readable line and leaves nothing behind.
"""

import csv
import dataclasses
from pathlib import Path

from pipeline.config import LATEST, TAXI_MODULE, TollgateConfig
from pipeline.errors import TollgateError
from pipeline.data.spans import chosen_span, spans_in
from trainer.taxi.features import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

_FIX = "pass --data with a CSV file, or a folder of CSV files, that the model can read"


@dataclasses.dataclass(frozen=True)
class Columns:
    """What a CSV's header must hold. `required`: the model's own columns,
    with the kind of value each holds; `optional`: the others it may have
    (None: any, which SchemaGen then describes); `named`: columns the config
    names, by the key that names them."""

    required: dict[str, str] = dataclasses.field(default_factory=dict)
    optional: tuple[str, ...] | None = None
    named: dict[str, str] = dataclasses.field(default_factory=dict)
    source: str = ""  # where `required` came from, for the error line: "the schema FILE"


TAXI_COLUMNS = Columns(REQUIRED_COLUMNS, OPTIONAL_COLUMNS)


def schema_columns(path: Path) -> dict[str, str]:
    """Each feature of a schema (.pbtxt) with the kind of value it holds."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    kinds = {schema_pb2.INT: "int", schema_pb2.FLOAT: "number"}
    schema = text_format.Parse(path.read_text(), schema_pb2.Schema())
    return {feature.name: kinds.get(feature.type, "string") for feature in schema.feature}


def expected_columns(config: TollgateConfig, inferred: Path | None = None) -> Columns:
    """The taxi example's own columns for its module. Another module's are
    the curated schema's, else those of `inferred` (the schema the
    pipeline's last run found), else any: SchemaGen then infers them. For
    any module, the columns its config names: a slice, drift or embedding
    column that the data lacks is refused here, not skipped or left empty later."""
    named = {column: "evaluator.slice_features" for column in config.evaluator.slice_features}
    named.update({column: "validation.drift_features" for column in config.validation.drift_features})
    if config.makes_embeddings:
        named.update({column: "embeddings.columns" for column in config.embeddings.columns})
    if not config.model.preprocessing_function_names:
        # TFMA reads the label from the raw examples; otherwise a preprocessing
        # signature may compute it, which only the trained model can show
        # (pipeline/definition/model_check.py).
        named[config.model.label_key] = "model.label_key"
    if config.model.module == TAXI_MODULE:
        return dataclasses.replace(TAXI_COLUMNS, named=named)
    if config.schema_path:
        return Columns(schema_columns(config.schema_path), named=named, source=f"the schema {config.schema_path}")
    if inferred:
        return Columns(schema_columns(inferred), named=named,
                       source=f"the schema the pipeline's last run inferred ({inferred})")
    return Columns(named=named)


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


def _check_header(path: Path, header: list[str] | None, columns: Columns) -> None:
    if not header or not any(cell.strip() for cell in header):
        raise TollgateError(f"{path} is empty; {_FIX}")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise TollgateError(f"{path} names column(s) {', '.join(twice)} more than once; rename or remove the copies")
    missing = [name for name in columns.required if name not in header]
    if missing:
        listed = f", which {columns.source} lists" if columns.source else ""
        raise TollgateError(f"{path} is missing column(s) {', '.join(missing)}{listed}; add them to the header")
    unnamed = [(name, key) for name, key in columns.named.items() if name not in header]
    if unnamed:
        name, key = unnamed[0]
        raise TollgateError(f"{path} has no column {name!r}, which the config's {key} names; "
                            "name one of its columns there, or add the column")
    if columns.optional is None:
        return
    unknown = [name for name in header if name not in columns.required and name not in columns.optional]
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


def check_file(path: Path, columns: Columns = TAXI_COLUMNS) -> int:
    """Returns the number of data rows; raises TollgateError on bad input."""
    rows, line = 0, 1
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            _check_header(path, header, columns)
            typed = [(header.index(name), name, kind) for name, kind in columns.required.items()]
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


def check_data(path: Path, columns: Columns = TAXI_COLUMNS) -> DataSummary:
    files = csv_files(path)
    return DataSummary(files=files, rows=sum(check_file(f, columns) for f in files))


def check_run_data(root: Path, span: int = LATEST, columns: Columns = TAXI_COLUMNS) -> DataSummary:
    """Checks what a run will read: the chosen span's folder, or `root` itself."""
    if spans_in(root):
        number, folder = chosen_span(root, span)
        return dataclasses.replace(check_data(folder, columns), span=number)
    if span != LATEST:
        raise TollgateError(f"--span {span} needs span-N folders under {root}; drop --span or point --data at them")
    return check_data(root, columns)
