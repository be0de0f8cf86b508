"""The row-count gate on real ExampleGen output, whole and with records gone."""

import gzip
import json

import pytest
import tensorflow as tf
from tfx.dsl.components.common.importer import Importer
from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.pipeline import Pipeline
from tfx.types import standard_artifacts

from components.arrow_example_gen import executor as arrow
from components.arrow_example_gen.executor import ROWS_READ
from components.example_count_gate.component import ExampleCountGate, ExamplesLostError
from components.example_count_gate.count import count_records
from components.store import open_store
from tests.components.test_arrow_example_gen import _properties, _run
from tests.conftest import taxi_rows, write_csv


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """ExampleGen's real output for 3,000 taxi rows."""
    tmp = tmp_path_factory.mktemp("count")
    header, rows = taxi_rows(3000)
    write_csv(tmp / "data" / "taxi.csv", header, rows)
    return _run(arrow.Executor(), _properties(tmp / "data"), tmp / "examples")


def _copy_losing(artifact, tmp_path, split: str, lost: int):
    """A copy of the Examples whose `split` files lack `lost` records."""
    copy = standard_artifacts.Examples()
    copy.uri = str(tmp_path / "examples")
    copy.split_names = artifact.split_names
    copy.set_string_custom_property(ROWS_READ, artifact.get_string_custom_property(ROWS_READ))
    for path in tf.io.gfile.glob(f"{artifact.uri}/Split-*/*"):
        target = path.replace(artifact.uri, copy.uri)
        tf.io.gfile.makedirs(target.rsplit("/", 1)[0])
        records = list(tf.data.TFRecordDataset(path, compression_type="GZIP").as_numpy_iterator())
        if f"/Split-{split}/" in path:
            records, lost = records[lost:], 0
        with tf.io.TFRecordWriter(target, "GZIP") as writer:
            for record in records:
                writer.write(record)
    return copy


def test_whole_output_passes(written):
    ExampleCountGate.test_call(examples=written)


def test_a_lost_record_stops_the_run_naming_both_counts(written, tmp_path):
    read = json.loads(written.get_string_custom_property(ROWS_READ))
    damaged = _copy_losing(written, tmp_path, "eval", 7)
    with pytest.raises(ExamplesLostError) as caught:
        ExampleCountGate.test_call(examples=damaged)
    message = str(caught.value)
    assert f"wrote {2993:,} examples of the {3000:,} CSV rows" in message
    assert f"eval: {read['eval'] - 7:,} of {read['eval']:,}" in message
    assert f"train: {read['train']:,} of {read['train']:,}" in message
    assert "\n" not in message


def test_examples_without_a_count_are_refused(written, tmp_path):
    bare = standard_artifacts.Examples()
    bare.uri, bare.split_names = written.uri, written.split_names
    with pytest.raises(ExamplesLostError, match="no count of the CSV rows"):
        ExampleCountGate.test_call(examples=bare)


def test_the_failed_gate_is_recorded_in_mlmd(written, tmp_path):
    damaged = _copy_losing(written, tmp_path, "train", 1)
    importer = Importer(source_uri=damaged.uri, artifact_type=standard_artifacts.Examples, properties={
        "split_names": damaged.split_names}, custom_properties={
        ROWS_READ: damaged.get_string_custom_property(ROWS_READ)}).with_id("examples")
    gate = ExampleCountGate(examples=importer.outputs["result"])
    db = tmp_path / "metadata.sqlite"
    pipeline = Pipeline(pipeline_name="count", pipeline_root=str(tmp_path / "root"), components=[importer, gate],
                        metadata_connection_config=metadata.sqlite_metadata_connection_config(str(db)))
    with pytest.raises(ExamplesLostError):
        LocalDagRunner().run(pipeline)
    store = open_store({"backend": "sqlite", "path": str(db)})
    [execution] = store.get_executions_by_type(gate.type)
    assert execution.last_known_state == execution.FAILED


def test_a_record_cut_short_does_not_count(tmp_path):
    whole = tmp_path / "whole" / "data.gz"
    whole.parent.mkdir()
    with tf.io.TFRecordWriter(str(whole), "GZIP") as writer:
        for record in (b"a" * 10, b"b" * 300, b"c" * 20):
            writer.write(record)
    assert count_records(str(whole.parent)) == 3
    cut = tmp_path / "cut" / "data.gz"
    cut.parent.mkdir()
    cut.write_bytes(gzip.compress(gzip.decompress(whole.read_bytes())[:-5]))
    assert count_records(str(cut.parent)) == 2
    truncated = tmp_path / "truncated" / "data.gz"  # the gzip stream itself cut short
    truncated.parent.mkdir()
    truncated.write_bytes(whole.read_bytes()[:-40])
    assert count_records(str(truncated.parent)) < 3
