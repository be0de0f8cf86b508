"""A TFMA evaluator that sums a batch at a time.

TFMA's own evaluator splits every batch into examples, fans each out to its
slices and feeds it to every combiner, in Python: at a million rows that is
most of a run. This one keeps the batch whole. It finds each slice's rows
with TFMA's slicer (slicing.py), sums each slice with whole-batch combiners
(combiners.py), and hands the totals to TFMA as its combiners' accumulators.
From there it is TFMA's code: the derived metrics (AUC, the curve, the
accuracy), the candidate-baseline diffs, the thresholds and the writers. So
the output is the files TFMA writes, read by the same tools.

A batch whose labels or predictions aren't plain (fractional labels, a
dict of outputs, a NaN) goes through TFMA's per-example combiners instead,
so every batch is counted as TFMA would count it. A config that needs more
(query keys, cross slices, confidence intervals, SQL slices, a minimum
slice size, a combiner without a batch form) is evaluated by TFMA's own
evaluator: `unsupported` names the reason.

The TFMA functions reused here, private ones included, are TFMA 0.47's
(pinned in requirements/lock.txt); tests/components/batch_evaluator holds
the output equal to TFMA's own evaluator's, so an upgrade that moves them
fails there first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import apache_beam as beam
import numpy as np
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.evaluators import evaluator, metrics_validator
from tensorflow_model_analysis.evaluators import metrics_plots_and_validations_evaluator as stock
from tensorflow_model_analysis.extractors import unbatch_extractor
from tensorflow_model_analysis.metrics import metric_specs, metric_types, metric_util
from tensorflow_model_analysis.utils import model_util

from components.batch_evaluator.combiners import batch_form
from components.batch_evaluator.slicing import BatchSlicer

STAGE = "EvaluateMetricsAndPlots"


def computations(eval_config: tfma.EvalConfig) -> stock.MetricComputations:
    return stock._filter_and_separate_computations(
        metric_specs.to_computations(eval_config.metrics_specs, eval_config=eval_config))


def unsupported(eval_config: tfma.EvalConfig) -> str | None:
    """Why TFMA's own evaluator must run this config, or None if this one can."""
    options = eval_config.options
    reasons = {
        "query keys": any(spec.query_key for spec in eval_config.metrics_specs),
        "cross slices": bool(eval_config.cross_slicing_specs),
        "SQL slices": any(spec.slice_keys_sql for spec in eval_config.slicing_specs),
        "a minimum slice size": options.min_slice_size.value > 1,
        "confidence intervals": options.compute_confidence_intervals.value,
        "the model's own compiled metrics": not options.HasField("include_default_metrics")
        or options.include_default_metrics.value,
    }
    for reason, present in reasons.items():
        if present:
            return reason
    for computation in computations(eval_config).non_derived_computations:
        if computation.preprocessors or batch_form(computation.combiner) is None:
            return f"{computation.keys[0].name}, which has no batch form"
    return None


def _by_key(value, key: str):
    return value[key] if key and isinstance(value, Mapping) and key in value else value


def _as_column(value, rows: int) -> np.ndarray | None:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or value.size != rows:
        return None
    return value.reshape(rows).astype(np.float64)


def plain_inputs(extract: dict, eval_config: tfma.EvalConfig, model_name: str, rows: int):
    """(labels, predictions) as float64 columns, or None where TFMA's per-example rules must decide."""
    specs = eval_config.model_specs
    spec = next((s for s in specs if (s.name if len(specs) > 1 else "") == model_name), None)
    prediction = extract.get(tfma.PREDICTIONS_KEY)
    if spec is None or spec.prediction_key:
        return None
    if model_name and not (isinstance(prediction, Mapping) and model_name in prediction):
        return None
    labels = _as_column(_by_key(_by_key(extract.get(tfma.LABELS_KEY), spec.label_key), model_name), rows)
    predictions = _as_column(_by_key(prediction, model_name), rows)
    if labels is None or predictions is None:
        return None
    if not np.all((labels == 0) | (labels == 1)) or np.isnan(predictions).any():
        return None
    return labels, predictions


def _rows(extract: dict) -> int:
    return len(extract[tfma.INPUT_KEY])  # the batch's serialized examples


def _standard_inputs(extract: dict) -> list:
    """Each row's StandardMetricInputs, built as TFMA's evaluator builds them."""
    preprocessor = metric_types.StandardMetricInputsPreprocessorList([metric_types.StandardMetricInputsPreprocessor()])
    wanted = preprocessor.include_filter
    return [
        metric_util.to_standard_metric_inputs(
            processed, include_labels=tfma.LABELS_KEY in wanted, include_predictions=tfma.PREDICTIONS_KEY in wanted,
            include_any_feature=tfma.FEATURES_KEY in wanted or tfma.constants.TRANSFORMED_FEATURES_KEY in wanted,
            include_attributions=tfma.ATTRIBUTIONS_KEY in wanted)
        for row in unbatch_extractor._extract_unbatched_inputs(extract) for processed in preprocessor.process(row)
    ]


class Part(NamedTuple):
    """One computation's share of a slice: batch-form sums, TFMA's own accumulator, or both."""

    sums: Any = None
    tfma: Any = None


