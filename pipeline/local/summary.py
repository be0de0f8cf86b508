"""A run as the commands report it: its summary, or the line that says why it failed.

Read back from the store after the run, so any runner that ran the
pipeline's steps against the store (LocalDagRunner, or Kubeflow tasks run by
`tollgate kubeflow run-local`) reports the same way.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from components import artifact_types
from components.metrics import AUC, Metric, overall_and_worst
from components.signoff.records import signoff_state
from pipeline.lineage.data import json_prop
from pipeline.lineage.runs import RunRecord, step_outputs


@dataclasses.dataclass(frozen=True)
class RunSummary:
    run: RunRecord
    blessed: bool | None  # the Evaluator's verdict
    overall: dict
    worst_slice: dict | None
    metric: Metric  # what the worst slice is worst by
    signoff: dict | None  # the request and its decision, once one was made
    serving: dict | None  # the serving check's figures (None: not checked)
    log: str
    report: str  # a self-contained HTML page: verdict, slices, data statistics

    def to_json(self) -> dict:
        return {
            **self.run.to_json(),
            "blessed": self.blessed,
            "metrics": {"metric": self.metric.name, "overall": self.overall, "worst_slice": self.worst_slice},
            "signoff": self.signoff,
            "serving": self.serving,
            "log": self.log,
            "report": self.report,
        }


class RunFailed(Exception):
    """A step failed; the message names it and the log file.

    `details` has one line per finding (each anomaly, for blocked data).
    """

    def __init__(self, message: str, details: tuple[str, ...] = ()):
        super().__init__(message)
        self.details = details


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else text


def summarize(store, record: RunRecord, log: Path, report: Path) -> RunSummary:
    """The run's summary, with its report page written."""
    from pipeline.reports.evaluation import evaluated
    from pipeline.reports.run import write_run_report

    found = evaluated(store, record)
    metric = found.metric if found else AUC
    overall, worst = overall_and_worst(found.slices if found else [], metric)
    summary = RunSummary(
        record, found.blessed if found else None, overall, dataclasses.asdict(worst) if worst else None, metric,
        signoff_state(store, record.model_id), _serving(store, record), str(log), str(report),
    )
    write_run_report(report, summary.to_json(), store, record, found)
    return summary


def _serving(store, record: RunRecord) -> dict | None:
    """The serving check's figures; None when the run stopped before it or it checked nothing."""
    checked = step_outputs(store, record, "ServingCheck").get(artifact_types.SERVING_CHECK)
    if checked is None:
        return None
    return json_prop(checked, "summary") or None


def _blocked(store, record: RunRecord, report: Path) -> tuple[str, ...]:
    """A blocked run's anomalies: a summary line, one per anomaly, the report's path."""
    from pipeline.reports.anomalies import findings, write_data_gate_report

    found = findings(store, record)
    path = write_data_gate_report(report.with_name(report.name.replace("run-", "anomalies-", 1)), record.run_id, found)
    count = f"{len(found.rows)} data anomal{'y' if len(found.rows) == 1 else 'ies'}"
    lines = [f"{source} {split}: {feature}: {text}" for source, split, feature, text in found.rows]
    return (f"{count}; nothing was trained or pushed", *lines, f"report: {path}")


def failure(store, record: RunRecord, step: str | None, error: str, log: Path, report: Path) -> RunFailed:
    """The failure of `step` as one line naming it and the log; the data gate adds its findings."""
    step = step or "the pipeline"
    details = _blocked(store, record, report) if step == "AnomalyGate" else ()
    message = details[0] if details else first_line(error)
    return RunFailed(f"{step} failed: {message} (full log: {log})", details[1:])
