"""How Tollgate reaches its one ML Metadata store."""

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from components.store import connection_from_spec, open_store
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError


def metadata_spec(config: TollgateConfig) -> dict:
    """The store as a secret-free dict, for components and commands alike."""
    meta = config.metadata
    if meta.backend == "mysql":
        return {
            "backend": "mysql", "host": meta.mysql_host, "port": meta.mysql_port,
            "database": meta.mysql_database, "user": meta.mysql_user,
        }
    if meta.backend == "grpc":
        return {"backend": "grpc", "host": meta.grpc_host, "port": meta.grpc_port}
    config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return {"backend": "sqlite", "path": str(config.sqlite_path)}


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
