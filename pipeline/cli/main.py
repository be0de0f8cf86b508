"""The `tollgate` command."""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import signal
import sys
import threading
import types

from pipeline.cli import continuous, init, lineage, proof, run, search, signoff, ui
from pipeline.cli.common import EXIT_USER_ERROR, config_from_args
from pipeline.cli.render import finish
from pipeline.environment import prepare_process
from pipeline.errors import TollgateError

GROUPS = (init, run, signoff, proof, lineage, search, continuous, ui)
# Backends that add commands of their own, reached by name: the pipeline
# package never imports them, they plug in over it.
PLUGINS = ("kubeflow.commands",)
# What a plugin's commands share with the others, handed to its register().
PLUGIN_API = types.SimpleNamespace(config_from_args=config_from_args, finish=finish)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tollgate", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--config", help="TOML config file (default: $TOLLGATE_CONFIG)")
        command.add_argument("--json", action="store_true", help="print JSON")
        return command

    for group in GROUPS:
        group.register(sub, add)
    for name in PLUGINS:
        importlib.import_module(name).register(sub, add, PLUGIN_API)
    return top


def _quiet_logging() -> None:
    """Library log records and Python warnings (google.api_core's about Python
    3.11, say) stay off the terminal: a command prints only its own output,
    and a run's log file keeps them (`pipeline.local.runner`).

    The root logger needs a handler of its own: absl calls basicConfig(), a
    handler that prints to stderr, whenever it logs to a root without one.
    """
    logging.captureWarnings(True)
    logging.getLogger().addHandler(logging.NullHandler())


def main(argv: list[str] | None = None) -> int:
    prepare_process()
    _quiet_logging()
    # `tollgate lineage ... | head` should stop quietly, like any Unix tool.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except TollgateError as error:
        print(f"tollgate: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


def program() -> None:
    """The `tollgate` program (its console script, `python -m pipeline.cli`):
    main(), then an exit without the interpreter's teardown."""
    _exit_without_teardown(main())


def _exit_without_teardown(code: int) -> None:
    """Once a command is done, Python's teardown of TensorFlow's and Beam's
    modules takes seconds and does nothing a user needs. The exit handlers
    still run (Milvus Lite's server stops, handlers flush); only the teardown
    is skipped, and nothing is lost that a SIGKILL at this moment would lose,
    which every step survives (tests/e2e/test_crash_e2e.py). A process in
    which another thread still works exits the usual way."""
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
