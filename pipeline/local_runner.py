"""Runs the pipeline on this machine with LocalDagRunner and in-process Beam."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
from pathlib import Path

from components.signoff.executor import SignOffPending
from components.signoff.records import signoff_state
from pipeline.config import TollgateConfig
from pipeline.data_check import DataSummary, check_run_data
from pipeline.metadata import store_for
from pipeline.progress import Progress
from pipeline.runs import RunRecord, latest_run

# TensorFlow's C++ start-up chatter (cuFFT/cuDNN registration on CPU-only
# machines) is noise in a terminal; failures still surface as Python errors,
# and the run's log file keeps every Python-side record.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclasses.dataclass(frozen=True)
class RunSummary:
    run: RunRecord
    blessed: bool | None  # the Evaluator's verdict
    overall: dict
    worst_slice: dict | None
    signoff: dict | None  # the request and its decision, once one was made
    log: str
    report: str  # a self-contained HTML page: verdict, slices, data statistics

    def to_json(self) -> dict:
        return {
            **self.run.to_json(),
            "blessed": self.blessed,
            "metrics": {"overall": self.overall, "worst_slice": self.worst_slice},
            "signoff": self.signoff,
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


def _log_to_file(path: Path) -> None:
    """Sends every log record to `path`, and none to the terminal."""
    from absl import logging as absl_logging

    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    absl_logging.set_verbosity(absl_logging.INFO)
    logging.captureWarnings(True)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _step_outputs(store, record: RunRecord, node: str) -> dict:
    """The step's output artifacts by type name ({} if the step did not run)."""
    step = next((s for s in record.steps if s.node == node), None)
    if step is None:
        return {}
    events = store.get_events_by_execution_ids([step.execution_id])
    outputs = store.get_artifacts_by_id([e.artifact_id for e in events if e.type == e.OUTPUT])
    return {artifact.type: artifact for artifact in outputs}


def _summarize(store, record: RunRecord, log: Path, report: Path) -> RunSummary:
    from components.metrics import overall_and_worst, read_slices
    from pipeline.report import write_run_report

    evaluator = _step_outputs(store, record, "Evaluator")
    blessing, evaluation = evaluator.get("ModelBlessing"), evaluator.get("ModelEvaluation")
    blessed = blessing.custom_properties["blessed"].int_value == 1 if blessing else None
    slices = read_slices(evaluation.uri) if evaluation else []
    overall, worst = overall_and_worst(slices)
    summary = RunSummary(
        record, blessed, overall, dataclasses.asdict(worst) if worst else None,
        signoff_state(store, record.model_id), str(log), str(report),
    )
    statistics = _step_outputs(store, record, "StatisticsGen").get("ExampleStatistics")
    write_run_report(report, summary.to_json(), slices, statistics.uri if statistics else None)
    return summary


def _anomalies(config: TollgateConfig, report: Path) -> tuple[str, ...]:
    """A blocked run's anomalies: a summary line, one per anomaly, the report's path."""
    from components.anomaly_gate.anomalies import anomaly_rows
    from pipeline.report import write_anomaly_report

    store = store_for(config)
    record = latest_run(store, config.pipeline_name)
    found = {
        source: _step_outputs(store, record, step).get("ExampleAnomalies")
        for source, step in (("schema", "ExampleValidator"), ("drift", "DriftCheck"))
    }
    rows = [(source, *row) for source, a in found.items() if a for row in anomaly_rows(a.uri)]
    drift = found["drift"]
    measured = json.loads(drift.custom_properties["measurements"].string_value) if (
        drift and "measurements" in drift.custom_properties) else []
    path = write_anomaly_report(report, record.run_id, rows, measured)
    count = f"{len(rows)} data anomal{'y' if len(rows) == 1 else 'ies'}"
    lines = [f"{source} {split}: {feature}: {text}" for source, split, feature, text in rows]
    return (f"{count}; nothing was trained or pushed", *lines, f"report: {path}")


def run_pipeline(config: TollgateConfig, checked: DataSummary | None = None) -> RunSummary:
    """Checks the data (unless `checked` says it was), runs every step, and
    reads the result back from MLMD."""
    if checked is None:
        check_run_data(config.data_dir, config.span)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    log = config.logs_dir / f"run-{config.pipeline_name}-{stamp}.log"
    report = config.home_dir / "reports" / f"run-{config.pipeline_name}-{stamp}.html"
    _log_to_file(log)

    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    definition = create_pipeline(config)
    progress = Progress(len(definition.components))
    logging.getLogger().addHandler(progress)
    try:
        tfx.orchestration.LocalDagRunner().run(definition)
    except Exception as error:
        awaiting = isinstance(error, SignOffPending)
        progress.fail("WAITS" if awaiting else "FAILED")
        logging.exception("run failed")
        if not (awaiting and config.signoff.timeout_seconds == 0):
            step = progress.current or "the pipeline"
            details = _anomalies(config, report) if step == "AnomalyGate" else ()
            message = details[0] if details else _first_line(error)
            raise RunFailed(f"{step} failed: {message} (full log: {log})", details[1:]) from error
        # With no wait configured, stopping at the sign-off is the expected end.
    finally:
        logging.getLogger().removeHandler(progress)
    store = store_for(config)
    return _summarize(store, latest_run(store, config.pipeline_name), log, report)
