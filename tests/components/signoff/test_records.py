"""Requests, decisions and policy against a real (SQLite) MLMD store."""

import json

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.signoff import records
from components.store import open_store


@pytest.fixture
def store(tmp_path):
    store = open_store({"backend": "sqlite", "path": str(tmp_path / "m.sqlite")})
    pipeline = mlmd.Context(type_id=store.put_context_type(mlmd.ContextType(name="pipeline")), name="p")
    store.put_contexts([pipeline])
    return store


class FakeModel:
    """What the executor hands over: an artifact with an id and a uri."""

    def __init__(self, store):
        artifact = mlmd.Artifact(type_id=store.put_artifact_type(mlmd.ArtifactType(name="Model")), uri="/m")
        [self.id] = store.put_artifacts([artifact])
        self.uri = "/m"


def request(store, triggered_by="carol"):
    return records.record_request(
        store, FakeModel(store), "sha256:abc", "p", triggered_by=triggered_by,
        eval_summary={"overall": {"auc": 0.9}}, approve_command="tollgate approve",
        release_command="tollgate release", config=json.dumps({}),
    )


def test_request_round_trips_and_is_pending(store):
    made = request(store)
    assert made.model_digest == "sha256:abc" and made.eval_summary["overall"]["auc"] == 0.9
    assert records.requests_for_model(store, made.model_id) == [made]
    assert records.pending_requests(store) == [made]


def test_decision_is_recorded_once_and_for_all(store):
    made = request(store)
    anyone = records.Policy(approvers=(), allow_self_approval=False)
    decision = records.record_decision(store, made, records.APPROVE, "alice", "ok", anyone)
    assert records.decision_for(store, made.id) == decision
    assert records.pending_requests(store) == []
    with pytest.raises(records.SignOffRefused, match="already decided"):
        records.record_decision(store, made, records.REJECT, "bob", "no", anyone)
    # The decision's lineage: the request and the model went in, the decision came out.
    [execution] = store.get_executions_by_type(records.DECIDE_EXECUTION)
    events = store.get_events_by_execution_ids([execution.id])
    assert {e.artifact_id for e in events if e.type == mlmd.Event.INPUT} == {made.id, made.model_id}


@pytest.mark.parametrize(
    "policy, approver, message",
    [
        (records.Policy(("alice", "bob"), False), "mallory", "may not approve"),
        (records.Policy((), False), "carol", "four eyes"),
    ],
)
def test_policy_refusals(store, policy, approver, message):
    made = request(store, triggered_by="carol")
    with pytest.raises(records.SignOffRefused, match=message):
        records.record_decision(store, made, records.APPROVE, approver, "", policy)
    assert records.decision_for(store, made.id) is None


def test_self_approval_when_allowed(store):
    made = request(store, triggered_by="carol")
    policy = records.Policy(("carol",), allow_self_approval=True)
    assert records.record_decision(store, made, records.APPROVE, "carol", "", policy).approver == "carol"
