"""An ad-hoc row as the model reads it: typed by the schema, missing columns empty."""

import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import schema_utils

from pipeline.errors import TollgateError
from pipeline.search.rows import example_from_row, parse_row
from tests.conftest import REPO


@pytest.fixture(scope="module")
def schema():
    text = (REPO / "trainer" / "schemas" / "taxi.pbtxt").read_text()
    return text_format.Parse(text, schema_pb2.Schema())


def _parsed(serialized: bytes, schema) -> dict:
    """Parsed with the feature spec Transform derives from the schema, as serving does."""
    spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    return tf.io.parse_example([serialized], spec)


def test_a_few_columns_make_a_whole_example(schema):
    row = parse_row("trip_miles=2.5, fare=9.25,payment_type=Cash")
    serialized, filled = example_from_row(row, schema)
    parsed = _parsed(serialized, schema)
    assert parsed["fare"].numpy().tolist() == [[9.25]]
    assert parsed["payment_type"].numpy().tolist() == [[b"Cash"]]
    assert filled == sorted({f.name for f in schema.feature} - {"trip_miles", "fare", "payment_type"})
    # A column that always has a value gets the type's zero; another stays an empty cell.
    assert parsed["trip_start_day"].numpy().tolist() == [[0]]
    assert isinstance(parsed["company"], tf.SparseTensor) and parsed["company"].values.shape == [0]


def test_bad_rows_are_one_clear_error(schema):
    with pytest.raises(TollgateError, match="is not 'column=value,column=value'"):
        parse_row("fare")
    with pytest.raises(TollgateError, match="unknown column\\(s\\) colour"):
        example_from_row({"colour": "red"}, schema)
    with pytest.raises(TollgateError, match="column fare needs a number, got 'cheap'"):
        example_from_row({"fare": "cheap"}, schema)
