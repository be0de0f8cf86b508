"""What differs between the places where the one pipeline runs.

`create_pipeline(config, backend)` asks its backend only for these: where the
data comes from, where a curated schema is read, where artifacts go, how the
metadata store is reached, and whether resolvers may use Tollgate's own
strategies. `LocalBackend` is the embedded default (this machine, SQLite or
MySQL, in-process Beam); `kubeflow/` plugs its own backend in over it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfx import v1 as tfx

from pipeline.config import TollgateConfig
from pipeline.data.spans import SPAN_PATTERN, chosen_span, spans_in
from pipeline.lineage.store import connection_config


@dataclasses.dataclass(frozen=True)
class ExampleInput:
    """What CsvExampleGen reads."""

    base: Any  # a folder, or a RuntimeParameter a backend fills in at run time
    pattern: str
    span: int | None = None  # read exactly this span folder


class LocalBackend:
    name = "local"
    # A backend whose orchestrator compiles only TFX's built-in resolver
    # strategies says so here; the definition then takes the nearest one.
    builtin_resolvers_only = False

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

    def schema_file(self, config: TollgateConfig) -> str:
        return str(config.schema_path)

    def pipeline_root(self, config: TollgateConfig) -> str:
        return str(config.pipeline_root)

    def metadata_connection(self, config: TollgateConfig):
        return connection_config(config)


def resolver(backend: LocalBackend, node_id: str, ours: tuple, builtin: tuple) -> tfx.dsl.Resolver:
    """Tollgate's strategy, or the nearest built-in one where the backend runs only those.

    `ours` and `builtin` are each (strategy class, {input key: channel}).
    """
    strategy, channels = builtin if backend.builtin_resolvers_only else ours
    return tfx.dsl.Resolver(strategy_class=strategy, **channels).with_id(node_id)
