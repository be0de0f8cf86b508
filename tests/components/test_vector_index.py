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
