"""How Tollgate reaches its one ML Metadata store."""

import contextlib
import os
import sqlite3
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from components.store import connection_from_spec, open_store
from pipeline.config import TAXI_MODULE, MetadataConfig, TollgateConfig
from pipeline.data.check import Columns, expected_columns
from pipeline.errors import TollgateError


def store_spec(store: MetadataConfig, sqlite_path) -> dict:
    """A store as a secret-free dict, for components and commands alike."""
    if store.backend == "mysql":
        return {"backend": "mysql", "host": store.host, "port": store.port,
                "database": store.database, "user": store.user}
    if store.backend == "grpc":
        return {"backend": "grpc", "host": store.host, "port": store.port}
    return {"backend": "sqlite", "path": str(sqlite_path)}


def metadata_spec(config: TollgateConfig) -> dict:
    """The config's store as a secret-free dict."""
    return store_spec(config.metadata, config.sqlite_path)


def _check_sqlite(path: Path) -> None:
    """Refuses a folder that can't be written, and a file that is not a metadata
    store, before MLMD would fail with a traceback or add its tables to it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TollgateError(f"can't create the state folder {path.parent} ({error.strerror}); "
                            "set TOLLGATE_HOME to a folder you can write") from None
    if not os.access(path.parent, os.W_OK):
        raise TollgateError(f"the state folder {path.parent} can't be written; set TOLLGATE_HOME to a folder you can write")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise TollgateError(f"{path} is not a metadata store ({error}); move it away, "
                            "or set metadata.sqlite_path to Tollgate's store") from None
    if "MLMDEnv" not in tables:
        raise TollgateError(f"{path} is an SQLite file but not a metadata store (it has no MLMDEnv table); "
                            "move it away, or set metadata.sqlite_path to Tollgate's store")


def check_store(config: TollgateConfig) -> dict:
    """The config's store spec, once an SQLite store is known to be usable."""
    spec = metadata_spec(config)
    if spec["backend"] == "sqlite":
        _check_sqlite(Path(spec["path"]))
    return spec


def connection_config(config: TollgateConfig) -> metadata_store_pb2.ConnectionConfig:
    """The direct connection a local run needs: SQLite by default, MySQL for teams."""
    if config.metadata.backend == "grpc":
        raise TollgateError(
            "metadata.backend 'grpc' reaches a cluster's store for commands only; "
            "local runs need 'sqlite' or 'mysql'"
        )
    return connection_from_spec(metadata_spec(config))


def store_for(config: TollgateConfig) -> metadata_store.MetadataStore:
    return open_store(check_store(config))


def inferred_schema(config: TollgateConfig) -> Path | None:
    """The schema SchemaGen inferred in the pipeline's newest run, for the
    data check of the next; None before the first run, which creates nothing."""
    if config.metadata.backend == "sqlite" and not config.sqlite_path.exists():
        return None
    under = str(config.pipeline_root / "SchemaGen") + os.sep
    schemas = [a for a in store_for(config).get_artifacts_by_type("Schema") if a.uri.startswith(under)]
    newest = max(schemas, key=lambda a: a.id, default=None)
    path = Path(newest.uri) / "schema.pbtxt" if newest else None
    return path if path and path.is_file() else None


def columns_for_run(config: TollgateConfig) -> Columns:
    """What the next run's CSV must hold; the store is read only when the
    last run's inferred schema is what decides."""
    needs_store = config.model.module != TAXI_MODULE and not config.schema_path
    return expected_columns(config, inferred_schema(config) if needs_store else None)
