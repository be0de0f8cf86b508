"""How Tollgate connects to its one ML Metadata store."""

import os

from ml_metadata.proto import metadata_store_pb2

from pipeline.config import MYSQL_PASSWORD_ENV, TollgateConfig


def connection_config(config: TollgateConfig) -> metadata_store_pb2.ConnectionConfig:
    """SQLite under the state directory by default; MySQL for teams.

    The MySQL password is read from the environment at connect time, so it is
    never part of the config file or of any component parameter.
    """
    connection = metadata_store_pb2.ConnectionConfig()
    if config.metadata.backend == "mysql":
        mysql = connection.mysql
        mysql.host = config.metadata.mysql_host
        mysql.port = config.metadata.mysql_port
        mysql.database = config.metadata.mysql_database
        mysql.user = config.metadata.mysql_user
        mysql.password = os.environ.get(MYSQL_PASSWORD_ENV, "")
    else:
        config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        connection.sqlite.filename_uri = str(config.sqlite_path)
        connection.sqlite.connection_mode = (
            metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        )
    return connection
