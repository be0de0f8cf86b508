"""The gate against anomalies found by real TFDV validation, not hand-made protos."""

import os

import pytest
import tensorflow_data_validation as tfdv

from components.anomaly_gate.anomalies import read_anomalies
from components.anomaly_gate.component import AnomalyGate, DataAnomaliesError
from tests.conftest import taxi_rows, write_csv


def write_split_anomalies(root, split, csv_path, schema):
    stats = tfdv.generate_statistics_from_csv(str(csv_path))
    anomalies = tfdv.validate_statistics(stats, schema)
    out = os.path.join(root, f"Split-{split}")
    os.makedirs(out)
    with open(os.path.join(out, "SchemaDiff.pb"), "wb") as handle:
        handle.write(anomalies.SerializeToString())


@pytest.fixture(scope="module")
def anomalies_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gate")
    header, rows = taxi_rows(300)
    clean = write_csv(tmp / "clean.csv", header, rows)
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_csv(str(clean)))
    drifted = [list(r) for r in rows]
    for row in drifted:
        row[header.index("payment_type")] = "Bitcoin"
    write_csv(tmp / "drifted.csv", header, drifted)
    root = tmp / "anomalies"
    write_split_anomalies(root, "train", clean, schema)
    write_split_anomalies(root, "eval", tmp / "drifted.csv", schema)
    return root


def test_reads_anomalies_per_split(anomalies_dir):
    found = read_anomalies(str(anomalies_dir))
    assert found, "TFDV should flag an unseen payment_type"
    assert all(line.startswith("eval: payment_type: ") for line in found)


def test_gate_raises_with_the_anomaly_named(anomalies_dir):
    from tfx.types import standard_artifacts

    artifact = standard_artifacts.ExampleAnomalies()
    artifact.uri = str(anomalies_dir)
    with pytest.raises(DataAnomaliesError, match="payment_type"):
        AnomalyGate.test_call(anomalies=artifact)


def test_clean_split_passes(anomalies_dir, tmp_path):
    os.symlink(anomalies_dir / "Split-train", tmp_path / "Split-train")
    assert read_anomalies(str(tmp_path)) == []
