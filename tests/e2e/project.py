"""A Tollgate project as a user has one: a config file, a CSV and a state
folder, driven through the `tollgate` command in child processes, so that a
test can run several at once or kill one (tests/crash.py)."""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path

from components.artifact_types import SIGNOFF_DECISION
from components.model_digest import folder_digest
from components.publish.executor import served_versions
from components.signoff import records
from components.store import MYSQL_PASSWORD_ENV
from pipeline.config import TollgateConfig
from pipeline.config_file import load_config
from pipeline.lineage.data import prop
from pipeline.lineage.store import store_for
from tests.conftest import REPO, taxi_rows, write_csv
from tests.forkserver import ForkServer, Forked
from tests.mariadb import PASSWORD


# The serving check's figures are tested for what they measure in
# tests/components/test_serving_check.py; a project here takes them once,
# briefly, unless its config sets [serving] itself.
BRIEF_SERVING_CHECK = "[serving]\nrepeats = 1\nlatency_calls = 20\nexamples = 50\n"


@dataclasses.dataclass
class Project:
    root: Path
    config_text: str = "[trainer]\ntrain_steps = 100\n"
    rows: int = 800
    home: Path | None = None  # by default <root>/home

    def __post_init__(self):
        self.config_file = self.root / "tollgate.toml"
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        brief = "" if "[serving]" in self.config_text else BRIEF_SERVING_CHECK
        self.config_file.write_text(self.config_text + brief)
        self.data = write_csv(self.root / "data" / "taxi.csv", *taxi_rows(self.rows))
        self.home = self.home or self.root / "home"

    def start(self, *args: str, user: str = "carol", crash: tuple[str, float] | None = None) -> Forked:
        """`python -m pipeline.cli ARGS` (or, to kill it, `python -m tests.crash ...`), forked warm."""
        module, before = ("tests.crash", [crash[0], str(crash[1]), "--"]) if crash else ("pipeline.cli", [])
        env = {**os.environ, "TOLLGATE_HOME": str(self.home), "TOLLGATE_USER": user, MYSQL_PASSWORD_ENV: PASSWORD}
        return fork_server().start(module, [*before, *args, "--config", str(self.config_file)], env, REPO)

    def tollgate(self, *args: str, user: str = "carol", crash: tuple[str, float] | None = None,
                 expect: int = 0) -> str | dict | list:
        """Runs one command to its end; its JSON answer if it was asked for one."""
        return finish(self.start(*args, user=user, crash=crash), expect, json_answer="--json" in args)

    def run(self, **kwargs) -> dict:
        return self.tollgate("run", "--data", str(self.data), "--json", **kwargs)

    @functools.cached_property
    def config(self) -> TollgateConfig:
        return load_config(self.config_file, home=str(self.home))

    def store(self):
        return store_for(self.config)

    def served(self) -> dict[str, str]:
        """Each version in the serving folder, with the digest of its files."""
        serving = self.config.serving_dir
        return {v: folder_digest(str(serving / v)) for v in served_versions(str(serving))}

    def approved_digests(self) -> set[str]:
        return {
            prop(decision, "model_digest") for decision in self.store().get_artifacts_by_type(SIGNOFF_DECISION)
            if prop(decision, "decision") == records.APPROVE
        }


@functools.cache
def fork_server() -> ForkServer:
    """This test worker's fork server (tests/forkserver.py), started on first use."""
    server = ForkServer(Path(tempfile.mkdtemp(prefix="tollgate-forkserver-")))
    atexit.register(server.stop)
    return server


def tollgate_in(home: Path, *args: str, user: str = "carol", timeout: float = 600) -> subprocess.CompletedProcess:
    """`tollgate ARGS` over this state folder, forked warm, to its end."""
    env = {**os.environ, "TOLLGATE_HOME": str(home), "TOLLGATE_USER": user}
    process = fork_server().start("pipeline.cli", list(args), env, REPO)
    stdout, stderr = communicate(process, timeout)
    return subprocess.CompletedProcess(["tollgate", *args], process.returncode, stdout, stderr)


def communicate(process: subprocess.Popen | Forked, timeout: float) -> tuple[str, str]:
    """As `subprocess.run` does: a command past its time is killed, then the test fails."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def finish(process: subprocess.Popen | Forked, expect: int = 0, json_answer: bool = False):
    stdout, stderr = communicate(process, 600)
    assert process.returncode == expect, f"exit {process.returncode}, wanted {expect}: {stderr[-3000:]}"
    return json.loads(stdout) if json_answer and expect == 0 else stdout