def _merged(form, mine: Part, other: Part) -> Part:
    sums = other.sums if mine.sums is None else mine.sums if other.sums is None else form.add(mine.sums, other.sums)
    own = mine.tfma
    if other.tfma is not None:
        # Merged into an accumulator of ours: TFMA merges in place, and Beam's inputs must not change.
        combiner = form.combiner
        own = combiner.merge_accumulators([combiner.create_accumulator() if own is None else own, other.tfma])
    return Part(sums, own)


class _SlicePartials(beam.DoFn):
    """Per batch: for each slice it touches, each computation's Part."""

    def __init__(self, eval_config: tfma.EvalConfig, forms: list):
        self._eval_config = eval_config
        self._forms = forms

    def setup(self):
        self._slicer = BatchSlicer(self._eval_config)
        self._models = {form.combiner._key.model_name for form in self._forms}

    def process(self, extract: dict):
        rows = _rows(extract)
        plain = {name: plain_inputs(extract, self._eval_config, name, rows) for name in self._models}
        examples = None if all(plain.values()) else _standard_inputs(extract)
        for slice_key, index in self._slicer.rows_by_slice(extract, rows).items():
            parts = []
            for form in self._forms:
                inputs = plain[form.combiner._key.model_name]
                if inputs is not None:
                    parts.append(Part(sums=form.part(inputs[0][index], inputs[1][index])))
                else:
                    parts.append(Part(tfma=self._per_example(form.combiner, examples, index)))
            yield slice_key, parts

    @staticmethod
    def _per_example(combiner, examples: list, index: np.ndarray):
        accumulator = combiner.create_accumulator()
        for row in index:
            accumulator = combiner.add_input(accumulator, examples[row])
        return accumulator


class _SliceTotals(beam.CombineFn):
    """Adds a slice's Parts; ends as TFMA's own combiners' outputs."""

    def __init__(self, forms: list):
        self._forms = forms

    def create_accumulator(self) -> list:
        return [Part() for _ in self._forms]

    def add_input(self, accumulator: list, parts: list) -> list:
        return [_merged(form, mine, part) for form, mine, part in zip(self._forms, accumulator, parts)]

    def merge_accumulators(self, accumulators) -> list:
        first, *rest = accumulators
        for other in rest:
            first = self.add_input(first, other)
        return first

    def extract_output(self, accumulator: list) -> dict:
        result = {}
        for form, (sums, own) in zip(self._forms, accumulator):
            combiner = form.combiner
            total = combiner.create_accumulator() if sums is None else form.to_tfma(sums)
            if own is not None:
                total = combiner.merge_accumulators([total, own])
            result.update(combiner.extract_output(total))
        return result


@beam.ptransform_fn
def _Evaluate(extracts, eval_config: tfma.EvalConfig):
    found = computations(eval_config)
    baseline = model_util.get_baseline_model_spec(eval_config)
    # Built once, here: the DoFn and the CombineFn pair their Parts by position in this one list.
    forms = [batch_form(c.combiner) for c in found.non_derived_computations]
    sliced = (
        extracts
        | "SlicePartials" >> beam.ParDo(_SlicePartials(eval_config, forms))
        | "SliceTotals" >> beam.CombinePerKey(_SliceTotals(forms))
        | "AddDerivedAndDiffMetrics" >> stock._AddDerivedCrossSliceAndDiffMetrics(
            found.derived_computations, found.cross_slice_computations, [], baseline.name if baseline else None)
        | "AddCIDerivedMetrics" >> beam.Map(stock._add_ci_derived_metrics, found.ci_derived_computations)
        | "RemovePrivateMetrics" >> beam.MapTuple(stock._remove_private_metrics)
    )
    outputs = {tfma.METRICS_KEY: metric_types.MetricKey, tfma.PLOTS_KEY: metric_types.PlotKey,
               tfma.ATTRIBUTIONS_KEY: metric_types.AttributionsKey}
    evaluation = {name: sliced | f"FilterBy{name}" >> beam.Map(stock._filter_by_key_type, key_type)
                  for name, key_type in outputs.items()}
    evaluation[tfma.VALIDATIONS_KEY] = evaluation[tfma.METRICS_KEY] | "ValidateMetrics" >> beam.Map(
        metrics_validator.validate_metrics, eval_config)
    return evaluation


def batch_extractors_and_evaluator(eval_config: tfma.EvalConfig, models: list, tensor_adapter_config=None):
    """TFMA's extractors up to the predictions, still in batches, then this evaluator after them.

    The config is completed for the models as TFMA's ExtractEvaluateAndWriteResults completes it
    for its own evaluator, so thresholds are judged alike."""
    eval_config = tfma.utils.update_eval_config_with_defaults(
        eval_config, has_baseline=len(models) > 1, rubber_stamp=model_util.has_rubber_stamp(models))
    extractors = [extractor for extractor in tfma.default_extractors(
        eval_shared_model=models, eval_config=eval_config, tensor_adapter_config=tensor_adapter_config)
        if extractor.stage_name not in (unbatch_extractor.UNBATCH_EXTRACTOR_STAGE_NAME,
                                         tfma.extractors.SLICE_KEY_EXTRACTOR_STAGE_NAME)]
    return extractors, evaluator.Evaluator(stage_name=STAGE, run_after=extractors[-1].stage_name,
                                           ptransform=_Evaluate(eval_config))
