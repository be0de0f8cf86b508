"""The catalogue of bad inputs, through the `tollgate` command as a user runs it.

Each case gets one line naming the problem and the fix, exit 2, no
traceback, nothing released, and a store that is just as it was: the test
counts MLMD's executions, artifacts, contexts and events, and lists the
serving folder, before and after.

The store holds a released model, a rejected one, an approved one and one
awaiting sign-off, made once for the module; no case changes it, and the one
that alters a model's files puts them back.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TAXI_CSV, taxi_rows, write_csv

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
CONFIG = "[trainer]\ntrain_steps = {steps}\n[embeddings]\nenabled = false\n"


def tollgate(home: Path, *args, user="carol"):
    env = {**os.environ, "TOLLGATE_HOME": str(home), "TOLLGATE_USER": user}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """(home, {model: id}) for models released, rejected, approved and pending."""
    root = tmp_path_factory.mktemp("catalogue")
    header, rows = taxi_rows(400)
    data = write_csv(root / "data" / "taxi.csv", header, rows)
    home, models = root / "home", {}
    for steps, name in ((40, "released"), (41, "rejected"), (42, "approved"), (43, "pending")):
        config = root / f"{name}.toml"
        config.write_text(CONFIG.format(steps=steps))
        run = json.loads(tollgate(home, "run", "--config", str(config), "--data", str(data), "--json").stdout)
        models[name] = run["model_id"]
    for name, verb in (("released", "approve"), ("rejected", "reject"), ("approved", "approve")):
        assert tollgate(home, verb, str(models[name]), "--by", "alice", "--comment", "ok", user="alice").returncode == 0
    assert tollgate(home, "release", str(models["released"])).returncode == 0
    return home, models


def snapshot(home: Path) -> tuple:
    """What a refusal must leave alone: the store's rows and what is served."""
    with sqlite3.connect(home / "metadata.sqlite") as db:
        counts = tuple(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                       for table in ("Execution", "Artifact", "Context", "Event"))
    return counts, sorted(str(p.relative_to(home)) for p in (home / "serving").rglob("*"))


def refused(home: Path, words: tuple, *args, user="carol"):
    """Runs the command and checks the refusal: one readable line, exit 2, nothing changed."""
    before = snapshot(home)
    done = tollgate(home, *args, user=user)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("tollgate: error: "), done.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert snapshot(home) == before
    return lines[0]


def csv_case(tmp_path: Path, change) -> Path:
    header, rows = taxi_rows(30)
    path = write_csv(tmp_path / "in.csv", header, rows)
    change(path, header)
    return path


def _replace_header(old: str, new: str):
    def change(path: Path, header):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text(lines[0].replace(old, new, 1) + "".join(lines[1:]))
    return change


def _append_to_line(line: int, text: bytes):
    def change(path: Path, header):
        lines = path.read_bytes().splitlines(keepends=True)
        lines[line] = lines[line].rstrip(b"\r\n") + text + b"\r\n"
        path.write_bytes(b"".join(lines))
    return change


def _set_cell(column: str, value: str):
    def change(path: Path, header):
        import csv

        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        rows[4][header.index(column)] = value
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return change


def _not_utf8(path: Path, header):
    _set_cell("company", "Caf\u00e9")(path, header)
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))


DATA = {
    "an empty file": (lambda p, h: p.write_text(""), ("is empty",)),
    "a header only": (lambda p, h: p.write_text(",".join(h) + "\n"), ("header but no rows",)),
    "a missing column": (_replace_header("payment_type,", ""), ("missing column(s) payment_type",)),
    "an extra column": (_append_to_line(0, b",colour"), ("does not know: colour", "remove them")),
    "a wrong type": (_set_cell("trip_miles", "far"), ("column 'trip_miles'", "'far' is not a number")),
    "non-UTF-8 bytes": (_not_utf8, ("not UTF-8", "byte 0xe9", "save it as UTF-8")),
    "a ragged row": (_append_to_line(3, b",1,2"), ("line 4 has", "fields but the header has")),
    "a duplicate header name": (_replace_header("fare", "company"), ("company more than once",)),
    "a huge field": (_set_cell("company", "x" * 200_000), ("can't be read as CSV", "field larger")),
}


@pytest.mark.parametrize("case", DATA, ids=list(DATA))
def test_bad_data_is_refused_before_anything_runs(team, tmp_path, case):
    change, words = DATA[case]
    refused(team[0], words, "run", "--data", str(csv_case(tmp_path, change)))


