"""run-local's reading of kfp.local's output: everything to the log, one line per task to the terminal."""

import io

from kubeflow.local_run import TaskLines
from pipeline.local.progress import Progress

CYAN, GREEN, RED, RESET = "\x1b[96m", "\x1b[92m", "\x1b[91m", "\x1b[0m"
TRANSCRIPT = (
    f"08:17:28.342 - INFO - Executing task {CYAN}'csvexamplegen'{RESET}\n"
    "08:17:28.342 - INFO - Streamed logs:\n\n"
    "    [KFP Executor 2026-11-23 08:17:28,413 INFO]: Looking for component `tfx_node`\n"
    "    tollgate: node CsvExampleGen done\n"
    f"08:17:29.432 - INFO - Task {CYAN}'csvexamplegen'{RESET} finished with status {GREEN}SUCCESS{RESET}\n"
    f"08:17:29.433 - INFO - Executing task {CYAN}'signoff'{RESET}\n"
    "    the run stops here: model 8 awaits sign-off\n"
    "    tollgate: node SignOff waits\n"
    f"08:17:31.000 - INFO - Executing task {CYAN}'anomalygate'{RESET}\n"
    "    tollgate: node AnomalyGate failed 2 data anomalies (train: payment_type: ...)\n"
    f"08:17:32.000 - ERROR - Task {CYAN}'anomalygate'{RESET} finished with status {RED}FAILURE{RESET}\n"
)


def test_each_task_becomes_one_line_and_a_failure_is_remembered():
    log, terminal = io.StringIO(), io.StringIO()
    names = {"csvexamplegen": "CsvExampleGen", "signoff": "SignOff", "anomalygate": "AnomalyGate"}
    lines = TaskLines(log, Progress(3, terminal), names)
    for chunk in (TRANSCRIPT[:100], TRANSCRIPT[100:]):  # kfp.local writes in pieces
        lines.write(chunk)
    assert log.getvalue() == TRANSCRIPT
    shown = [line.split() for line in terminal.getvalue().splitlines()]  # "[", "1/3]", name, state, time
    assert [(s[1], s[2], s[3]) for s in shown] == [
        ("1/3]", "CsvExampleGen", "done"), ("2/3]", "SignOff", "WAITS"), ("3/3]", "AnomalyGate", "FAILED"),
    ]
    assert lines.failed == ("AnomalyGate", "2 data anomalies (train: payment_type: ...)")


def test_a_python3_in_a_tasks_arguments_survives_kfp_local():
    from kfp import dsl

    from kubeflow.local_run import interpreter_in_bootstrap_only
    from kubeflow.tasks import tfx_node

    container = dsl.component(tfx_node, base_image="tollgate:1", install_kfp_package=False).component_spec.implementation.container
    data = "/opt/venv/lib/python3.11/site-packages/tfx/examples/chicago_taxi_pipeline/data/simple"
    command = [*container.command, "--executor_input", f'{{"data_root": "{data}"}}', "--function_to_execute", "tfx_node"]
    replaced = interpreter_in_bootstrap_only(command, "/venv/bin/python")
    assert "/venv/bin/python -m kfp.dsl.executor_main" in replaced[2]  # the bootstrap runs this interpreter
    assert replaced[3:] == command[3:] and data in replaced[-3]  # the source and every argument kept
