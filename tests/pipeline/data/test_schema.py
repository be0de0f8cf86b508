"""The curated schema: how it is made, and that the checked-in one holds for the taxi data."""

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv

from pipeline.data.schema import infer_schema
from pipeline.errors import TollgateError
from tests.conftest import REPO, taxi_rows, write_csv

CURATED = REPO / "trainer" / "schemas" / "taxi.pbtxt"


@pytest.fixture(scope="module")
def taxi_frame():
    header, rows = taxi_rows(2000)
    return pd.DataFrame(rows, columns=header)


def _stats(frame, tmp_path):
    """As the pipeline reads CSV: through TFDV's CSV decoder, not pandas' types."""
    path = write_csv(tmp_path / "data.csv", list(frame.columns), frame.values.tolist())
    return tfdv.generate_statistics_from_csv(str(path))


def test_infer_schema_writes_every_column(tmp_path, small_csv):
    out = infer_schema(small_csv.parent, tmp_path / "out" / "schema.pbtxt")
    schema = tfdv.load_schema_text(str(out))
    header, _ = taxi_rows(1)
    assert {f.name for f in schema.feature} == set(header)
    assert not list((tmp_path / "out").glob("*.tmp*"))


def test_infer_schema_refuses_a_folder_without_csv(tmp_path):
    with pytest.raises(TollgateError, match="no CSV data"):
        infer_schema(tmp_path, tmp_path / "schema.pbtxt")


def test_checked_in_schema_accepts_the_taxi_sample(taxi_frame, tmp_path):
    schema = tfdv.load_schema_text(str(CURATED))
    anomalies = tfdv.validate_statistics(_stats(taxi_frame, tmp_path), schema)
    assert not anomalies.anomaly_info


def test_checked_in_schema_catches_a_dropped_column(taxi_frame, tmp_path):
    schema = tfdv.load_schema_text(str(CURATED))
    stats = _stats(taxi_frame.drop(columns=["trip_start_timestamp"]), tmp_path)
    anomalies = tfdv.validate_statistics(stats, schema)
    assert "trip_start_timestamp" in anomalies.anomaly_info


def test_checked_in_schema_allows_a_few_unknown_companies(taxi_frame, tmp_path):
    schema = tfdv.load_schema_text(str(CURATED))
    few = taxi_frame.copy()
    few.loc[few.index[:10], "company"] = "Brand New Cab Co"  # 0.5% of rows
    assert "company" not in tfdv.validate_statistics(_stats(few, tmp_path), schema).anomaly_info
    many = taxi_frame.copy()
    many.loc[many.index[:200], "company"] = "Brand New Cab Co"  # 10%
    assert "company" in tfdv.validate_statistics(_stats(many, tmp_path), schema).anomaly_info
