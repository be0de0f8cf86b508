"""During a run, the terminal shows Tollgate's lines only; everything else
written to stdout or stderr, by this process or a worker it starts, goes to
the run's log. Checked in a process of its own, whose descriptors are real."""

import subprocess
import sys
import textwrap

from tests.conftest import REPO

_SCRIPT = textwrap.dedent("""
    import os, subprocess, sys
    from pathlib import Path
    from pipeline.local.runner import _terminal_for_tollgate

    print("-- run starts --", file=sys.stderr, flush=True)
    with _terminal_for_tollgate(Path(sys.argv[1])) as terminal:
        worker = "import warnings; warnings.warn('from a worker', FutureWarning); print('worker stdout')"
        subprocess.run([sys.executable, "-c", worker], check=True)
        os.write(2, b"native stderr\\n")
        print("a stray print")
        terminal.write("[ 1/1] StatisticsGen  done\\n")
    print("summary after the run")
""")


def test_only_tollgate_lines_reach_the_terminal(tmp_path):
    log = tmp_path / "logs" / "run.log"
    result = subprocess.run([sys.executable, "-c", _SCRIPT, str(log)], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.split("-- run starts --\n", 1)[1] == "[ 1/1] StatisticsGen  done\n"
    assert result.stdout == "summary after the run\n"
    kept = log.read_text()
    for line in ("from a worker", "worker stdout", "native stderr", "a stray print"):
        assert line in kept
