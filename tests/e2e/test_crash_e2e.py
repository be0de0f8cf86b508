"""Crash and resume: a run SIGKILLed inside each long step (tests/crash.py),
then what a user sees and what the next `tollgate run` does.

After each kill: the store is consistent (the step killed is not COMPLETE,
and nothing it was writing is LIVE), `tollgate runs` calls the run failed or
incomplete, nothing unapproved or half-copied is served, and the vector
alias points at a whole collection or at nothing. Then the next run ends as
runs end, taking every step finished before the kill from the cache.

On SQLite, and on MariaDB for a kill in the Trainer and one in Publish. Each
kill and each resume is a fresh process, forked from the worker's warm
parent (tests/forkserver.py).
"""

import os
import re

import pytest
from ml_metadata.proto import metadata_store_pb2

from components.vector_index_pusher import index
from tests.e2e.project import Project
from tests.e2e.stages import Stages

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
Execution, Artifact = metadata_store_pb2.Execution, metadata_store_pb2.Artifact
OUTPUT = metadata_store_pb2.Event.OUTPUT
KILLED = -9

# Seconds into the step; a step quicker than that is killed as its executor
# returns, before TFX records it. Each is about half the step's time here.
BEFORE_SIGN_OFF = {"CsvExampleGen": 0.2, "StatisticsGen": 2.0, "Transform": 0.3, "Trainer": 2.5,
                   "EmbeddingExporter": 0.5, "Evaluator": 3.0}
AFTER_SIGN_OFF = {"Pusher": 0.0, "Publish": 5.0, "VectorIndexPusher": 0.8}


def killed_execution(project: Project, node: str) -> Execution:
    store = project.store()
    context = store.get_context_by_type_and_name("node", f"{project.config.pipeline_name}.{node}")
    return max(store.get_executions_by_context(context.id), key=lambda e: e.id)


def assert_consistent_after_kill(project: Project, node: str) -> None:
    execution, store = killed_execution(project, node), project.store()
    assert execution.last_known_state not in (Execution.COMPLETE, Execution.CACHED)
    events = [e for e in store.get_events_by_execution_ids([execution.id]) if e.type == OUTPUT]
    written = store.get_artifacts_by_id([e.artifact_id for e in events]) if events else []
    assert all(a.state != Artifact.LIVE for a in written)
    assert project.tollgate("runs", "--json")[-1]["status"] in ("failed", "incomplete")
    assert_nothing_unapproved_served(project)


def assert_nothing_unapproved_served(project: Project) -> None:
    """Every served version is, file for file, a model someone approved, and the
    alias points at a collection holding all of its export's vectors."""
    assert set(project.served().values()) <= project.approved_digests()
    config = project.config
    if not os.path.exists(config.milvus_uri):
        return
    with index.opened(config.milvus_uri) as client:
        collection = index.resolve(client, config.milvus_uri, config.vector_alias)
        if collection is None:
            return
        [exported] = project.store().get_artifacts_by_id([int(re.search(r"_e(\d+)$", collection)[1])])
        assert index.count(client, collection) == exported.custom_properties["count"].int_value


def assert_resumed_from_cache(project: Project, node: str, resumed: dict, steps: list[str]) -> None:
    """The steps before `node` came from the cache, and `node` itself ran."""
    [record] = [r for r in project.tollgate("runs", "--json") if r["run_id"] == resumed["run_id"]]
    state = {s["node"]: s["state"] for s in record["steps"]}
    earlier = steps[:steps.index(node)]
    assert all(state[n] == "cached" for n in earlier), state
    assert state[node] == "done"


@pytest.mark.parametrize("node", BEFORE_SIGN_OFF)
def test_a_run_killed_before_the_sign_off_resumes(tmp_path, node):
    project = Project(tmp_path)
    project.run(crash=(node, BEFORE_SIGN_OFF[node]), expect=KILLED)
    assert_consistent_after_kill(project, node)
    resumed = project.run()
    assert resumed["status"] == "awaiting sign-off"  # where a run with no wait ends
    assert_resumed_from_cache(project, node, resumed, list(BEFORE_SIGN_OFF))
    assert project.served() == {}


