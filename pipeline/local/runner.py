"""Runs the pipeline on this machine with LocalDagRunner and in-process Beam."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import logging
from pathlib import Path

from components.signoff.executor import SignOffPending
from components.signoff.records import signoff_state
from pipeline.config import TollgateConfig
from pipeline.data.check import DataSummary, check_run_data
from pipeline.lineage.runs import RunRecord, latest_run, step_outputs
from pipeline.lineage.store import store_for
from pipeline.local.progress import Progress


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


@contextlib.contextmanager
def _logged_to(path: Path, progress: Progress):
    """For the length of the run, every log record also goes to `path`, and
    TFX's step records to `progress`; afterwards logging is as it was.

    Other handlers stay: whoever set them up (a notebook, a test, the CLI)
    decides what else is shown, and whether warnings are logged.
    """
    from absl import logging as absl_logging

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level, verbosity = root.level, absl_logging.get_verbosity()
    root.addHandler(handler)
    root.addHandler(progress)
    # TFX says which step runs at INFO, through absl.
    root.setLevel(logging.INFO)
    absl_logging.set_verbosity(absl_logging.INFO)
    try:
        yield
    finally:
        absl_logging.set_verbosity(verbosity)
        root.setLevel(level)
        root.removeHandler(progress)
        root.removeHandler(handler)
        handler.close()


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _summarize(store, record: RunRecord, log: Path, report: Path) -> RunSummary:
    from components.metrics import overall_and_worst, read_slices
    from pipeline.reports.run import write_run_report

    evaluator = step_outputs(store, record, "Evaluator")
    blessing, evaluation = evaluator.get("ModelBlessing"), evaluator.get("ModelEvaluation")
    blessed = blessing.custom_properties["blessed"].int_value == 1 if blessing else None
    slices = read_slices(evaluation.uri) if evaluation else []
    overall, worst = overall_and_worst(slices)
    summary = RunSummary(
        record, blessed, overall, dataclasses.asdict(worst) if worst else None,
        signoff_state(store, record.model_id), str(log), str(report),
    )
    statistics = step_outputs(store, record, "StatisticsGen").get("ExampleStatistics")
    write_run_report(report, summary.to_json(), slices, statistics.uri if statistics else None)
    return summary


def _anomalies(store, config: TollgateConfig, report: Path) -> tuple[str, ...]:
    """A blocked run's anomalies: a summary line, one per anomaly, the report's path."""
    from components.anomaly_gate.anomalies import anomaly_rows
    from pipeline.reports.anomalies import write_anomaly_report

    record = latest_run(store, config.pipeline_name)
    found = {
        source: step_outputs(store, record, step).get("ExampleAnomalies")
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
    store = store_for(config)  # made here, before TFX connects to it
    progress = Progress()
    with _logged_to(log, progress):
        from tfx import v1 as tfx

        from pipeline.definition.pipeline import create_pipeline

        definition = create_pipeline(config)
        progress.total = len(definition.components)
        try:
            tfx.orchestration.LocalDagRunner().run(definition)
        except Exception as error:
            awaiting = isinstance(error, SignOffPending)
            progress.fail("WAITS" if awaiting else "FAILED")
            logging.exception("run failed")
            if not (awaiting and config.signoff.timeout_seconds == 0):
                step = progress.current or "the pipeline"
                details = _anomalies(store, config, report) if step == "AnomalyGate" else ()
                message = details[0] if details else _first_line(error)
                raise RunFailed(f"{step} failed: {message} (full log: {log})", details[1:]) from error
            # With no wait configured, stopping at the sign-off is the expected end.
        return _summarize(store, latest_run(store, config.pipeline_name), log, report)
