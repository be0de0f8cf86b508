"""What differs between the places where the one pipeline runs.

`create_pipeline(config, backend)` asks its backend only for these: where the
data comes from, where a curated schema is read, where artifacts go, how the
metadata store is reached, and the commands a person types to finish a
release. Everything else, resolvers and caching included, is the same
everywhere. `LocalBackend` is the embedded default (this machine, SQLite or
MySQL, in-process Beam); `kubeflow/` plugs its own backend in over it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pipeline.config import DEFAULT_HOME, TollgateConfig
from pipeline.data.check import csv_files
from pipeline.data.spans import SPAN_PATTERN, chosen_span, spans_in
from pipeline.errors import TollgateError
from pipeline.lineage.store import connection_config


@dataclasses.dataclass(frozen=True)
class ExampleInput:
    """What CsvExampleGen reads."""

    base: Any  # a folder, or a RuntimeParameter a backend fills in at run time
    pattern: str
    span: int | None = None  # read exactly this span folder


class LocalBackend:
    name = "local"

    def example_input(self, config: TollgateConfig) -> ExampleInput:
        data = config.data_dir
        if spans_in(data):
            # The newest span is chosen here, not left to TFX: a run for the
            # newest span and its replay by `tollgate release` (which names
            # the span) then have the same ExampleGen properties, so the
            # replay is a cache hit. TFX records the span on the Examples.
            return ExampleInput(str(data), SPAN_PATTERN, chosen_span(data, config.span)[0])
        # A folder contributes its *.csv files; a single file is read alone.
        if data.is_dir():
            return ExampleInput(str(data), "*.csv")
        return ExampleInput(str(data.parent), data.name)

    def input_bytes(self, config: TollgateConfig) -> int | None:
        """The size of the CSV a run reads, which picks Beam's mode (BeamConfig.mode_for);
        None where there is none yet (a pipeline defined before its data: the run's
        data check says what is missing)."""
        data = config.data_dir
        try:
            if spans_in(data):
                data = chosen_span(data, config.span)[1]
            return sum(path.stat().st_size for path in csv_files(data))
        except TollgateError:
            return None

    def schema_file(self, config: TollgateConfig) -> str:
        return str(config.schema_path)

    def pipeline_root(self, config: TollgateConfig) -> str:
        return str(config.pipeline_root)

    def metadata_connection(self, config: TollgateConfig):
        return connection_config(config)

    def command_prefix(self, config: TollgateConfig) -> str:
        """How a person reaches this store from a shell."""
        if config.home_dir == Path(DEFAULT_HOME).expanduser().resolve():
            return "tollgate"
        return f"TOLLGATE_HOME={config.home_dir} tollgate"

    def release_command(self, config: TollgateConfig) -> str:
        """What finishes a release once the model is approved; {prefix} and {model} are filled in."""
        return "{prefix} release {model}"
