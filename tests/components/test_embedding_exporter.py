"""The exporter's Beam pipeline on a small examples folder, with a user encoder."""

import apache_beam as beam
import numpy as np
import pytest
from tensorflow.core.example import example_pb2

from components.embedding_exporter.encoders import EmbedHandler, example_key, load_encoder
from components.embedding_exporter.executor import export, read_embeddings, summary
from trainer.encoders import DIMENSION, hashed_text

COMPANIES = ["Flash Cab", "Blue Ribbon Taxi", "Flash Cab", "Sun Taxi", "Blue Ribbon Taxi"] * 20


def _example(i: int, company: str) -> bytes:
    example = example_pb2.Example()
    example.features.feature["company"].bytes_list.value.append(company.encode())
    example.features.feature["fare"].float_list.value.append(float(i))
    return example.SerializeToString()


def _write_tfrecords(path, records):
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for record in records:
            writer.write(record)


@pytest.fixture
def examples(tmp_path):
    records = {"train": [_example(i, c) for i, c in enumerate(COMPANIES[:80])],
               "eval": [_example(i, c) for i, c in enumerate(COMPANIES[80:], start=1000)]}
    for split, rows in records.items():
        (tmp_path / "examples" / f"Split-{split}").mkdir(parents=True)
        _write_tfrecords(tmp_path / "examples" / f"Split-{split}" / "data_tfrecord-00000-of-00001.gz", rows)
    return tmp_path / "examples", records


def test_export_with_a_user_encoder_writes_one_vector_per_example(examples, tmp_path):
    folder, records = examples
    handler = EmbedHandler("", encoder="trainer.encoders.hashed_text", min_chunks=1, max_chunks=2)
    output = tmp_path / "embeddings"
    with beam.Pipeline() as pipeline:
        export(pipeline, str(folder), ["train", "eval"], handler, str(output), ["company", "fare"])
    assert summary(str(output)) == (100, DIMENSION)
    table = read_embeddings(str(output)).to_pylist()
    by_key = {row["key"]: row for row in table}
    for split, rows in records.items():
        expected = hashed_text(rows)
        for record, vector in zip(rows, expected):
            row = by_key[example_key(record)]
            assert row["split"] == split
            np.testing.assert_allclose(row["vector"], vector, rtol=1e-6)
    same = [r for r in table if r["company"] == "Flash Cab"]
    assert len({tuple(r["vector"]) for r in same}) == 1  # same text, same vector


def test_a_missing_encoder_is_named():
    with pytest.raises(ValueError, match="'nowhere.encode' cannot be imported"):
        load_encoder("nowhere.encode")


def test_an_encoder_returning_the_wrong_shape_is_refused():
    handler = EmbedHandler("", encoder="trainer.encoders.hashed_text")
    with pytest.raises(ValueError, match="one vector per example"):
        handler.run_inference([[b"", b""]], lambda batch: np.zeros((1, 3)))
