"""tests/forkserver.py: a `tollgate` command forked warm answers exactly as
the same command started cold, and is a process of its own."""

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.e2e.project import fork_server, tollgate_in
from tests.e2e.proof_story import free_port

pytestmark = pytest.mark.e2e


def test_a_forked_command_answers_as_the_same_command_started_cold(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "TOLLGATE_HOME": str(home), "TOLLGATE_USER": "carol"}
    for args in (["runs", "--json"], ["lineage", "7"], ["pending"], ["no-such-command"]):
        cold = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        warm = tollgate_in(home, *args)
        assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr), args


def test_a_forked_command_is_its_own_process_and_its_signal_is_reported(tmp_path):
    env = {**os.environ, "TOLLGATE_HOME": str(tmp_path / "home")}
    server = fork_server()
    desks = [server.start("pipeline.cli", ["ui", "--port", str(free_port())], env, REPO) for _ in range(2)]
    assert all(desk.stdout.readline().startswith("the review desk: ") for desk in desks)
    assert len({desks[0].pid, desks[1].pid, server.process.pid, os.getpid()}) == 4
    desks[0].kill()
    assert desks[0].wait(timeout=30) == -signal.SIGKILL
    assert desks[1].returncode is None and os.kill(desks[1].pid, 0) is None  # the other runs on
    desks[1].terminate()
    desks[1].communicate(timeout=30)
    assert desks[1].returncode is not None
