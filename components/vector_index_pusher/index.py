"""Milvus collections behind an alias: load fully, check, then switch.

One collection per exported Embeddings artifact; readers go through an
alias. The alias moves only after every vector is in and the collection's
count equals the export's, so a reader never sees a half-loaded index; a
failed load drops its own collection and leaves the alias where it was.

Milvus Lite (the embedded default, a `.db` file) does not implement
aliases, so there the alias is a row in a small `tollgate_aliases`
collection, switched by one upsert; a Milvus server uses its own aliases.
The server token comes from $TOLLGATE_MILVUS_TOKEN, never from parameters.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("tollgate.index")
TOKEN_ENV = "TOLLGATE_MILVUS_TOKEN"
ALIAS_TABLE = "tollgate_aliases"
# Two inserts in flight overlap pymilvus' row packing with the server's work:
# about 1.6x the throughput of one at a time on two cores.
_INSERT_BATCH, _INSERT_THREADS = 2500, 3


class IndexLoadError(RuntimeError):
    """A load that did not complete; the alias was left unchanged."""


def is_lite(uri: str) -> bool:
    return uri.endswith(".db")


class IndexUnavailable(RuntimeError):
    """The index could not be opened; the message says why and what to do."""


class IndexBusy(IndexUnavailable):
    """The Milvus Lite file is held by another process."""


# A Lite server that died after starting is started again this many times before its error stands.
_RESTARTS = 2


@contextlib.contextmanager
def opened(uri: str, wait_seconds: float = 0):
    """A client for the index; on exit it is closed and a Lite file let go.

    Milvus Lite lets one process at a time open a file, and keeps it until
    told to stop, so every user of the index here opens it only for as long
    as it needs it, and a loader waits up to `wait_seconds` for its turn.
    """
    deadline = time.monotonic() + wait_seconds
    with _one_process(uri, deadline):
        client = _connect(uri, deadline)
        try:
            yield client
        finally:
            client.close()
            if is_lite(uri):
                _let_go(uri)


@contextlib.contextmanager
def _one_process(uri: str, deadline: float):
    """Holds a lock of Tollgate's own on a Lite file, for as long as its server runs.

    Milvus Lite's own lock file is deleted by the process that stops its
    server: two processes waiting for it can then each create and lock a
    new one, and start two servers on one file, whose writes fail with
    "database is locked". This lock file is never deleted."""
    if not is_lite(uri):
        yield
        return
    folder = os.path.dirname(os.path.abspath(uri))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f".{os.path.basename(uri)}.tollgate-lock")
    with open(path, "a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"the vector index {uri} is open in another process (a `tollgate search` "
                                    "or a run): wait for it to end, then retry") from None
                time.sleep(0.2)
        yield


def _let_go(uri: str) -> None:
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(uri)


def _connect(uri: str, deadline: float):
    # milvus-lite imports pkg_resources, which warns on every start.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    from pymilvus import MilvusClient
    from pymilvus.exceptions import ConnectionConfigException, MilvusException

    restarts = 0
    for attempt in itertools.count():
        try:
            return MilvusClient(uri=uri, token=os.environ.get(TOKEN_ENV, ""))
        except ConnectionConfigException as error:
            problem = error.message
        except MilvusException as error:
            if not is_lite(uri):
                raise
            # Its server started, then died or never answered. It stays
            # registered in this process, where a retry would reach it again.
            _let_go(uri)
            if restarts == _RESTARTS:
                raise IndexUnavailable(f"the Milvus Lite server for {uri} stopped answering {restarts + 1} times "
                                       f"({error.message}); run the step again") from None
            restarts += 1
            continue
        if time.monotonic() >= deadline:
            raise IndexBusy(
                f"cannot open the vector index {uri} ({problem}); another process "
                "(a `tollgate search` or a run) may hold it: wait for it to end, then retry"
            )
        if attempt == 0:
            log.info("the vector index %s is held by another process; waiting for it", uri)
        time.sleep(0.5)


def _alias_table(client) -> None:
    from pymilvus import DataType, MilvusClient

    if client.has_collection(ALIAS_TABLE):
        return
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("alias", DataType.VARCHAR, is_primary=True, max_length=255)
    schema.add_field("collection", DataType.VARCHAR, max_length=255)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs one vector field
    index = client.prepare_index_params()
    index.add_index("unused", index_type="FLAT", metric_type="L2")
    client.create_collection(ALIAS_TABLE, schema=schema, index_params=index)


def resolve(client, uri: str, alias: str) -> str | None:
    """The collection the alias points to, or None."""
    if not is_lite(uri):
        try:
            return client.describe_alias(alias).get("collection_name")
        except Exception:  # pymilvus raises a bare MilvusException for "no such alias"
            return None
    if not client.has_collection(ALIAS_TABLE):
        return None
    found = client.get(ALIAS_TABLE, ids=[alias], output_fields=["collection"])
    return found[0]["collection"] if found else None


def point(client, uri: str, alias: str, collection: str) -> None:
    if not is_lite(uri):
        if resolve(client, uri, alias) is None:
            client.create_alias(collection, alias)
        else:
            client.alter_alias(collection, alias)
        return
    _alias_table(client)
    client.upsert(ALIAS_TABLE, [{"alias": alias, "collection": collection, "unused": [0.0, 0.0]}])


def _create(client, uri: str, name: str, dimension: int) -> None:
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("split", DataType.VARCHAR, max_length=64)
    schema.add_field("source", DataType.JSON)
    index = client.prepare_index_params()
    # Exact search on the embedded store; the server picks its own index.
    index.add_index("vector", index_type="FLAT" if is_lite(uri) else "AUTOINDEX", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)


def rows_of(table, columns: list[str]) -> list[dict]:
    """Parquet rows as Milvus rows: key, vector, split and the source columns."""
    data = table.to_pydict()
    return [
        {
            "key": data["key"][i],
            "vector": data["vector"][i],
            "split": data["split"][i],
            "source": {c: data[c][i] for c in columns},
        }
        for i in range(table.num_rows)
    ]


def count(client, name: str) -> int:
    return int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])


def load(client, uri: str, name: str, alias: str, rows: list[dict], dimension: int) -> int:
    """Loads `rows` into a new collection `name`, then points `alias` at it."""
    if resolve(client, uri, alias) == name and count(client, name) == len(rows):
        return len(rows)  # this export is already the one being served
    if client.has_collection(name):
        client.drop_collection(name)  # a leftover of an earlier, failed load
    _create(client, uri, name, dimension)

    def insert(batch: list[dict]) -> None:
        # Milvus Lite stores a vector of the wrong length without complaint,
        # reading its floats into the next rows; so check every one here.
        wrong = next((r for r in batch if len(r["vector"]) != dimension), None)
        if wrong is not None:
            raise IndexLoadError(f"example {wrong['key']} has a {len(wrong['vector'])}-d vector, the index {dimension}-d")
        client.insert(name, batch)

    try:
        batches = [rows[i:i + _INSERT_BATCH] for i in range(0, len(rows), _INSERT_BATCH)]
        with ThreadPoolExecutor(_INSERT_THREADS) as pool:
            list(pool.map(insert, batches))
        loaded = count(client, name)
        if loaded != len(rows):
            raise IndexLoadError(f"collection {name} holds {loaded} vectors, expected {len(rows)}")
    except Exception as error:
        client.drop_collection(name)
        raise IndexLoadError(
            f"loading {len(rows)} vectors into {name} failed ({error}); "
            f"alias {alias} still points to {resolve(client, uri, alias) or 'nothing'}"
        ) from error
    point(client, uri, alias, name)
    return len(rows)


def _results(hits) -> list[dict]:
    return [
        {
            "key": hit["id"],
            "distance": float(hit["distance"]),
            "split": hit["entity"].get("split"),
            "source": hit["entity"].get("source"),
        }
        for hit in hits
    ]


def search(client, collection: str, vector, k: int) -> list[dict]:
    [hits] = client.search(
        collection, data=[list(map(float, vector))], limit=k, output_fields=["key", "split", "source"]
    )
    return _results(hits)


def vector_of(client, collection: str, key: int):
    found = client.get(collection, ids=[key], output_fields=["vector"])
    return found[0]["vector"] if found else None

