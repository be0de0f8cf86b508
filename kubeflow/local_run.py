"""`tollgate kubeflow run-local`: the compiled Kubeflow pipeline, run here by kfp.local.

The spec is compiled as `tollgate compile` compiles it, written under
$TOLLGATE_HOME, and that file is what runs: kfp.local's SubprocessRunner
starts each task in its own process, in this environment, against the local
store. What a cluster adds, and this cannot show: pods, volumes and the image.

kfp.local prints every task's output; all of it goes to the run's log file,
and the terminal gets one line per task, as `tollgate run` prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
from pathlib import Path

from kubeflow.backend import KubeflowBackend
from kubeflow.compiler import write_spec
from kubeflow.node import MARKER
from pipeline.config import TollgateConfig
from pipeline.lineage.runs import latest_run
from pipeline.lineage.store import store_for
from pipeline.local.progress import Progress
from pipeline.local.summary import RunSummary, failure, summarize

# What kfp.local (2.13) prints as each task starts and ends, colours removed.
_STARTS = re.compile(r"Executing task '([^']+)'")
_ENDS = re.compile(r"Task '([^']+)' finished with status (\w+)")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
IMAGE = "ghcr.io/tollgate/tollgate:local"  # when the config names none; nothing is pulled here


class TaskLines:
    """kfp.local's output: kept in the log, read for each task's start and end."""

    def __init__(self, log, progress: Progress, names: dict[str, str]):
        self.log, self.progress, self.names = log, progress, names
        self.buffer = ""
        self.failed: tuple[str, str] | None = None  # (node, first line of its error)

    def write(self, text: str) -> int:
        self.log.write(text)
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self._read(_COLOUR.sub("", line).strip())
        return len(text)

    def flush(self) -> None:
        self.log.flush()

    def _read(self, line: str) -> None:
        if started := _STARTS.search(line):
            self.progress.start(self.names.get(started.group(1), started.group(1)))
        elif line.startswith(MARKER):
            node, state, *error = line[len(MARKER):].split(maxsplit=2)
            if state == "failed":
                self.failed = (node, error[0] if error else "")
            self.progress.finish({"failed": "FAILED", "waits": "WAITS"}.get(state, state))
        elif (ended := _ENDS.search(line)) and ended.group(2) != "SUCCESS" and self.progress.current:
            self.failed = self.failed or (self.progress.current, f"its task ended with status {ended.group(2)}")
            self.progress.finish("FAILED")


def interpreter_in_bootstrap_only(full_command: list[str], interpreter: str) -> list[str]:
    """kfp.local 2.13 puts this interpreter in place of every "python3" in a
    task's command line, its arguments included, so data under
    .../lib/python3.11/... is rewritten (kubeflow/pipelines#14459, open).
    Only the bootstrap script, up to the component's source, names it."""
    source = next(i for i, part in enumerate(full_command) if "ephemeral_component.py" in part) + 1
    return [part.replace("python3", interpreter) for part in full_command[:source]] + full_command[source:]


@contextlib.contextmanager
def _arguments_kept():
    from kfp.local import subprocess_task_handler

    replace = subprocess_task_handler.replace_python_executable
    subprocess_task_handler.replace_python_executable = interpreter_in_bootstrap_only
    try:
        yield
    finally:
        subprocess_task_handler.replace_python_executable = replace


def local_config(config: TollgateConfig) -> TollgateConfig:
    """The config the tasks run with here: this machine's store, home and data."""
    return dataclasses.replace(config, runner=KubeflowBackend.name, home=str(config.home_dir),
                               data_root=str(config.data_dir))


def _task_names(spec: Path) -> dict[str, str]:
    """kfp's task name -> the TFX node it runs."""
    import yaml

    with open(spec) as handle:
        tasks = next(yaml.safe_load_all(handle))["root"]["dag"]["tasks"]
    return {name: task["taskInfo"]["name"] for name, task in tasks.items()}


def run_local(config: TollgateConfig, facts: dict[str, str], image: str | None = None) -> RunSummary:
    """Compiles, runs with kfp.local, and reads the run back like `tollgate run`.

    `facts` are the run's parameters: triggered_by, command_prefix and
    release_command (the command that runs it again, and then pushes).
    """
    from kfp import components, local

    here = local_config(config)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    name = f"{config.pipeline_name}-{stamp}"
    spec = config.home_dir / "kubeflow" / f"{name}.yaml"
    write_spec(here, image or IMAGE, KubeflowBackend(os.getcwd()), str(spec))
    log, report = config.logs_dir / f"run-{name}.log", config.home_dir / "reports" / f"run-{name}.html"
    store = store_for(config)  # made here, before the tasks connect to it
    names = _task_names(spec)
    progress = Progress(len(names))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        lines = TaskLines(handle, progress, names)
        with contextlib.redirect_stdout(lines), _arguments_kept():
            local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(config.home_dir / "kfp"))
            pipeline = components.load_component_from_file(str(spec))
            try:
                pipeline(**facts)  # the data as compiled: this run's
            except RuntimeError:
                node, error = lines.failed or (progress.current, "a task failed")
                raise failure(store, latest_run(store, config.pipeline_name), node, error, log, report) from None
    return summarize(store, latest_run(store, config.pipeline_name), log, report)
