"""The statistics table on every page: real TFDV statistics over real tf.Examples."""

import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv

from pipeline.reports.page import page, write_page
from pipeline.reports.statistics import feature_rows


def _example(floats: dict, strings: dict) -> bytes:
    """A value of None: the feature is absent; []: present with an empty list,
    as CsvExampleGen writes an empty CSV cell."""
    feature = {}
    for name, values in floats.items():
        if values is not None:
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
    for name, values in strings.items():
        if values is not None:
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode() for v in values]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@pytest.fixture(scope="module")
def statistics(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("stats") / "examples.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for i in range(10):
            writer.write(_example(
                {"fare": [9.25 + i], "tract": [17031.0] if i == 0 else []},  # tract: empty in 9 rows of 10
                {"company": None if i < 3 else ["Flash Cab"],  # absent in 3 rows
                 "tags": ["a", "b"] if i % 2 else []},  # several values, or none
            ))
    return tfdv.generate_statistics_from_tfrecord(path)


def test_empty_value_lists_count_as_missing(statistics):
    rows = {row[0]: row for row in feature_rows(statistics)}
    assert rows["tract"][1:4] == ["number", 1, "90.0%"]
    assert rows["company"][1:4] == ["text", 7, "30.0%"]
    assert rows["fare"][1:4] == ["number", 10, "0.0%"]
    assert rows["tags"][3] == "50.0%"  # estimated from the value-count quantiles
    # A distribution per feature: the fares' histogram, the companies' most common value.
    assert "<svg" in rows["fare"][4] and rows["fare"][4].count("<path") >= 5
    assert "Flash Cab" in rows["company"][5]


def test_a_page_is_written_whole_or_not_at_all(tmp_path):
    path = write_page(tmp_path / "reports" / "run.html", page("Run report", "Run <1>", "lede", ["<p>body</p>"]))
    text = path.read_text()
    assert "<title>Run &lt;1&gt;</title>" in text and "<p>body</p>" in text and "<script" not in text
    assert [p.name for p in path.parent.iterdir()] == ["run.html"]  # no scratch file left
