"""What the KFP UI shows of each gate, written by its task after its node ran.

The UI draws only system.HTML, system.Markdown, system.Metrics and
system.ClassificationMetrics artifacts, and reads an HTML or Markdown
artifact from the one file at its path. The HTML pages are Tollgate's own
reports (`pipeline/reports/`); everything is read back from the store.
"""

from __future__ import annotations

import json
from pathlib import Path

from components import artifact_types
from components.results import read_curve
from components.signoff.records import review_link, signoff_state
from kubeflow.node import NodeTask
from pipeline.lineage import serving as serving_text
from pipeline.lineage.data import json_prop, prop
from pipeline.lineage.runs import step_outputs
from pipeline.reports.anomalies import findings, write_data_gate_report
from pipeline.reports.evaluation import evaluated, write_evaluation_report

# The classes of the taxi label, in the order of the confusion matrix.
CLASSES = ["not a big tipper", "big tipper"]


def data_gate(task: NodeTask, report, counts) -> None:
    """ExampleValidator's task (after DriftCheck's): what the data gate will decide on."""
    found = findings(task.store, task.record())
    write_data_gate_report(Path(report.path), task.run_id, found)
    counts.log_metric("schema anomalies", sum(r[0] == "schema" for r in found.rows))
    counts.log_metric("drift anomalies", sum(r[0] == "drift" for r in found.rows))
    counts.log_metric("drift comparisons", len(found.measurements))
    counts.log_metric("passed", int(not found.rows))


def evaluation(task: NodeTask, metrics, curves, report) -> None:
    record = task.record()
    found = evaluated(task.store, record)
    for name, value in next((s.metrics for s in found.slices if s.slice == "overall"), {}).items():
        metrics.log_metric(name, value)
    metrics.log_metric("blessed", int(bool(found.blessed)))
    metrics.log_metric("baseline model id", found.baseline_id or 0)
    _curves(curves, read_curve(found.uri))
    write_evaluation_report(Path(report.path), task.run_id, record.model_id, found)


def _curves(curves, matrices: list) -> None:
    if not matrices:
        return
    curves.log_roc_curve(
        [m.false_positive_rate for m in matrices], [m.recall for m in matrices], [m.threshold for m in matrices]
    )
    half = min(matrices, key=lambda m: abs(m.threshold - 0.5))
    rows = [[half.true_negatives, half.false_positives], [half.false_negatives, half.true_positives]]
    curves.log_confusion_matrix(CLASSES, [[int(v) for v in row] for row in rows])


def serving_check(task: NodeTask, report, figures) -> None:
    """Each target's p99, throughput and parity as metrics, and the table as Markdown."""
    checked = step_outputs(task.store, task.record(), "ServingCheck").get(artifact_types.SERVING_CHECK)
    summary = json_prop(checked, "summary") if checked is not None else {}
    Path(report.path).write_text(serving_text.markdown(summary))
    for name, found in summary.get("targets", {}).items():
        if "error" in found:
            figures.log_metric(f"{name} converted", 0)
            continue
        figures.log_metric(f"{name} p99 ms", round(found["p99_ms"], 4))
        figures.log_metric(f"{name} examples per s", round(found["throughput"], 1))
        figures.log_metric(f"{name} max abs diff", found["max_abs_diff"])
    figures.log_metric("passed", int(bool(summary.get("passed"))))


def _signoff_text(task: NodeTask) -> str:
    record = task.record()
    state = signoff_state(task.store, record.model_id) if record.model_id else None
    blessing = step_outputs(task.store, record, "Evaluator").get("ModelBlessing")
    if state is None:
        blessed = blessing is not None and prop(blessing, "blessed") == 1
        refused = step_outputs(task.store, record, "SignOff").get("ModelBlessing")
        reason = ("the Evaluator did not bless it" if blessing is not None and not blessed
                  else (refused is not None and prop(refused, "decision")) or "no request was made")
        return f"## Sign-off: not asked\n\nModel {record.model_id}: {reason}; nothing is released.\n"
    lines = [f"- model: {record.model_id} (`{state['model_digest']}`)", "- Evaluator: blessed",
             f"- triggered by: {state['triggered_by']}"]
    if state["status"] == "pending":
        link = review_link(_desk_address(task), record.model_id)
        review = [f"- review and decide: [model {record.model_id} on the review desk]({link})"] if link else []
        return "\n".join(["## Sign-off: awaiting a decision", "", *lines, *review,
                          f"- approve: `{state['approve_command']}`", f"- then release: `{state['release_command']}`", ""])
    verdict = {"approve": "approved", "reject": "rejected"}[state["status"]]
    return "\n".join([f"## Sign-off: {verdict} by {state['approver']}", "", *lines,
                      f"- decided at: {state['decided_at']}", f"- comment: {state['comment'] or '-'}", ""])


def _desk_address(task: NodeTask) -> str:
    """ui.base_url of the config this pipeline was compiled with (the SignOff
    node's own parameter), never one read back from the store."""
    run_config = task.node.parameters.parameters["run_config"].field_value.string_value
    return json.loads(run_config or "{}").get("ui", {}).get("base_url", "")


def signoff(task: NodeTask, status) -> None:
    Path(status.path).write_text(_signoff_text(task))


def publish(task: NodeTask, status) -> None:
    release = step_outputs(task.store, task.record(), "Publish").get(artifact_types.RELEASE)
    if task.state == "skipped":
        text = "## Not run\n\nThe run stopped before Publish; the sign-off step says why.\n"
    elif release is not None and prop(release, "released") == 1:
        text = (f"## Released\n\n- model: {prop(release, 'model_id')}\n"
                f"- serving path: `{prop(release, 'serving_path')}`\n- version: {prop(release, 'version')}\n")
    else:
        text = "## Not released\n\nThe sign-off did not approve this model, so nothing was published.\n"
    Path(status.path).write_text(text)
