"""Requests, decisions and policy against a real MLMD store: SQLite, and MariaDB
for the races a team's shared store must survive."""

import json

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.signoff import records
from components.store import open_store


def _with_pipeline(store):
    pipeline = mlmd.Context(type_id=store.put_context_type(mlmd.ContextType(name="pipeline")), name="p")
    store.put_contexts([pipeline])
    return store


@pytest.fixture
def store(tmp_path):
    return _with_pipeline(open_store({"backend": "sqlite", "path": str(tmp_path / "m.sqlite")}))


@pytest.fixture(params=["sqlite", "mariadb"])
def any_store(request, tmp_path):
    """The same store on both backends Tollgate supports for local runs."""
    if request.param == "sqlite":
        return _with_pipeline(open_store({"backend": "sqlite", "path": str(tmp_path / "m.sqlite")}))
    request.getfixturevalue("mysql_password")
    return _with_pipeline(open_store(_mysql_spec(request.getfixturevalue("mariadb"), tmp_path.name)))


def _mysql_spec(server, database: str) -> dict:
    server.sql(f"CREATE DATABASE `{database}`")
    return {"backend": "mysql", "host": "127.0.0.1", "port": server.port, "database": database, "user": "tollgate"}


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


def test_a_second_decision_that_got_past_the_check_is_refused_by_the_store(any_store, monkeypatch):
    """Two approvers who both read "undecided" before either wrote: the store
    refuses the second write, and the refusal names the decision that landed."""
    made = request(any_store)
    anyone = records.Policy(approvers=(), allow_self_approval=False)
    records.record_decision(any_store, made, records.APPROVE, "alice", "ok", anyone)
    check, looks = records.decision_for, []

    def racing_look(store, request_id):
        looks.append(request_id)  # the race: the first look finds nothing, later looks see the truth
        return None if len(looks) == 1 else check(store, request_id)

    monkeypatch.setattr(records, "decision_for", racing_look)
    with pytest.raises(records.SignOffRefused, match="already decided .approve by alice"):
        records.record_decision(any_store, made, records.REJECT, "bob", "no", anyone)
    assert len(any_store.get_executions_by_type(records.DECIDE_EXECUTION)) == 1  # nothing half-written
    assert len(any_store.get_artifacts_by_type(records.DECISION_TYPE)) == 1


def _approve_at_once(spec: dict, request_id: int, approver: str, start, results) -> None:
    store = open_store(spec)
    made = records.get_request(store, request_id)
    start.wait()
    try:
        records.record_decision(store, made, records.APPROVE, approver, "", records.Policy((), False))
        results.put(("landed", approver))
    except records.SignOffRefused as refused:
        results.put(("refused", str(refused)))


def test_approvals_racing_on_mariadb_land_exactly_once(mariadb, mysql_password, tmp_path):
    import multiprocessing

    spec = _mysql_spec(mariadb, tmp_path.name)
    made = request(_with_pipeline(open_store(spec)))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(6), context.Queue()
    racers = [context.Process(target=_approve_at_once, args=(spec, made.id, f"approver{i}", start, results))
              for i in range(6)]
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=120) for _ in racers]
    for racer in racers:
        racer.join(timeout=60)
    landed = [who for kind, who in outcomes if kind == "landed"]
    assert len(landed) == 1, outcomes
    assert all("already decided" in why for kind, why in outcomes if kind == "refused")
    assert records.decision_for(open_store(spec), made.id).approver == landed[0]
    assert len(open_store(spec).get_artifacts_by_type(records.DECISION_TYPE)) == 1
