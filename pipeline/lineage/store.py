"""How Tollgate reaches its one ML Metadata store."""

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from components.store import connection_from_spec, open_store
from pipeline.config import MetadataConfig, TollgateConfig
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


def connection_config(config: TollgateConfig) -> metadata_store_pb2.ConnectionConfig:
    """The direct connection a local run needs: SQLite by default, MySQL for teams."""
    if config.metadata.backend == "grpc":
        raise TollgateError(
            "metadata.backend 'grpc' reaches a cluster's store for commands only; "
            "local runs need 'sqlite' or 'mysql'"
        )
    return connection_from_spec(metadata_spec(config))


def store_for(config: TollgateConfig) -> metadata_store.MetadataStore:
    return open_store(metadata_spec(config))