@pytest.fixture(scope="module")
def approved(tmp_path_factory):
    """A run stopped at the sign-off, and alice's approval: (project, stages, model id)."""
    root = tmp_path_factory.mktemp("approved")
    project = Project(root / "project")
    stages = Stages(root, project.home)

    def build():
        model = project.run()["model_id"]
        project.tollgate("approve", str(model), "--by", "alice", user="alice")
        return {"model": model}

    stages.define("approved", None, build)
    return project, stages


@pytest.mark.parametrize("node", AFTER_SIGN_OFF)
def test_a_release_killed_while_pushing_resumes_and_serves_only_the_whole_model(approved, node):
    project, stages = approved
    model = stages.enter("approved")["model"]
    project.tollgate("release", str(model), crash=(node, AFTER_SIGN_OFF[node]), expect=KILLED)
    assert_consistent_after_kill(project, node)
    resumed = project.run()
    assert resumed["status"] == "succeeded" and resumed["model_id"] == model
    assert_resumed_from_cache(project, node, resumed, ["Evaluator", "SignOff", *AFTER_SIGN_OFF])
    assert len(project.served()) == 1  # one version, the approved model's
    assert_nothing_unapproved_served(project)
    assert resumed["pushed"] and project.tollgate("search", "--row", "fare=9.25", "-k", "2", "--json")


def test_a_run_killed_while_waiting_for_the_sign_off_resumes_after_approval(tmp_path):
    waiting = "[trainer]\ntrain_steps = 100\n[signoff]\ntimeout_seconds = 300\npoll_seconds = 0.5\n"
    project = Project(tmp_path, config_text=waiting)
    project.run(crash=("SignOff", 8.0), expect=KILLED)
    assert_consistent_after_kill(project, "SignOff")
    [pending] = project.tollgate("pending", "--json")  # it was waiting: the request is there
    project.tollgate("approve", str(pending["model_id"]), "--by", "alice", user="alice")
    resumed = project.run()
    assert resumed["status"] == "succeeded" and resumed["model_id"] == pending["model_id"]
    assert_resumed_from_cache(project, "SignOff", resumed, [*BEFORE_SIGN_OFF, "SignOff"])
    assert set(project.served().values()) == project.approved_digests()


def test_on_mariadb_a_run_killed_in_the_trainer_resumes(mariadb, mysql_password, tmp_path):
    project = Project(tmp_path, mariadb.config("crash_trainer") + "[trainer]\ntrain_steps = 100\n")
    project.run(crash=("Trainer", BEFORE_SIGN_OFF["Trainer"]), expect=KILLED)
    assert_consistent_after_kill(project, "Trainer")
    resumed = project.run()
    assert resumed["status"] == "awaiting sign-off"
    assert_resumed_from_cache(project, "Trainer", resumed, list(BEFORE_SIGN_OFF))


def test_on_mariadb_a_release_killed_in_publish_resumes(mariadb, mysql_password, tmp_path):
    project = Project(tmp_path, mariadb.config("crash_publish") + "[trainer]\ntrain_steps = 100\n")
    model = project.run()["model_id"]
    project.tollgate("approve", str(model), "--by", "alice", user="alice")
    project.tollgate("release", str(model), crash=("Publish", AFTER_SIGN_OFF["Publish"]), expect=KILLED)
    assert_consistent_after_kill(project, "Publish")
    resumed = project.run()
    assert resumed["status"] == "succeeded" and len(project.served()) == 1
    assert_resumed_from_cache(project, "Publish", resumed, ["SignOff", *AFTER_SIGN_OFF])
    assert_nothing_unapproved_served(project)
