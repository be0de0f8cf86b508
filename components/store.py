"""Opening the one MLMD store from a plain, secret-free description.

Components receive the store as a small dict (a component parameter, so it
is recorded in MLMD); the MySQL password is read from the environment here,
at connect time, so it never appears in parameters, config or metadata.
"""

from __future__ import annotations

import os

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

MYSQL_PASSWORD_ENV = "TOLLGATE_MYSQL_PASSWORD"


def connection_from_spec(spec: dict):
    """ConnectionConfig for sqlite/mysql; MetadataStoreClientConfig for grpc."""
    backend = spec["backend"]
    if backend == "grpc":
        client = metadata_store_pb2.MetadataStoreClientConfig()
        client.host = spec["host"]
        client.port = int(spec["port"])
        return client
    connection = metadata_store_pb2.ConnectionConfig()
    if backend == "mysql":
        connection.mysql.host = spec["host"]
        connection.mysql.port = int(spec["port"])
        connection.mysql.database = spec["database"]
        connection.mysql.user = spec["user"]
        connection.mysql.password = os.environ.get(MYSQL_PASSWORD_ENV, "")
    else:
        connection.sqlite.filename_uri = spec["path"]
        connection.sqlite.connection_mode = (
            metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        )
    return connection


def open_store(spec: dict) -> metadata_store.MetadataStore:
    if spec["backend"] == "sqlite":
        # SQLite creates the file, not the folder it goes in.
        os.makedirs(os.path.dirname(os.path.abspath(spec["path"])), exist_ok=True)
    return metadata_store.MetadataStore(connection_from_spec(spec))
