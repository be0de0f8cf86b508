"""Runs the pipeline on this machine with LocalDagRunner and in-process Beam."""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import sys
from pathlib import Path

from components.signoff.executor import SignOffPending
from pipeline.config import TollgateConfig
from pipeline.data.check import DataSummary, check_run_data
from pipeline.definition.user_module import load_user_module
from pipeline.errors import TollgateError
from pipeline.lineage.runs import run_record
from pipeline.lineage.store import columns_for_run, store_for
from pipeline.local.progress import Progress
from pipeline.local.summary import RunSummary, failure, summarize


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


@contextlib.contextmanager
def _terminal_for_tollgate(path: Path):
    """During the run, what is written straight to file descriptors 1 and 2
    (Beam's worker processes, TensorFlow's C++ logs, warnings) goes to the
    run's log; yields the stream that still reaches the terminal, for
    Tollgate's own lines. Where stderr is not descriptor 2 (a notebook, a
    captured test), nothing is moved."""
    try:
        moved = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        moved = False
    if not moved:
        yield sys.stderr
        return
    sys.stdout.flush()
    sys.stderr.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = os.dup(1), os.dup(2)
    try:
        with open(path, "ab") as log, os.fdopen(os.dup(saved[1]), "w", buffering=1) as terminal:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for descriptor, original in zip((1, 2), saved):
            os.dup2(original, descriptor)
            os.close(original)


def _compiled(definition, run_id: str):
    """The pipeline's IR under a run id chosen here, not by LocalDagRunner, so
    that this run is read back by its id while other runs of it go on."""
    from tfx.dsl.compiler import compiler, constants
    from tfx.orchestration.portable import runtime_parameter_utils

    ir = compiler.Compiler().compile(definition)
    runtime_parameter_utils.substitute_runtime_parameter(ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})
    return ir


def _refuse_model(config: TollgateConfig, store, record, checked: DataSummary, log: Path) -> None:
    """A step after the Trainer failed: if the model lacks what the config
    names, that is the one line to give (see pipeline/definition/model_check.py)."""
    from pipeline.definition.model_check import model_problem

    if record.model_id is None:
        return
    [model] = store.get_artifacts_by_id([record.model_id])
    problem = model_problem(config, model.uri, checked.files[0])
    if problem:
        raise TollgateError(f"{problem} (full log: {log})")


def run_pipeline(config: TollgateConfig, checked: DataSummary | None = None) -> RunSummary:
    """Checks the data (unless `checked` says it was), runs every step, and
    reads the result back from MLMD."""
    checked = checked or check_run_data(config.data_dir, config.span, columns_for_run(config))
    load_user_module(config.model)
    run_id = datetime.datetime.now().isoformat()
    report = config.run_report(run_id)
    log = config.logs_dir / report.with_suffix(".log").name
    store = store_for(config)  # made here, before TFX connects to it
    with _terminal_for_tollgate(log) as terminal, _logged_to(log, progress := Progress(stream=terminal)):
        from tfx.orchestration.local.local_dag_runner import LocalDagRunner

        from pipeline.definition.pipeline import create_pipeline

        definition = create_pipeline(config)
        progress.total = len(definition.components)
        ir = _compiled(definition, run_id)
        try:
            LocalDagRunner().run_with_ir(ir)
        except Exception as error:
            awaiting = isinstance(error, SignOffPending)
            progress.fail("WAITS" if awaiting else "FAILED")
            logging.exception("run failed")
            if not (awaiting and config.signoff.timeout_seconds == 0):
                record = run_record(store, run_id)
                _refuse_model(config, store, record, checked, log)
                message = str(error) or type(error).__name__
                raise failure(store, record, progress.current, message, log, report) from error
            # With no wait configured, stopping at the sign-off is the expected end.
        return summarize(store, run_record(store, run_id), log, report)
