"""Tollgate's histogram-derived metrics against TFMA's own, on the same data."""

import numpy as np
import pandas as pd
import pytest
import tensorflow_model_analysis as tfma

from components import histogram_metrics

NAMES = ("ExampleCount", "MeanLabel")


def _metrics(data: pd.DataFrame, ours: bool) -> dict:
    metrics = [tfma.MetricConfig(class_name=f"Histogram{name}", module=histogram_metrics.__name__) if ours
               else tfma.MetricConfig(class_name=name) for name in NAMES]
    config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(label_key="label", prediction_key="prediction")],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["group"])],
        metrics_specs=[tfma.MetricsSpec(metrics=[*metrics, tfma.MetricConfig(class_name="AUC")])],
    )
    result = tfma.analyze_raw_data(data, config)
    return {(str(key), name): value for key, by_model in result.slicing_metrics
            for name, value in by_model[""][""].items()}


def test_the_same_values_as_tfma_on_every_slice():
    rng = np.random.default_rng(7)
    rows = 6000
    data = pd.DataFrame({
        "label": rng.integers(0, 2, rows).astype(float),
        "prediction": rng.random(rows),
        "group": rng.choice(["a", "b", "c"], rows),
    })
    data.loc[:20, "prediction"] = 0.0  # the histogram's edges
    data.loc[21:40, "prediction"] = 1.0
    theirs, ours = _metrics(data, ours=False), _metrics(data, ours=True)
    assert ours == theirs
    assert {name for _, name in ours} == {"example_count", "mean_label", "auc"}
    assert len(ours) == 3 * 4  # overall and three groups


@pytest.mark.parametrize("name", NAMES)
def test_each_keeps_tfma_name(name):
    assert getattr(histogram_metrics, f"Histogram{name}")().name == getattr(tfma.metrics, name)().name
