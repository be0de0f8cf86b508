"""Shared fixtures: tiny CSVs, the taxi sample, and one real run that read-only tests share."""

import csv
import os
import shutil
import tempfile
from pathlib import Path

from pipeline.environment import prepare_process

# Approvers' keys live in $HOME (components/signoff/keys.py): the session, and
# every `tollgate` it starts, gets a home of its own, never the machine's.
os.environ["HOME"] = tempfile.mkdtemp(prefix="tollgate-tests-home-")
os.environ.pop("TOLLGATE_KEY", None)

# The test session is an entry point: set up the process before TensorFlow loads.
prepare_process()

import pytest  # noqa: E402
# Importing pymilvus runs logging.config.dictConfig, which closes every logging
# handler there is; absl's keeps the stream pytest captures into. Imported first
# inside a test that swapped sys.stderr (capsys), it would close pytest's own
# capture file and crash the session, so import it while nothing is swapped.
import pymilvus  # noqa: E402,F401

from components.signoff import records  # noqa: E402
from tests import people  # noqa: E402
from tests.groups import group_by_shared_fixtures  # noqa: E402
from pipeline.config import default_data_root  # noqa: E402
from pipeline.config_file import load_config  # noqa: E402
from pipeline.lineage.store import store_for  # noqa: E402
from pipeline.local.release import release  # noqa: E402
from pipeline.local.runner import run_pipeline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

TAXI_CSV = Path(default_data_root()) / "data.csv"


def taxi_rows(count: int) -> tuple[list[str], list[list[str]]]:
    """The header and the first `count` rows of the taxi sample."""
    with open(TAXI_CSV, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for _, row in zip(range(count), reader)]
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def copy_taxi(root: Path) -> Path:
    """The whole taxi sample, copied to a folder a test owns."""
    data = root / "data" / "taxi.csv"
    data.parent.mkdir(parents=True)
    shutil.copy(TAXI_CSV, data)
    return data


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into node ids
def pytest_collection_modifyitems(config, items):
    group_by_shared_fixtures(items)


@pytest.fixture(scope="session")
def first_run(tmp_path_factory):
    """Run, approve as 'auditor', release: (config, release summary, store)."""
    root = tmp_path_factory.mktemp("e2e")
    data = copy_taxi(root)
    config = load_config(None, home=str(root / "home"), data_root=str(data), trainer__train_steps=200)
    awaiting = run_pipeline(config)
    assert awaiting.run.status == "awaiting sign-off" and awaiting.run.pushed is None
    assert not Path(config.milvus_uri).exists()  # no vector index before a release
    store = store_for(config)
    [request] = records.pending_requests(store)
    people.approve(config, request.model_id, "auditor")
    return config, release(config, awaiting.run.model_id), store


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    header, rows = taxi_rows(50)
    return write_csv(tmp_path / "data" / "taxi.csv", header, rows)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A throwaway MariaDB server for the whole session (tests/mariadb.py). If it
    can't start, every test that needs it fails with the reason: never a skip."""
    from tests.mariadb import MariaDB, MariaDBUnavailable

    server = MariaDB(tmp_path_factory.mktemp("mariadb"))
    try:
        server.start()
    except MariaDBUnavailable as error:
        server.stop()
        pytest.fail(f"MariaDB for the store tests: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def mysql_password(monkeypatch):
    """The throwaway server's password, given as a user gives it: in the environment."""
    from components.store import MYSQL_PASSWORD_ENV
    from tests.mariadb import PASSWORD

    monkeypatch.setenv(MYSQL_PASSWORD_ENV, PASSWORD)
