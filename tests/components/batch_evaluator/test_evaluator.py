"""The batch evaluator against TFMA's own, on the same examples and models.

The config is the one Tollgate's pipeline builds (tests/components/
batch_evaluator/data.py). Both evaluators write TFMA's files; every metric,
plot and validation result must be equal.
"""

import json

import apache_beam as beam
import pytest
import tensorflow_model_analysis as tfma
from apache_beam.testing.util import assert_that, equal_to
from tfx_bsl.public import tfxio

from components.batch_evaluator import evaluator as batch
from components.batch_evaluator.combiners import batch_form
from tests.components.batch_evaluator.data import pipeline_config, results, shared_models, write_examples

BATCH = 100  # several batches, so the partial sums of each are added up


def _evaluate(config: tfma.EvalConfig, models: list, examples: str, out: str, ours: bool) -> None:
    source = tfxio.TFExampleRecord(file_pattern=examples, raw_record_column_name=tfma.constants.ARROW_INPUT_COLUMN)
    extractors, evaluators = None, None
    if ours:
        extractors, evaluator = batch.batch_extractors_and_evaluator(config, models)
        evaluators = [evaluator]
    with beam.Pipeline() as pipeline:
        _ = (pipeline | source.BeamSource(batch_size=BATCH)
             | tfma.ExtractEvaluateAndWriteResults(eval_shared_model=models, eval_config=config, output_path=out,
                                                    extractors=extractors, evaluators=evaluators))


@pytest.mark.parametrize("case", ["plain", "fractional labels", "a slice feature some rows lack"])
def test_every_metric_plot_and_verdict_equals_tfma(tmp_path, models, case):
    slices = ("group", "hour", "tag") if case == "a slice feature some rows lack" else ("group", "hour")
    config = pipeline_config(tmp_path, slices)
    assert batch.unsupported(config) is None
    examples = write_examples(tmp_path, fractional_rows=150 if case == "fractional labels" else 0,
                              sparse_slice=case == "a slice feature some rows lack")
    shared = shared_models(config, models)
    _evaluate(config, shared, examples, str(tmp_path / "tfma"), ours=False)
    _evaluate(config, shared, examples, str(tmp_path / "ours"), ours=True)
    theirs, ours = results(str(tmp_path / "tfma")), results(str(tmp_path / "ours"))
    assert ours == theirs
    # Overall, three groups, 24 hours (and two tags): every slice, both models and their diff.
    assert len(ours["metrics"]) == 1 + 3 + 24 + (2 if "tag" in slices else 0)
    keys = [m["key"] for entry in map(json.loads, ours["metrics"]) for m in entry["metricKeysAndValues"]]
    assert {"auc", "example_count", "binary_accuracy", "mean_label"} <= {key["name"] for key in keys}
    assert {"candidate", "baseline"} == {key["modelName"] for key in keys} and any(k.get("isDiff") for k in keys)


@pytest.mark.parametrize("fractional_rows, kinds", [(0, ["sums"]), (150, ["sums", "tfma"])])
def test_plain_batches_are_summed_and_the_rest_go_example_by_example(tmp_path, models, fractional_rows, kinds):
    config = pipeline_config(tmp_path)
    extractors, _ = batch.batch_extractors_and_evaluator(config, shared_models(config, models))
    forms = [batch_form(c.combiner) for c in batch.computations(config).non_derived_computations]
    source = tfxio.TFExampleRecord(file_pattern=write_examples(tmp_path, fractional_rows=fractional_rows),
                                   raw_record_column_name=tfma.constants.ARROW_INPUT_COLUMN)
    with beam.Pipeline() as pipeline:
        extracts = pipeline | source.BeamSource(batch_size=BATCH) | tfma.BatchedInputsToExtracts()
        for extractor in extractors:
            extracts = extracts | extractor.stage_name >> extractor.ptransform
        found = (extracts | beam.ParDo(batch._SlicePartials(config, forms))
                 | beam.FlatMapTuple(lambda _, parts: ["sums" if p.sums is not None else "tfma" for p in parts])
                 | beam.Distinct())
        assert_that(found, equal_to(kinds))


def _query_key(config):
    config.metrics_specs[0].query_key = "query"


def _default_metrics(config):
    config.options.ClearField("include_default_metrics")


def _mean_prediction(config):
    config.metrics_specs[0].metrics.append(tfma.MetricConfig(class_name="MeanPrediction"))


def _intervals(config):
    config.options.compute_confidence_intervals.value = True


@pytest.mark.parametrize("change, reason", [
    (_query_key, "query keys"), (_default_metrics, "the model's own compiled metrics"),
    (_mean_prediction, "no batch form"), (_intervals, "confidence intervals"),
])
def test_what_it_cannot_sum_goes_to_tfma_with_the_reason(tmp_path, change, reason):
    config = pipeline_config(tmp_path)
    change(config)
    assert reason in batch.unsupported(config)