def test_a_data_path_that_does_not_exist(team, tmp_path):
    refused(team[0], ("does not exist", "--data"), "run", "--data", str(tmp_path / "nowhere.csv"))


def test_a_folder_with_no_csv(team, tmp_path):
    (tmp_path / "notes.txt").write_text("no data here")
    refused(team[0], ("no .csv files in",), "run", "--data", str(tmp_path))


# A module's config, complete but for the module itself.
MODEL = (f'data_root = "{TAXI_CSV}"\n[model]\nlabel_key = "big_tipper_xf"\nproblem = "binary"\n'
         'preprocessing_function_names = ["transform_features"]\nmodule = "{}"\n')
# With no preprocessing signature to compute it, the label must be a column.
RAW_LABEL = MODEL.replace('preprocessing_function_names = ["transform_features"]\n', "")
CONFIGS = {
    "bad TOML": ("[trainer\n", ("is not valid TOML",)),
    "an unknown key": ("[trainer]\ntrian_steps = 5\n", ("unknown config key 'trainer.trian_steps'",)),
    "a wrong type": ("[trainer]\ntrain_steps = 'many'\n", ("trainer.train_steps",)),
    "negative steps": ("[trainer]\ntrain_steps = -5\n", ("trainer.train_steps must be positive",)),
    "a module that can't be imported": (MODEL.format("trainer.no_such_model"),
                                        ("trainer.no_such_model cannot be imported", "ModuleNotFoundError")),
    "a module without its functions": (MODEL.format("trainer.encoders"),
                                       ("has no function preprocessing_fn", "which Transform calls")),
    "a module file that is not there": (MODEL.format("no/such/model.py"), ("does not exist",)),
    "an unknown metric": ('[[evaluator.metrics]]\nname = "f1"\n', ("unknown metric 'f1'", "choose from auc")),
    "a label not in the data": (RAW_LABEL.format("trainer.taxi.model"),
                                ("no column 'big_tipper_xf'", "model.label_key")),
    "a module without its label": ('[model]\nmodule = "trainer.taxi.model"\nlabel_key = ""\n',
                                   ("model.label_key must name the label",)),
}


@pytest.mark.parametrize("case", CONFIGS, ids=list(CONFIGS))
def test_bad_config_is_refused_before_anything_runs(team, tmp_path, case):
    text, words = CONFIGS[case]
    (tmp_path / "bad.toml").write_text(text)
    refused(team[0], words, "run", "--config", str(tmp_path / "bad.toml"))


def test_an_unknown_model_id(team):
    for command in ("show", "release", "lineage"):
        refused(team[0], ("9999",), command, "9999")


def test_approving_a_rejected_model(team):
    home, models = team
    refused(home, ("already decided", "reject"), "approve", str(models["rejected"]), "--by", "bob", user="bob")


def test_releasing_an_unapproved_model(team):
    home, models = team
    refused(home, ("approve",), "release", str(models["pending"]))
    refused(home, ("reject",), "release", str(models["rejected"]))


def test_releasing_a_model_changed_after_approval(team):
    home, models = team
    lineage = json.loads(tollgate(home, "lineage", str(models["approved"]), "--json").stdout)
    variables = next(Path(lineage["model"]["uri"]).rglob("variables.index"))
    original = variables.read_bytes()
    try:
        variables.write_bytes(original + b"tampered")
        refused(home, ("changed",), "release", str(models["approved"]))
    finally:
        variables.write_bytes(original)


@pytest.mark.parametrize("contents", ["garbage", "another program's database"])
def test_a_store_that_is_not_tollgates(tmp_path, contents):
    home = tmp_path / "home"
    home.mkdir()
    store = home / "metadata.sqlite"
    if contents == "garbage":
        store.write_bytes(os.urandom(4096))
    else:
        with sqlite3.connect(store) as db:
            db.execute("CREATE TABLE notes (text)")
    kept = store.read_bytes()
    for command in (("runs",), ("pending",), ("run", "--data", str(csv_case(tmp_path, lambda p, h: None)))):
        done = tollgate(home, *command)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "is not a metadata store" in done.stderr or "but not a metadata store" in done.stderr
    assert store.read_bytes() == kept  # MLMD never added its tables to someone else's file
    assert sorted(p.name for p in home.iterdir()) == ["metadata.sqlite"]


def test_a_state_folder_that_cannot_be_written(tmp_path):
    (tmp_path / "a-file").write_text("")
    home = tmp_path / "a-file" / "home"
    done = tollgate(home, "run", "--data", str(csv_case(tmp_path, lambda p, h: None)))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "can't create the state folder" in done.stderr and "TOLLGATE_HOME" in done.stderr
