"""Embeddings and the vector index, read back from the real run in conftest's first_run."""

import json

import pytest

from components.embedding_exporter.executor import read_embeddings
from components.vector_index_pusher import index
from pipeline.cli.main import main
from pipeline.errors import TollgateError
from pipeline.lineage.model import model_lineage
from pipeline.search import query as search

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_the_collection_holds_every_exported_vector(first_run):
    config, summary, store = first_run
    export = model_lineage(store, summary.run.model_id).embeddings
    table = read_embeddings(export.embeddings.uri)
    assert export.count == table.num_rows == 15002  # both splits, every CSV row
    assert export.dimension == config.trainer.hidden_units[-1]
    [loaded] = export.indexes
    with index.opened(config.milvus_uri) as client:
        collection = index.resolve(client, config.milvus_uri, config.vector_alias)
        assert loaded.collection == collection and loaded.alias == config.vector_alias
        assert index.count(client, collection) == export.count == loaded.count


def test_searching_for_an_example_finds_it_first(first_run):
    config, summary, store = first_run
    export = model_lineage(store, summary.run.model_id).embeddings
    table = read_embeddings(export.embeddings.uri).to_pylist()
    keys = {}
    for row in table:
        keys.setdefault(row["key"], row)
    # Identical CSV rows share a key; take one that occurs once and has a fare.
    counts = {}
    for row in table:
        counts[row["key"]] = counts.get(row["key"], 0) + 1
    key = next(k for k, row in keys.items() if counts[k] == 1 and row["fare"] not in (None, 0.0))
    found = search.like(config, key, k=5)
    assert found[0]["key"] == key and found[0]["distance"] == pytest.approx(0.0, abs=1e-6)
    assert found[0]["source"]["fare"] == keys[key]["fare"]
    assert [f["distance"] for f in found] == sorted(f["distance"] for f in found)


def test_search_command_by_key_and_by_row(first_run, capsys, monkeypatch):
    config, summary, store = first_run
    monkeypatch.setenv("TOLLGATE_HOME", str(config.home_dir))
    row = read_embeddings(model_lineage(store, summary.run.model_id).embeddings.embeddings.uri).slice(0, 1).to_pylist()[0]
    assert main(["search", "--like", str(row["key"]), "-k", "3", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    adhoc = (
        "trip_start_hour=9,trip_start_day=3,trip_start_month=5,trip_start_timestamp=1400000000,"
        "payment_type=Cash,fare=9.5,trip_miles=1.5,trip_seconds=600,company=Flash Cab,"
        "pickup_latitude=41.9,pickup_longitude=-87.6,dropoff_latitude=41.9,dropoff_longitude=-87.6"
    )
    assert main(["search", "--row", adhoc, "-k", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["search", "--like", "1"]) == 2
    assert "no example 1 in" in capsys.readouterr().err


def test_a_row_of_a_few_columns_is_searched_with_the_rest_empty(first_run, capsys, monkeypatch):
    config, _, _ = first_run
    monkeypatch.setenv("TOLLGATE_HOME", str(config.home_dir))
    assert main(["search", "--row", "trip_miles=2.5,fare=9.25,payment_type=Cash", "-k", "3", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 3  # stdout stays pure JSON
    [note] = captured.err.strip().splitlines()
    assert note.startswith("tollgate: embedded the row from fare, payment_type, trip_miles;")
    filled = note.split("empty cells: ")[1].split(", ")
    assert {"trip_start_day", "company", "tips"} <= set(filled)
    assert not {"fare", "payment_type", "trip_miles"} & set(filled)
    # Every column empty but one still embeds, and close rows share that value.
    results = search.by_row(config, "payment_type=Cash", k=5)
    assert results.given == ["payment_type"] and len(results.hits) == 5
    assert main(["search", "--row", "fare=cheap"]) == 2
    assert "column fare needs a number, got 'cheap'" in capsys.readouterr().err


def test_search_before_any_release_is_a_clear_error(tmp_path):
    from pipeline.config_file import load_config

    with pytest.raises(TollgateError, match="release a model first"):
        search.like(load_config(None, home=str(tmp_path)), 1)
