"""Opening the one MLMD store from a plain, secret-free description.

Components receive the store as a small dict (a component parameter, so it
is recorded in MLMD); the MySQL password is read from the environment here,
at connect time, so it never appears in parameters, config or metadata.
"""

from __future__ import annotations

import os
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

MYSQL_PASSWORD_ENV = "TOLLGATE_MYSQL_PASSWORD"
# Processes that open an empty MySQL database at once all create MLMD's
# tables; all but one then fail with a deadlock, "table definition has
# changed" or MLMD's own "concurrent connection to the empty database", and
# each of those asks for a retry.
_RETRY_ON, _ATTEMPTS = ("retry", "restarting transaction", "lock wait timeout"), 8


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
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return metadata_store.MetadataStore(connection_from_spec(spec))
        except RuntimeError as error:
            if attempt == _ATTEMPTS or not any(cause in str(error).lower() for cause in _RETRY_ON):
                raise
            time.sleep(0.2 * attempt)
