"""Each batch form against the TFMA combiner it stands in for, example by example.

The inputs are the hard ones: predictions outside [0, 1], infinities, the
histogram's exact bucket edges in float32, 0.5 and the float32 just above
it, labels as ints and as bools.
"""

import json

import numpy as np
import pytest
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.metrics import metric_types

from components.batch_evaluator import evaluator
from components.batch_evaluator.combiners import HistogramSums, MatrixCounts, batch_form


def _combiners(*metrics: tfma.MetricConfig) -> list:
    config = tfma.EvalConfig(model_specs=[tfma.ModelSpec(label_key="label")],
                             metrics_specs=[tfma.MetricsSpec(metrics=list(metrics))])
    return [c.combiner for c in evaluator.computations(config).non_derived_computations]


def _predictions() -> np.ndarray:
    rng = np.random.default_rng(3)
    edges = np.arange(0, 10001, 97, dtype=np.float32) / np.float32(10000)
    special = [-0.5, 1.5, np.inf, -np.inf, 0.0, 1.0, 0.5, np.nextafter(np.float32(0.5), np.float32(1)), 0.05, 0.3]
    return np.concatenate([edges, np.asarray(special, dtype=np.float32), rng.random(500, dtype=np.float32)])


def _tfma_output(combiner, labels, predictions):
    accumulator = combiner.create_accumulator()
    for label, prediction in zip(labels, predictions):
        inputs = metric_types.StandardMetricInputs(labels=np.array([label]), predictions=np.array([prediction]),
                                                   example_weights=None)
        accumulator = combiner.add_input(accumulator, inputs)
    return combiner.extract_output(accumulator)


def _batch_output(form, labels, predictions):
    return form.combiner.extract_output(form.to_tfma(form.part(labels.astype(float), predictions.astype(float))))


def _in_two_parts(form, labels, predictions):
    parts = [form.part(labels[cut].astype(float), predictions[cut].astype(float))
             for cut in (slice(0, 7), slice(7, None))]
    return form.combiner.extract_output(form.to_tfma(form.add(*parts)))


@pytest.mark.parametrize("labels_as", [np.int64, bool])
def test_the_histogram_equals_tfma_bucket_by_bucket(labels_as):
    predictions = _predictions()
    labels = (np.arange(len(predictions)) % 3 == 0).astype(labels_as)
    [combiner] = set(_combiners(tfma.MetricConfig(class_name="AUC")))
    form = batch_form(combiner)
    assert isinstance(form, HistogramSums)
    theirs, ours = _tfma_output(combiner, labels, predictions), _batch_output(form, labels, predictions)
    assert ours == theirs
    [histogram] = ours.values()
    [added] = _in_two_parts(form, labels, predictions).values()
    assert [(b.bucket_id, b.weighted_labels, b.weighted_examples) for b in added] == \
        [(b.bucket_id, b.weighted_labels, b.weighted_examples) for b in histogram]
    assert [b.weighted_predictions for b in added] == pytest.approx([b.weighted_predictions for b in histogram])
    assert histogram[0].bucket_id == 0 and histogram[-1].bucket_id == 10001  # below 0 and above 1 kept apart


def test_the_matrices_equal_tfma_at_each_threshold():
    predictions = _predictions()
    labels = (np.arange(len(predictions)) % 2).astype(np.int64)
    metric = tfma.MetricConfig(class_name="ConfusionMatrixAtThresholds",
                               config=json.dumps({"thresholds": [0.3, 0.5, 0.7]}))
    [combiner] = _combiners(metric)
    form = batch_form(combiner)
    assert isinstance(form, MatrixCounts)
    theirs, ours = _tfma_output(combiner, labels, predictions), _batch_output(form, labels, predictions)
    assert ours == theirs
    assert _in_two_parts(form, labels, predictions) == ours
    [matrices] = ours.values()
    assert sum(matrices[0.5].matrix) == len(predictions)


def test_a_repeated_threshold_is_left_to_tfma():
    # TFMA counts a threshold listed twice twice over; a batch form would count it once.
    metric = tfma.MetricConfig(class_name="ConfusionMatrixAtThresholds",
                               config=json.dumps({"thresholds": [0.3, 0.3, 0.7]}))
    [combiner] = _combiners(metric)
    assert batch_form(combiner) is None


def test_weighted_metrics_have_no_batch_form():
    config = tfma.EvalConfig(model_specs=[tfma.ModelSpec(label_key="label", example_weight_key="w")],
                             metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name="AUC")],
                                                             example_weights=tfma.ExampleWeightOptions(weighted=True))])
    combiners = [c.combiner for c in evaluator.computations(config).non_derived_computations]
    assert combiners and all(batch_form(c) is None for c in combiners)
