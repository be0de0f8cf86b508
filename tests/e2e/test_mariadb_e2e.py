"""A team's store: the whole flow (run, sign-off, release, lineage, audit,
search) with MLMD on a real MariaDB server that the suite starts
(tests/mariadb.py), through the `tollgate` command as a user runs it, the
password given only in the environment."""

import subprocess
from pathlib import Path

import pytest

from tests.e2e.project import Project
from tests.mariadb import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
ROW = "trip_miles=2.5,fare=9.25,payment_type=Cash,company=Flash Cab,trip_start_hour=9"


@pytest.fixture(scope="module")
def team(mariadb, tmp_path_factory):
    """One run on MariaDB, approved by alice and released: (home, answers by command)."""
    project = Project(tmp_path_factory.mktemp("team"), mariadb.config("team") + "[trainer]\ntrain_steps = 100\n")
    run = project.run()
    project.tollgate("approve", str(run["model_id"]), "--by", "alice", "--comment", "fine", user="alice")
    answers = {"run": run, "release": project.tollgate("release", str(run["model_id"]), "--json")}
    answers["lineage"] = project.tollgate("lineage", str(run["model_id"]), "--json")
    answers["audit"] = project.tollgate("audit", "--json")
    answers["search"] = project.tollgate("search", "--row", ROW, "-k", "3", "--json")
    answers["runs"] = project.tollgate("runs", "--json")
    return project.home, answers


def test_a_run_on_mariadb_is_released_after_sign_off(team):
    home, answers = team
    assert answers["run"]["status"] == "awaiting sign-off"
    assert Path(answers["release"]["pushed"]).is_dir()
    assert not (home / "metadata.sqlite").exists()  # everything went to the server


def test_lineage_and_audit_read_the_same_facts_back_from_mariadb(team):
    _, answers = team
    lineage, [entry] = answers["lineage"], answers["audit"]
    assert lineage["signoff"]["status"] == "approve" and lineage["signoff"]["approver"] == "alice"
    assert lineage["data"]["input_base"] and lineage["evaluation"]["slices"]
    assert entry["model_id"] == answers["run"]["model_id"] and entry["approver"] == "alice"
    assert entry["serving_path"] == answers["release"]["pushed"]
    # Oldest first: the run that stopped for the sign-off, then the release that replayed it.
    assert [r["status"] for r in answers["runs"]] == ["stopped at sign-off", "succeeded"]


def test_search_uses_the_index_of_the_model_released_from_mariadb(team):
    _, answers = team
    found = answers["search"]
    assert len(found) == 3 and [f["distance"] for f in found] == sorted(f["distance"] for f in found)


def test_the_password_is_nowhere_in_the_store(team, mariadb):
    dump = subprocess.run(["mariadb-dump", f"--socket={mariadb.socket}", "-uroot", "team"],
                          capture_output=True, text=True, check=True).stdout
    assert "TollgateSignOffRequest" in dump  # the dump holds the store's records
    assert PASSWORD not in dump
