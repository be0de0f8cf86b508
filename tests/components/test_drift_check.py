"""DriftCheck's comparison and its resolver, on statistics TFDV computed from taxi rows."""

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv
from tfx.types import standard_artifacts

from components.anomaly_gate.anomalies import anomaly_rows
from components.drift_check import drift
from components.drift_check.strategy import earlier_spans, span_of
from tests.conftest import taxi_rows

FEATURES = ["payment_type", "company", "trip_start_hour"]


def _stats(frame):
    return {"train": tfdv.generate_statistics_from_dataframe(frame)}


@pytest.fixture(scope="module")
def spans():
    header, rows = taxi_rows(1200)
    frame = pd.DataFrame(rows, columns=header).apply(pd.to_numeric, errors="ignore")
    first, second = frame.iloc[:600], frame.iloc[600:]
    drifted = second.assign(payment_type="Credit Card")
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(frame))
    return _stats(first), _stats(second), _stats(drifted), _stats(second.drop(columns=["company"])), schema


def test_similar_spans_pass_and_every_comparison_is_measured(spans):
    first, second, _, _, schema = spans
    results = drift.compare(second, first, schema, FEATURES, max_linf=0.15, max_jsd=0.1)
    assert not results["train"].anomaly_info
    measured = {m["feature"]: m for m in drift.measurements(results)}
    assert set(measured) == set(FEATURES)
    assert measured["payment_type"]["measure"] == "l_infty"
    assert measured["trip_start_hour"]["measure"] == "jensen_shannon_divergence"
    assert all(m["value"] <= m["threshold"] for m in measured.values())


def test_changed_payment_type_distribution_is_drift(spans, tmp_path):
    first, _, drifted, _, schema = spans
    results = drift.compare(drifted, first, schema, FEATURES, max_linf=0.15, max_jsd=0.1)
    assert list(results["train"].anomaly_info) == ["payment_type"]
    drift.write(results, str(tmp_path))
    [(split, feature, text)] = anomaly_rows(str(tmp_path))
    assert (split, feature) == ("train", "payment_type")
    assert "Linfty distance" in text and "threshold 0.15" in text


def test_a_column_the_previous_span_had_is_named_when_missing(spans):
    first, _, _, dropped, schema = spans
    results = drift.compare(dropped, first, schema, FEATURES, max_linf=0.15, max_jsd=0.1)
    assert "missing from this span" in results["train"].anomaly_info["company"].description


def test_only_configured_features_are_compared(spans):
    first, _, drifted, _, schema = spans
    results = drift.compare(drifted, first, schema, ["company"], max_linf=0.15, max_jsd=0.1)
    assert not results["train"].anomaly_info
    assert {m["feature"] for m in drift.measurements(results)} == {"company"}


def _examples(artifact_id, span):
    examples = standard_artifacts.Examples()
    examples.id = artifact_id
    examples.set_int_custom_property("span", span)
    return examples


def test_resolver_picks_the_newest_earlier_span_not_the_previous_run():
    # Runs in order: span 1, 2, 5, then span 3 again; span 3 compares with 2.
    history = [_examples(1, 1), _examples(2, 2), _examples(3, 5), _examples(4, 2)]
    current = [_examples(9, 3)]
    assert [e.id for e in earlier_spans(current, history)] == [4, 2, 1]
    assert span_of(history[2]) == 5
    assert [e.id for e in earlier_spans([_examples(10, 1)], history)] == []
