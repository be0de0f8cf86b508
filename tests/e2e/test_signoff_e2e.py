"""Human sign-off on real pipeline runs.

carol triggers every run; alice, bob and carol may approve, but four eyes
keeps carol from approving her own models. Each training-steps value makes a
new model; the rest of the run comes from the cache. Every test starts from
its own copy of a stage of the story (tests/e2e/stages.py), so any one of
them runs alone, in any order.
"""

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest
from ml_metadata.proto import metadata_store_pb2

from components.signoff import records
from components.vector_index_pusher import index
from pipeline.cli.main import main
from pipeline.config_file import load_config
from pipeline.lineage.store import store_for
from pipeline.local.release import release
from pipeline.local.runner import run_pipeline
from pipeline.local.summary import RunFailed
from tests.conftest import copy_taxi
from tests.e2e.stages import Stages
from tests.people import key_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
INPUT = metadata_store_pb2.Event.INPUT
OUTPUT = metadata_store_pb2.Event.OUTPUT


def config(env, steps, timeout=0):
    return load_config(env["file"], trainer__train_steps=steps, signoff__timeout_seconds=timeout)


def cli(env, *args):
    return main([*args, "--config", env["file"]])


def decide_as(env, name, verb, model, *args):
    """`name` decides with their own key (carol is the one at the keyboard here)."""
    return cli(env, verb, str(model), "--by", name, "--key", str(key_of(name)), *args)


def serving_versions(env):
    serving = env["home"] / "serving" / "tollgate"
    return sorted(p for p in os.listdir(serving) if p.isdigit()) if serving.exists() else []




def signoff_execution(store, model_id):
    """The newest SignOff execution that read this model."""
    readers = [e.execution_id for e in store.get_events_by_artifact_ids([model_id]) if e.type == INPUT]
    executions = [e for e in store.get_executions_by_id(readers) if e.type.endswith("SignOff")]
    return max(executions, key=lambda e: e.id)


def output_blessing(store, execution_id):
    events = [e for e in store.get_events_by_execution_ids([execution_id]) if e.type == OUTPUT]
    [blessing] = store.get_artifacts_by_id([e.artifact_id for e in events])
    return blessing.custom_properties


