"""`tollgate ui` and `tollgate ui add-user` as a person types them: one line
and exit 2 for bad input, and nothing written."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

TOLLGATE = [sys.executable, "-m", "pipeline.cli"]


def tollgate(tmp_path, *args, password=None, stdin=subprocess.DEVNULL):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOLLGATE_HOME": str(tmp_path / "home")}
    if password is not None:
        env["TOLLGATE_UI_PASSWORD"] = password
    return subprocess.run([*TOLLGATE, *args], cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
                          stdin=stdin)


def test_an_account_is_added_and_its_password_changed(tmp_path):
    added = tollgate(tmp_path, "ui", "add-user", "alice", password="a long enough secret")
    assert added.returncode == 0 and added.stdout.startswith("added alice (may decide) in ")
    changed = tollgate(tmp_path, "ui", "add-user", "alice", password="another long secret")
    assert changed.stdout.startswith("changed the password of alice")


@pytest.mark.parametrize("args, password, words", [
    (("ui", "add-user", "alice"), "short", "shorter than 12 characters"),
    (("ui", "add-user", "../alice"), "a long enough secret", "is not a user name"),
    (("ui", "add-user", "alice"), None, "no terminal to ask alice's password on; set TOLLGATE_UI_PASSWORD"),
    (("ui", "--host", "0.0.0.0"), None, "reachable from other machines"),
    (("ui", "--port", "70000"), None, "ui.port must be a port number"),
])
def test_bad_input_is_one_line_and_nothing_is_written(tmp_path, args, password, words):
    refused = tollgate(tmp_path, *args, password=password)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert line.startswith("tollgate: error:") and words in line, line
    assert not (tmp_path / "home" / "ui").exists()
