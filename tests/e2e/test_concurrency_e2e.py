"""A store under concurrent use: `tollgate` commands started at the same
instant, each its own process, against one MariaDB store the suite starts
(tests/mariadb.py) and, for one pipeline, against the default SQLite file.

Each fixture plays one story once and keeps what every command answered;
the tests only read those answers, so they run alone and in any order.
About 8 minutes in all.
"""

import json
from pathlib import Path

import pytest

from components.model_digest import folder_digest
from tests.conftest import taxi_rows, write_csv
from tests.e2e.project import Project, finish

# The tests read the store in this process too, with the password a user would set.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200), pytest.mark.usefixtures("mysql_password")]
TRAIN = "[trainer]\ntrain_steps = 100\n"


def at_once(*started):
    """Waits for processes started back to back; (exit code, stdout, stderr) of each."""
    outcomes = []
    for process in started:
        stdout, stderr = process.communicate(timeout=900)
        outcomes.append((process.returncode, stdout, stderr))
    return outcomes


def runs_at_once(*runs: tuple[Project, Path]) -> list[dict]:
    started = [project.start("run", "--data", str(data), "--json") for project, data in runs]
    return [finish(process, json_answer=True) for process in started]


def release_facts(project: Project, model: int) -> dict:
    lineage = project.tollgate("lineage", str(model), "--json")
    return {"lineage": lineage, "served": [folder_digest(r["serving_path"]) for r in lineage["releases"]]}


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def one_pipeline(request, tmp_path_factory):
    """Two runs of one pipeline at once, on two drops of data (on the same data
    the later one could take the earlier's steps from the cache); alice's
    approval of the first racing its release; three releases of the second
    racing one another."""
    store = request.getfixturevalue("mariadb").config("one_pipeline") if request.param == "mariadb" else ""
    project = Project(tmp_path_factory.mktemp("one-pipeline"), store + TRAIN)
    header, rows = taxi_rows(2 * project.rows)
    later = write_csv(project.root / "later" / "taxi.csv", header, rows[project.rows:])
    runs = runs_at_once((project, project.data), (project, later))
    first, second = (run["model_id"] for run in runs)
    raced = at_once(project.start("release", str(first)),
                    project.start("approve", str(first), "--by", "alice", user="alice"))
    project.tollgate("release", str(first))  # whichever way that race went, release it now
    project.tollgate("approve", str(second), "--by", "alice", user="alice")
    releases = at_once(*(project.start("release", str(second), "--json") for _ in range(3)))
    return {"project": project, "runs": runs, "approve_and_release": raced, "releases": releases,
            "first": release_facts(project, first), "second": release_facts(project, second)}


def test_two_runs_of_one_pipeline_at_once_both_finish_with_whole_lineage(one_pipeline):
    runs = one_pipeline["runs"]
    assert [run["status"] for run in runs] == ["awaiting sign-off"] * 2
    assert runs[0]["model_id"] != runs[1]["model_id"] and runs[0]["run_id"] != runs[1]["run_id"]
    for name, run in zip(("first", "second"), runs):
        lineage = one_pipeline[name]["lineage"]
        assert lineage["model"]["id"] == run["model_id"] and lineage["run_id"] == run["run_id"]
        for part in ("data", "statistics", "schema", "transform_graph", "trainer", "evaluation", "embeddings"):
            assert lineage[part], part
        assert lineage["signoff"]["status"] == "approve"


def test_no_release_is_crossed_or_repeated(one_pipeline):
    """Each model is served once, and what is served under its name is its own files."""
    project = one_pipeline["project"]
    for name in ("first", "second"):
        facts = one_pipeline[name]
        assert facts["served"] == [facts["lineage"]["signoff"]["model_digest"]]
    assert sorted(project.served().values()) == sorted(project.approved_digests())


def test_approve_racing_release_publishes_at_most_once(one_pipeline):
    (released, _, refusal), (approved, _, _) = one_pipeline["approve_and_release"]
    assert approved == 0
    # The release came first and found no decision, or came after it and pushed.
    assert released == 0 or (released == 2 and "has no decision yet" in refusal)
    assert len(one_pipeline["first"]["served"]) == 1


def test_releases_racing_publish_the_model_once(one_pipeline):
    outcomes = one_pipeline["releases"]
    assert [code for code, _, _ in outcomes] == [0, 0, 0], [(out[-300:], err[-800:]) for _, out, err in outcomes]
    [served] = one_pipeline["second"]["lineage"]["releases"]
    assert {json.loads(out)["pushed"] for _, out, _ in outcomes} == {served["serving_path"]}


def test_the_audit_trail_stays_one_line(one_pipeline):
    """Requests, decisions and releases recorded by racing processes each follow
    a different record, so `audit --verify` finds no fork."""
    walked = one_pipeline["project"].tollgate("audit", "--verify")
    assert "chain    holds: 6 records" in walked and "2 signed decisions verified" in walked, walked


@pytest.fixture(scope="module")
def two_pipelines(mariadb, tmp_path_factory):
    """Pipelines alpha and beta on one store and one state folder, run at once,
    approved, then released at once."""
    root = tmp_path_factory.mktemp("two-pipelines")
    store = mariadb.config("two_pipelines")
    alpha, beta = (Project(root / name, f'pipeline_name = "{name}"\n' + store + TRAIN, home=root / "home")
                   for name in ("alpha", "beta"))
    runs = runs_at_once((alpha, alpha.data), (beta, beta.data))
    for project, run in zip((alpha, beta), runs):
        project.tollgate("approve", str(run["model_id"]), "--by", "alice", user="alice")
    releases = [finish(p, json_answer=True) for p in
                [alpha.start("release", str(runs[0]["model_id"]), "--json"),
                 beta.start("release", str(runs[1]["model_id"]), "--json")]]
    return {"projects": (alpha, beta), "runs": runs, "releases": releases}


def test_two_pipelines_at_once_keep_to_their_own_runs_and_serving_folders(two_pipelines):
    for project, run, release in zip(two_pipelines["projects"], two_pipelines["runs"], two_pipelines["releases"]):
        assert run["status"] == "awaiting sign-off" and release["status"] == "succeeded"
        assert [r["run_id"] for r in project.tollgate("runs", "--json")] == [run["run_id"], release["run_id"]]
        assert Path(release["pushed"]).parent == project.config.serving_dir
        lineage = project.tollgate("lineage", str(run["model_id"]), "--json")
        assert lineage["data"]["input_base"] == str(project.data.parent)
        assert list(project.served().values()) == [lineage["signoff"]["model_digest"]]
