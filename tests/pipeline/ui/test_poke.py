"""Poking, on two small real SavedModels that read serialized tf.Examples as
the trainer's models do, and on an eval split written as ExampleGen writes
one. The taxi models on the desk are in tests/e2e/test_review_desk_e2e.py."""

import numpy as np
import pytest
import tensorflow as tf

from pipeline.errors import TollgateError
from pipeline.ui import poke


def _example(fare: float, company: str) -> bytes:
    return tf.train.Example(features=tf.train.Features(feature={
        "fare": tf.train.Feature(float_list=tf.train.FloatList(value=[fare])),
        "company": tf.train.Feature(bytes_list=tf.train.BytesList(value=[company.encode()])),
        "tips": tf.train.Feature(float_list=tf.train.FloatList(value=[])),
    })).SerializeToString()


def _model(path, scale: float) -> str:
    """outputs = scale * fare; its transform doubles the fare."""
    spec = {"fare": tf.io.FixedLenFeature([1], tf.float32)}
    examples = tf.TensorSpec([None], tf.string, name="examples")
    module = tf.Module()

    @tf.function(input_signature=[examples])
    def serve(serialized):
        return {"outputs": scale * tf.io.parse_example(serialized, spec)["fare"]}

    @tf.function(input_signature=[examples])
    def transform(serialized):
        return {"fare_xf": 2.0 * tf.io.parse_example(serialized, spec)["fare"]}

    tf.saved_model.save(module, str(path), signatures={"serving_default": serve, "transform_features": transform})
    return str(path)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return _model(root / "candidate", 1.0), _model(root / "served", 0.5)


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    uri = tmp_path_factory.mktemp("examples")
    (uri / "Split-eval").mkdir()
    records = [_example(fare, "Flash Cab" if fare > 5 else "Blue") for fare in (1.0, 8.0, 3.0, 16.05)]
    with tf.io.TFRecordWriter(str(uri / "Split-eval" / "data_tfrecord-00000-of-00001.gz"), "GZIP") as writer:
        for record in records:
            writer.write(record)
    return str(uri)


def test_a_row_comes_only_from_the_schemas_columns_under_their_prefix():
    given = {"c.fare": " 12.5 ", "c.tips": "", "fare": "99", "csrf": "x", "c.unknown": "1"}
    assert poke.row_from(given, ["fare", "tips", "company"]) == {"fare": "12.5"}
    assert poke.field("action") == "c.action"  # a column named like a form field stays a column


def test_the_eval_split_is_read_as_text_in_order(split):
    examples = poke.eval_examples(split)
    assert [e.index for e in examples] == [0, 1, 2, 3]
    assert examples[3].values == {"company": "Flash Cab", "fare": "16.05", "tips": ""}
    assert tf.train.Example.FromString(examples[1].serialized).features.feature["fare"].float_list.value == [8.0]


def test_slices_match_numbers_by_value_and_text_exactly(split):
    examples = poke.eval_examples(split)
    assert [e.index for e in examples if poke.in_slice(e, "fare=8")] == [1]
    assert [e.index for e in examples if poke.in_slice(e, "company=Flash Cab")] == [1, 3]
    assert [e.index for e in examples if poke.in_slice(e, "company=Flash Cab,fare=16.05")] == [3]
    assert not any(poke.in_slice(e, "company=flash cab") for e in examples)


def test_a_prediction_shows_both_models_and_the_candidates_transform(models, split):
    candidate, served = models
    answer = poke.predict(candidate, served, poke.eval_examples(split)[1].serialized)
    assert answer == {"predictions": [("outputs", "8.0000", "4.0000")], "transformed": [("fare_xf", "16.0000")]}
    alone = poke.predict(candidate, None, poke.eval_examples(split)[1].serialized)
    assert alone["predictions"] == [("outputs", "8.0000", "-")]


def test_disagreements_are_the_widest_gaps_first(models, split):
    candidate, served = models
    gaps = poke.disagreements(candidate, served, poke.eval_examples(split), top=2)
    assert [(g.example.index, round(g.gap, 4)) for g in gaps] == [(3, 8.025), (1, 4.0)]
    assert (gaps[0].candidate, gaps[0].served) == ("16.0500", "8.0250")


def test_a_long_output_shows_its_first_values_and_its_size():
    assert poke.shown(np.arange(10, dtype=np.float32)) == (
        "0.0000, 1.0000, 2.0000, 3.0000, 4.0000, 5.0000, 6.0000, 7.0000 … (10 values)")
    assert poke.shown(np.array([b"a"])) == "a"


def test_a_model_without_the_signature_is_named_in_one_line(models, split, tmp_path):
    bare = tmp_path / "bare"
    tf.saved_model.save(tf.Module(), str(bare))
    with pytest.raises(TollgateError, match="has no 'serving_default' signature"):
        poke.predict(str(bare), None, poke.eval_examples(split)[0].serialized)
