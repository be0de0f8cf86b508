"""Loading and switching on a real Milvus Lite store."""

import numpy as np
import pytest

from components.vector_index_pusher import index


def _rows(n, dim, seed=0):
    vectors = np.random.default_rng(seed).random((n, dim), dtype=np.float32)
    return [
        {"key": seed * 100_000 + i, "vector": v.tolist(), "split": "train", "source": {"fare": str(i)}}
        for i, v in enumerate(vectors)
    ]


@pytest.fixture
def milvus(tmp_path):
    uri = str(tmp_path / "milvus" / "test.db")
    with index.opened(uri) as client:
        yield client, uri


def test_alias_moves_to_a_new_collection_only_after_a_full_load(milvus):
    client, uri = milvus
    assert index.resolve(client, uri, "t_serving") is None
    index.load(client, uri, "t_m1", "t_serving", _rows(3000, 8, seed=1), 8)
    assert index.resolve(client, uri, "t_serving") == "t_m1"
    index.load(client, uri, "t_m2", "t_serving", _rows(5000, 8, seed=2), 8)
    assert index.resolve(client, uri, "t_serving") == "t_m2"
    assert index.count(client, "t_m2") == 5000
    assert index.count(client, "t_m1") == 3000  # the previous one stays, for a rollback


def test_a_failed_load_leaves_the_alias_on_the_previous_collection(milvus):
    client, uri = milvus
    index.load(client, uri, "t_m1", "t_serving", _rows(3000, 8, seed=1), 8)
    # The last batch's vectors are 4-d: earlier batches are already in when it fails.
    wrong = _rows(6000, 8, seed=2) + _rows(1000, 4, seed=3)
    with pytest.raises(index.IndexLoadError, match="alias t_serving still points to t_m1"):
        index.load(client, uri, "t_m2", "t_serving", wrong, 8)
    assert index.resolve(client, uri, "t_serving") == "t_m1"
    assert not client.has_collection("t_m2")  # nothing half-loaded is left behind


def test_reloading_the_served_export_is_a_no_op(milvus):
    client, uri = milvus
    rows = _rows(100, 4)
    index.load(client, uri, "t_m1", "t_serving", rows, 4)
    assert index.load(client, uri, "t_m1", "t_serving", rows, 4) == 100
    assert index.count(client, "t_m1") == 100


def test_nearest_neighbour_of_a_stored_vector_is_itself(milvus):
    client, uri = milvus
    rows = _rows(500, 8)
    index.load(client, uri, "t_m1", "t_serving", rows, 8)
    found = index.search(client, "t_m1", index.vector_of(client, "t_m1", 42), 3)
    assert found[0]["key"] == 42 and found[0]["source"] == {"fare": "42"}


def test_a_lite_file_held_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    uri = str(tmp_path / "busy.db")
    with index.opened(uri):
        probe = (
            "import sys; from components.vector_index_pusher import index\n"
            "try:\n    index.opened(sys.argv[1]).__enter__()\n"
            "except index.IndexBusy as busy:\n    print(busy)"
        )
        result = subprocess.run([sys.executable, "-c", probe, uri], capture_output=True, text=True)
    assert "another process" in result.stdout
    with index.opened(uri) as client:  # and once let go, the file opens again here
        assert client.list_collections() == []


def test_a_lite_file_stays_with_one_process_after_milvus_lite_drops_its_lock_file(tmp_path):
    """Milvus Lite deletes its lock file when a server stops, so two processes
    waiting for that one could each lock a new file and start a server on the
    same database. Tollgate's own lock keeps the file to one process."""
    import subprocess
    import sys

    uri = tmp_path / "shared.db"
    with index.opened(str(uri)):
        (tmp_path / ".shared.db.lock").unlink()  # what a stopping server's process does
        probe = (
            "import sys; from components.vector_index_pusher import index\n"
            "try:\n    index.opened(sys.argv[1]).__enter__(); print('opened a second server')\n"
            "except index.IndexBusy as busy:\n    print(busy)"
        )
        result = subprocess.run([sys.executable, "-c", probe, str(uri)], capture_output=True, text=True)
    assert "open in another process" in result.stdout, result.stdout + result.stderr


@pytest.mark.filterwarnings("ignore:pkg_resources is deprecated")  # milvus-lite's, on import
def test_a_lite_server_that_dies_after_starting_is_started_again(tmp_path):
    """Under load, a Lite server can start, outlive the 0.5 s that milvus-lite
    waits for it, then exit (the file's previous holder was still letting go).
    pymilvus keeps such a server registered in the process, so a plain retry
    reaches the dead one again; the loader lets it go and starts another."""
    from milvus_lite.server_manager import server_manager_instance
    from pymilvus import MilvusClient

    uri = str(tmp_path / "dies.db")
    MilvusClient(uri=uri).close()
    [server] = [s for path, s in server_manager_instance._servers.items() if path.endswith("dies.db")]
    server._p.kill()  # what the server did by itself
    server._p.wait()
    with index.opened(uri, wait_seconds=60) as client:
        assert client.list_collections() == []
