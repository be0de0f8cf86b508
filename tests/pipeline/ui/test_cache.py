"""The desk's page cache over a real store on SQLite and on the suite's
MariaDB: a page is read again whenever anything it was read from changes,
by MLMD, by raw SQL or in the keyring, and never otherwise."""

import os
import shutil
import sqlite3
import time

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from pipeline.config_file import load_config
from pipeline.lineage.store import store_for
from pipeline.ui import cache


@pytest.fixture(params=["sqlite", "mariadb"])
def config(request, tmp_path):
    if request.param == "sqlite":
        return load_config(None, home=str(tmp_path / "home"))
    request.getfixturevalue("mysql_password")
    server, database = request.getfixturevalue("mariadb"), f"cache_{tmp_path.name}"[:60]
    server.sql(f"CREATE DATABASE `{database}`")
    return load_config(None, home=str(tmp_path / "home"), metadata__backend="mysql", metadata__host="127.0.0.1",
                       metadata__port=server.port, metadata__database=database, metadata__user="tollgate")


def raw_sql(request, config, statement: str) -> None:
    """As anyone who can write to the store may: round MLMD."""
    if config.metadata.backend == "sqlite":
        with sqlite3.connect(config.sqlite_path) as db:
            db.execute(statement)
    else:
        request.getfixturevalue("mariadb").sql(f"USE `{config.metadata.database}`; {statement}")


class Reads:
    """A page whose every read is counted."""

    def __init__(self):
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def add_artifact(config) -> int:
    store = store_for(config)  # a connection of its own, as another process has
    kind = store.put_artifact_type(mlmd.ArtifactType(name="Thing"))
    [made] = store.put_artifacts([mlmd.Artifact(type_id=kind, uri="/a")])
    return made


def test_a_page_is_kept_until_the_store_changes_through_mlmd(config):
    store_for(config)
    pages, read = cache.PageCache(config), Reads()
    assert [pages.get(("runs",), read) for _ in range(3)] == [1, 1, 1]
    add_artifact(config)
    assert pages.get(("runs",), read) == 2 and pages.get(("runs",), read) == 2
    assert pages.get(("audit",), read) == 3  # each page is kept on its own


def test_a_change_by_raw_sql_shows_at_once_on_sqlite_and_within_the_bound_on_mysql(request, config, monkeypatch):
    made = add_artifact(config)
    monkeypatch.setattr(cache, "MYSQL_LONGEST", 0.5)
    pages, read = cache.PageCache(config), Reads()
    assert pages.get(("review", 1), read) == 1
    raw_sql(request, config, f"UPDATE Artifact SET uri = '/elsewhere' WHERE id = {made}")  # MLMD's stamps stay
    if config.metadata.backend == "mysql":
        time.sleep(1.0)
    assert pages.get(("review", 1), read) == 2


def test_a_change_to_the_keyring_reads_the_page_again(config):
    store_for(config)
    pages, read = cache.PageCache(config), Reads()
    assert pages.get(("audit",), read) == 1
    config.keyring_path.parent.mkdir(parents=True, exist_ok=True)
    config.keyring_path.write_text("alice passkey ...\n")
    assert pages.get(("audit",), read) == 2 and pages.get(("audit",), read) == 2


def test_a_write_while_a_page_is_read_makes_the_next_request_read_it_again(config):
    store_for(config)
    pages, reads = cache.PageCache(config), []

    def read_while_a_run_writes():
        reads.append("read")
        if len(reads) == 1:
            add_artifact(config)
        return len(reads)

    assert pages.get(("pending",), read_while_a_run_writes) == 1
    assert pages.get(("pending",), read_while_a_run_writes) == 2
    assert pages.get(("pending",), read_while_a_run_writes) == 2


def test_no_more_pages_are_kept_than_the_bound(config, monkeypatch):
    store_for(config)
    monkeypatch.setattr(cache, "KEPT", 2)
    pages, read = cache.PageCache(config), Reads()
    for model in (1, 2, 3):
        pages.get(("review", model), read)
    assert pages.get(("review", 3), read) == 3 and pages.get(("review", 1), read) == 4  # 1 went first


def test_an_sqlite_file_put_in_place_of_the_old_one_is_followed(tmp_path):
    config = load_config(None, home=str(tmp_path / "home"))
    add_artifact(config)
    pages, read = cache.PageCache(config), Reads()
    assert pages.get(("runs",), read) == 1
    shutil.copy(config.sqlite_path, tmp_path / "restored.sqlite")
    os.replace(tmp_path / "restored.sqlite", config.sqlite_path)  # as a restore from a backup does
    assert pages.get(("runs",), read) == 2
    add_artifact(config)  # written to the new file: seen too
    assert pages.get(("runs",), read) == 3 and pages.get(("runs",), read) == 3


def test_the_files_a_proof_hashes_version_every_change_to_their_bytes_or_kind(tmp_path):
    model = tmp_path / "model" / "Format-Serving"
    model.mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    before = cache.folders_version(tmp_path / "serving", tmp_path / "model")
    (model / "saved_model.pb").write_bytes(b"GRAPH")  # same size
    changed = cache.folders_version(tmp_path / "serving", tmp_path / "model")
    (tmp_path / "elsewhere.pb").write_bytes(b"GRAPH")
    (model / "saved_model.pb").unlink()
    (model / "saved_model.pb").symlink_to(tmp_path / "elsewhere.pb")
    linked = cache.folders_version(tmp_path / "serving", tmp_path / "model")
    assert len({before, changed, linked}) == 3