def evaluator_baseline(store, steps):
    [evaluator] = [s for s in steps if s["node"] == "Evaluator"]
    events = store.get_events_by_execution_ids([evaluator["execution_id"]])
    return [e.artifact_id for e in events if e.type == INPUT and e.path.steps[0].key == "baseline_model"]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The environment and the stages: awaiting (m1 asked for sign-off), released
    (alice approved m1, released), second (m2 awaits), m2_rejected (bob rejected m2)."""
    root = tmp_path_factory.mktemp("signoff")
    data = copy_taxi(root)
    config_file = root / "tollgate.toml"
    config_file.write_text(
        f'data_root = "{data}"\n[signoff]\napprovers = ["alice", "bob", "carol"]\npoll_seconds = 0.5\n'
    )
    env = {"file": str(config_file), "home": root / "home"}
    saved = dict(os.environ)
    os.environ.update(TOLLGATE_HOME=str(env["home"]), TOLLGATE_USER="carol")
    stages = Stages(root, env["home"])

    def awaiting():
        with pytest.raises(RunFailed) as failed:
            run_pipeline(config(env, steps=100, timeout=1))
        [request] = records.pending_requests(store_for(config(env, 100)))
        return {"m1": request.model_id, "failure": str(failed.value)}

    def released():
        m1 = stages.facts["awaiting"]["m1"]
        assert decide_as(env, "alice", "approve", m1) == 0
        return {"pushed": release(config(env, 100), m1).run.pushed}

    def second():
        summary = run_pipeline(config(env, steps=150))
        return {"m2": summary.run.model_id, "second_run": summary}

    def m2_rejected():
        assert decide_as(env, "bob", "reject", stages.facts["second"]["m2"], "--comment", "worse on cash trips") == 0
        return {}

    stages.define("awaiting", None, awaiting)
    stages.define("released", "awaiting", released)
    stages.define("second", "released", second)
    stages.define("m2_rejected", "second", m2_rejected)
    yield env, stages
    os.environ.clear()
    os.environ.update(saved)


def test_a_timed_out_wait_fails_clearly_and_leaves_a_pending_request(story, capsys):
    env, stages = story
    facts = stages.enter("awaiting")
    assert f"SignOff failed: model {facts['m1']} awaits sign-off" in facts["failure"]
    assert serving_versions(env) == []
    assert cli(env, "pending", "--json") == 0
    [request] = json.loads(capsys.readouterr().out)
    assert request["model_id"] == facts["m1"]
    assert request["triggered_by"] == "carol"
    assert request["model_digest"].startswith("sha256:")
    assert request["eval_summary"]["overall"]["auc"] > 0.5
    assert f"approve {request['model_id']} [--comment TEXT]" in request["approve_command"]
    assert request["run_id"]


def test_unpermitted_approvers_are_refused(story, capsys):
    env, stages = story
    m1 = stages.enter("awaiting")["m1"]
    assert decide_as(env, "mallory", "approve", m1) == 2
    assert "may not approve" in capsys.readouterr().err
    assert decide_as(env, "carol", "approve", m1) == 2  # she triggered the run
    assert "four eyes" in capsys.readouterr().err
    assert decide_as(env, "alice", "approve", "999999") == 2
    assert "no model 999999" in capsys.readouterr().err
    assert records.pending_requests(store_for(config(env, 100)))  # still undecided


def test_approve_then_release_pushes_without_retraining(story, capsys):
    env, stages = story
    m1 = stages.enter("awaiting")["m1"]
    assert decide_as(env, "alice", "approve", m1, "--comment", "checked slices") == 0
    assert decide_as(env, "bob", "approve", m1) == 2  # decisions are final
    assert "already decided" in capsys.readouterr().err
    assert cli(env, "release", str(m1), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    steps = {s["node"]: s["state"] for s in summary["steps"]}
    assert steps["Trainer"] == "cached" and steps["Evaluator"] == "cached"
    assert steps["SignOff"] == "done" and steps["Publish"] == "done"
    assert summary["pushed"] and os.path.exists(os.path.join(summary["pushed"], "saved_model.pb"))
    store = store_for(config(env, 100))
    props = output_blessing(store, signoff_execution(store, m1).id)
    assert props["blessed"].int_value == 1
    assert props["current_model_id"].int_value == m1
    assert props["approver"].string_value == "alice"
    assert props["comment"].string_value == "checked slices"
    assert props["decided_at"].string_value
    [request] = records.requests_for_model(store, m1)
    assert props["model_digest"].string_value == request.model_digest
    assert props["request_id"].int_value == request.id
    assert cli(env, "show", str(m1), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "released" and shown["released_to"] == [summary["pushed"]]
    assert shown["decision"]["approver"] == "alice"


def test_the_next_run_compares_against_the_signed_off_model(story):
    env, stages = story
    # The run after the release is the "second" stage: its summary, and the store it left.
    facts = stages.enter("second")
    m1, summary = facts["m1"], facts["second_run"]
    assert summary.run.model_id != m1
    assert summary.signoff["status"] == "pending"
    assert summary.run.status == "awaiting sign-off"
    steps = [dataclasses.asdict(s) for s in summary.run.steps]
    assert evaluator_baseline(store_for(config(env, 150)), steps) == [m1]


def test_a_rejected_model_is_never_pushed(story, capsys):
    env, stages = story
    facts = stages.enter("second")
    m2, pushed_before = facts["m2"], serving_versions(env)
    assert decide_as(env, "bob", "reject", m2, "--comment", "worse on cash trips") == 0
    assert cli(env, "release", str(m2)) == 2
    assert "was rejected by bob" in capsys.readouterr().err
    summary = run_pipeline(config(env, steps=150))
    assert summary.run.status == "succeeded" and summary.run.pushed is None
    assert summary.signoff["status"] == "reject"
    assert serving_versions(env) == pushed_before
    uri = config(env, steps=150).milvus_uri
    with index.opened(uri) as client:
        served = index.resolve(client, uri, config(env, steps=150).vector_alias)
    assert served is not None and f"_m{m2}_" not in served  # its vectors are not served either
    capsys.readouterr()
    assert cli(env, "show", str(m2), "--json") == 0
    assert json.loads(capsys.readouterr().out)["state"] == "rejected, not released"


def test_an_approval_from_another_process_reaches_the_waiting_run(story):
    env, stages = story
    m1 = stages.enter("m2_rejected")["m1"]
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--config", env["file"], "--train-steps", "120",
         "--signoff-timeout", "300", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    store = store_for(config(env, 120))
    deadline = time.monotonic() + 240
    while not records.pending_requests(store):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "no sign-off request appeared"
        time.sleep(1)
    [request] = records.pending_requests(store)
    approve = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "approve", str(request.model_id), "--by", "bob",
         "--key", str(key_of("bob")), "--config", env["file"]],
        capture_output=True, text=True,
    )
    assert approve.returncode == 0, approve.stderr
    out, err = run.communicate(timeout=240)
    assert run.returncode == 0, err
    summary = json.loads(out)
    assert summary["model_id"] == request.model_id
    # Model 2 was blessed by the Evaluator but rejected by bob: the bar is still model 1.
    assert evaluator_baseline(store, summary["steps"]) == [m1]
    assert summary["signoff"]["approver"] == "bob"
    assert summary["pushed"] and os.path.basename(summary["pushed"]) in serving_versions(env)


def test_a_model_tampered_with_after_approval_is_not_pushed(story, capsys):
    env, stages = story
    stages.enter("released")
    summary = run_pipeline(config(env, steps=110))
    m4 = summary.run.model_id
    assert decide_as(env, "alice", "approve", m4) == 0
    before = serving_versions(env)
    [model] = store_for(config(env, 110)).get_artifacts_by_id([m4])
    with open(os.path.join(model.uri, "Format-Serving", "saved_model.pb"), "ab") as handle:
        handle.write(b"\0")
    capsys.readouterr()
    assert cli(env, "release", str(m4)) == 2  # refused before anything is replayed
    assert "saved_model.pb in the model changed after it was signed off" in capsys.readouterr().err
    assert serving_versions(env) == before
