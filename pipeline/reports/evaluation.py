"""What a run's Evaluator found, read once for every page that shows it: the
run report, and the evaluation page the Evaluator's task shows in the KFP UI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from components.metrics import Metric, configured_metric
from components.results import read_slices
from pipeline.lineage.data import json_prop, prop
from pipeline.lineage.model import thresholds_of
from pipeline.lineage.records import Threshold
from pipeline.lineage.runs import RunRecord, step_outputs
from pipeline.reports.comparison import comparison_section
from pipeline.reports.page import badge, page, section, write_page


@dataclasses.dataclass(frozen=True)
class Evaluated:
    uri: str
    blessed: bool | None
    slices: list  # components.metrics.SliceMetrics of the candidate
    baseline: list  # ... and of the baseline, [] for the first model
    thresholds: list[Threshold]
    baseline_id: int | None
    metric: Metric  # what the slices are ranked by


def _baseline_id(store, execution_id: int) -> int | None:
    events = store.get_events_by_execution_ids([execution_id])
    found = [e.artifact_id for e in events if e.path.steps and e.path.steps[0].key == "baseline_model"]
    return found[0] if found else None


def evaluated(store, record: RunRecord) -> Evaluated | None:
    """The run's evaluation, or None when its Evaluator did not run."""
    outputs = step_outputs(store, record, "Evaluator")
    if "ModelEvaluation" not in outputs:
        return None
    uri, blessing = outputs["ModelEvaluation"].uri, outputs.get("ModelBlessing")
    step = next(s for s in reversed(record.steps) if s.node == "Evaluator")
    [execution] = store.get_executions_by_id([step.execution_id])
    slices, baseline = read_slices(uri)
    eval_config = json_prop(execution, "eval_config")
    return Evaluated(
        uri=uri,
        blessed=prop(blessing, "blessed") == 1 if blessing is not None else None,
        slices=slices,
        baseline=baseline,
        thresholds=thresholds_of(eval_config),
        baseline_id=_baseline_id(store, execution.id),
        metric=configured_metric(eval_config),
    )


def write_evaluation_report(path: Path, run_id: str, model_id: int | None, found: Evaluated) -> Path:
    verdict = {True: ("blessed by the Evaluator", "ok"), False: ("not blessed", "bad"),
               None: ("not evaluated", "plain")}[found.blessed]
    body = comparison_section(found.slices, found.baseline, found.thresholds, found.baseline_id, found.metric)
    text = page("Evaluation", f"Model {model_id}: evaluation", f"Run {run_id}.",
                [section("Against the last release", body, "comparison")], [badge(*verdict)])
    return write_page(path, text)
