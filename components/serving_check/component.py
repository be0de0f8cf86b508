"""ServingCheck: the model in each runtime it will serve in, checked and timed before sign-off.

Inputs are the model, the Evaluator's blessing and the examples. Only a
blessed model is checked. For each target in `targets` (saved_model, tflite,
onnx) the check converts the `signature_name` signature, loads it, compares
its predictions on `examples_count` eval examples with the SavedModel's
(largest absolute difference), and times it: latency p50/p95/p99 at batch 1
and throughput over a batch sweep, each `repeats` times (medians kept, with
their spread), plus size on disk and load time. The host is recorded too.

The ServingCheck artifact holds the converted files (`model.tflite`,
`model.onnx`). Its properties record `checked`, `passed`,
`targets`, `problems` (one line per budget missed) and `summary` (the
figures as JSON), so SignOff, Publish and lineage read them from MLMD.
SignOff asks nobody about a model that missed a budget, and Publish
releases every target's file beside the SavedModel.
"""

import json
import os

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import standard_artifacts as Standard
from tfx.types.artifact import Artifact

from components import artifact_types
from components.model_digest import SERVING_SUBDIR
from components.serving_check.executor import Budget, check, eval_rows


class ServingTargets(Artifact):
    """A model converted to each release target, with its parity and speed figures."""

    TYPE_NAME = artifact_types.SERVING_CHECK


@component
def ServingCheck(
    model: InputArtifact[Standard.Model],
    model_blessing: InputArtifact[Standard.ModelBlessing],
    examples: InputArtifact[Standard.Examples],
    serving: OutputArtifact[ServingTargets],
    targets: Parameter[str],
    max_p99_ms: Parameter[float],
    min_throughput: Parameter[float],
    max_abs_diff: Parameter[float],
    examples_count: Parameter[int],
    repeats: Parameter[int],
    latency_calls: Parameter[int],
    signature_name: Parameter[str] = "serving_default",
) -> None:
    serving.set_string_custom_property("targets", targets)
    if not model_blessing.get_int_custom_property("blessed"):
        serving.set_int_custom_property("checked", 0)
        serving.set_int_custom_property("passed", 0)
        return
    budget = Budget(tuple(targets.split(",")), max_p99_ms, min_throughput, max_abs_diff,
                    examples_count, repeats, latency_calls)
    rows = eval_rows(examples.uri, json.loads(examples.split_names), examples_count)
    summary = check(os.path.join(model.uri, SERVING_SUBDIR), signature_name, rows, serving.uri, budget)
    serving.set_int_custom_property("checked", 1)
    serving.set_int_custom_property("passed", int(summary["passed"]))
    serving.set_string_custom_property("problems", "\n".join(summary["problems"]))
    serving.set_string_custom_property("summary", json.dumps(summary, sort_keys=True))
