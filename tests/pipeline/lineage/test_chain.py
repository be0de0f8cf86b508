"""`audit --verify`'s walk of the audit trail, against a real MLMD store on
SQLite and on the suite's MariaDB, and what anyone who can write to the
store (but holds no approver's key) might do to it."""

import json
import sqlite3

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.artifact_types import REQUEST_EXECUTION, SIGNOFF_REQUEST
from components.model_digest import SERVING_SUBDIR
from components.signoff import decisions, keys, records
from components.store import open_store
from pipeline.lineage.chain import check_chain


class Trail:
    """A store holding pipeline p's trail: request, signed approval, release, request."""

    def __init__(self, spec: dict, tmp_path, sql, older: bool = False):
        self.spec, self.tmp, self.sql = spec, tmp_path, sql
        self.store = open_store(spec)
        context_type = self.store.put_context_type(mlmd.ContextType(name="pipeline"))
        self.store.put_contexts([mlmd.Context(type_id=context_type, name="p")])
        keys.generate(tmp_path / "alice.pem", "alice")
        (tmp_path / "keyring").write_text((tmp_path / "alice.pem.pub").read_text())
        self.keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)
        if older:
            self._before_the_trail()
        self.ids = self._play()

    def request(self, store=None) -> records.Request:
        store = store or self.store
        folder = self.tmp / "model" / SERVING_SUBDIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "saved_model.pb").write_bytes(b"graph")
        model = mlmd.Artifact(type_id=store.put_artifact_type(mlmd.ArtifactType(name="Model")),
                              uri=str(self.tmp / "model"))
        [model.id] = store.put_artifacts([model])
        return records.record_request(store, model, "sha256:abc", "p", triggered_by="carol", eval_summary={},
                                      approve_command="", release_command="", config=json.dumps({}),
                                      serving_uri=str(self.tmp / "serving"), targets="")

    def _before_the_trail(self) -> None:
        """A request and its unsigned approval as Tollgate recorded them before
        signing and the trail existed: no runtime targets, no link."""
        old = self.request()
        for name in ("serving_uri", "targets", "previous"):
            self.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {old.id} AND name = '{name}'")
        decided = records.record_decision(self.store, records.get_request(self.store, old.id), records.APPROVE,
                                          "alice", "", records.Policy((), True))
        self.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {decided.id} AND name = 'previous'")

    def _play(self) -> dict:
        first = self.request()
        signer = decisions.Signer("alice", self.tmp / "alice.pem", keys.load_private(self.tmp / "alice.pem"))
        trust = decisions.Trust(self.keyring, records.Policy((), True))
        decision = decisions.decide(self.store, first, records.APPROVE, signer, "ok", trust, self.keyring)
        records.record_release(self.store, "p", {"model_id": first.model_id, "request_id": first.id,
                                                 "model_digest": "sha256:abc", "serving_path": "/serving/1"})
        release = records.audit_records(self.store, "p")[-1]
        return {"request": first.id, "decision": decision.id, "release": release.id, "next": self.request().id}

    def check(self):
        return check_chain(open_store(self.spec), "p", self.keyring)

    def set_property(self, artifact_id: int, name: str, value: str) -> None:
        self.sql(f"UPDATE ArtifactProperty SET string_value = '{value}' "
                 f"WHERE artifact_id = {artifact_id} AND name = '{name}'")

    def delete(self, artifact_id: int) -> None:
        for table in ("ArtifactProperty", "Event", "Attribution"):
            self.sql(f"DELETE FROM {table} WHERE artifact_id = {artifact_id}")
        self.sql(f"DELETE FROM Artifact WHERE id = {artifact_id}")


@pytest.fixture(params=["sqlite", "mariadb"])
def trail(request, tmp_path):
    return _trail(request, tmp_path)


@pytest.fixture(params=["sqlite", "mariadb"])
def older_trail(request, tmp_path):
    return _trail(request, tmp_path, older=True)


def _trail(request, tmp_path, older: bool = False):
    if request.param == "sqlite":
        path = tmp_path / "m.sqlite"

        def sql(statement):
            with sqlite3.connect(path) as connection:
                connection.execute(statement)

        return Trail({"backend": "sqlite", "path": str(path)}, tmp_path, sql, older)
    request.getfixturevalue("mysql_password")
    server, database = request.getfixturevalue("mariadb"), f"chain_{tmp_path.name}"[:60]
    server.sql(f"CREATE DATABASE `{database}`")
    spec = {"backend": "mysql", "host": "127.0.0.1", "port": server.port, "database": database, "user": "tollgate"}
    return Trail(spec, tmp_path, lambda statement: server.sql(f"USE `{database}`; {statement}"), older)


def test_an_untouched_trail_holds_and_its_decision_verifies(trail):
    found = trail.check()
    assert found.problem is None and found.records == 4 and found.signed == 1
    assert "holds: 4 records of p" in found.line()


def test_an_append_that_lost_a_race_follows_the_winner(trail, monkeypatch):
    """Two appenders read the same head; the second to write finds that record
    already followed (the store refuses its link), reads the new head, and
    follows the winner: the trail stays one line, never a fork."""
    heads = iter([records.chain_head(trail.store, "p")])  # what it read before the winner landed
    winner = trail.request()
    real_head = records.chain_head
    monkeypatch.setattr(records, "chain_head", lambda store, pipeline: next(heads, None) or real_head(store, pipeline))
    loser = trail.request()
    assert loser.previous == records.record_hash(trail.store.get_artifacts_by_id([winner.id])[0])
    found = trail.check()
    assert found.records == 6 and found.problem is None, found.problem


def test_an_edited_request_is_named(trail):
    trail.set_property(trail.ids["request"], "triggered_by", "mallory")
    assert trail.check().problem.startswith(f"request {trail.ids['request']} was changed")


def test_an_edited_decision_is_named(trail):
    trail.set_property(trail.ids["decision"], "comment", "waved through")
    problem = trail.check().problem
    assert problem.startswith(f"decision {trail.ids['decision']} ") and "the record was changed" in problem


def test_an_edited_link_in_a_decision_is_caught_by_its_signature(trail):
    """Pointing a decision elsewhere needs its signed statement changed too."""
    trail.set_property(trail.ids["decision"], "previous", "sha256:" + "0" * 64)
    problem = trail.check().problem
    assert problem.startswith(f"decision {trail.ids['decision']}"), problem


def test_a_removed_decision_is_named_by_the_record_after_it(trail):
    trail.delete(trail.ids["decision"])
    problem = trail.check().problem
    assert problem == (f"request {trail.ids['request']} was changed, or a record after it was removed: "
                       f"release {trail.ids['release']} follows a record that is not there")


def test_an_edited_release_is_named(trail):
    trail.set_property(trail.ids["release"], "serving_path", "/elsewhere/1")
    assert trail.check().problem.startswith(f"release {trail.ids['release']} was changed")


def test_a_record_inserted_into_the_past_is_named(trail):
    """A writer who links a record of their own to an earlier one, by the store's
    own API: the record that already followed it gives the insertion away."""
    [first] = trail.store.get_artifacts_by_id([trail.ids["request"]])
    context = trail.store.get_context_by_type_and_name("pipeline", "p")
    forged = records._record(trail.store, REQUEST_EXECUTION, SIGNOFF_REQUEST,
                             {"model_id": 1, "previous": records.record_hash(first)}, [], [context])
    assert trail.check().problem == (f"request {forged} was inserted: it and the signed decision "
                                     f"{trail.ids['decision']} both follow request {trail.ids['request']}")


def test_a_decision_signed_by_a_key_not_in_the_keyring_is_named(trail, tmp_path):
    keys.generate(tmp_path / "other.pem", "alice")
    (tmp_path / "keyring").write_text((tmp_path / "other.pem.pub").read_text())
    trail.keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)
    assert trail.check().problem.startswith(f"decision {trail.ids['decision']} ")


def test_records_from_before_the_trail_are_counted_as_older(older_trail):
    found = older_trail.check()
    assert found.problem is None and found.records == 6 and found.older == 2 and found.signed == 1, found
    assert "2 older records carry no link" in found.line()


def test_links_removed_up_to_the_newest_decision_are_caught(trail):
    """Without links, every record would pass as older and could then be edited."""
    for name in ("request", "decision", "release"):
        trail.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {trail.ids[name]} AND name = 'previous'")
    trail.set_property(trail.ids["release"], "serving_path", "/elsewhere/1")
    problem = trail.check().problem
    assert problem.startswith(f"decision {trail.ids['decision']} ") and "the record was changed" in problem, problem


def test_a_signed_decision_made_to_look_unsigned_is_caught(trail):
    """Its envelope removed, and its request's targets, as if both predated signing."""
    for name in ("envelope", "key_id", "model_signature"):
        trail.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {trail.ids['decision']} AND name = '{name}'")
    trail.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {trail.ids['request']} AND name = 'serving_uri'")
    assert trail.check().problem == (f"decision {trail.ids['decision']} is unsigned, yet it is in the audit trail, "
                                     "where every decision is signed: it was written into the store by hand")


def test_the_newest_record_deleted_is_named_and_appends_go_on(trail):
    trail.delete(trail.ids["next"])
    later = trail.request()  # the link the deleted record took stays taken
    problem = trail.check().problem
    assert later.previous == records.record_hash(trail.store.get_artifacts_by_id([trail.ids["release"]])[0])
    assert problem.startswith("a record was removed: execution ") and problem.endswith("and it is gone"), problem


def test_a_decision_that_lost_a_race_is_signed_again_over_the_winner(trail, monkeypatch):
    stale = records.chain_head(trail.store, "p")
    winner = trail.request()
    request = trail.request()
    heads = iter([stale])
    real_head = records.chain_head
    monkeypatch.setattr(records, "chain_head", lambda store, pipeline: next(heads, None) or real_head(store, pipeline))
    signer = decisions.Signer("alice", trail.tmp / "alice.pem", keys.load_private(trail.tmp / "alice.pem"))
    trust = decisions.Trust(trail.keyring, records.Policy((), True))
    decision = decisions.decide(trail.store, request, records.APPROVE, signer, "", trust, trail.keyring)
    [after] = trail.store.get_artifacts_by_id([request.id])
    assert decision.previous == records.record_hash(after) and winner.id < request.id
    assert decisions.signed_decision(decision, trail.keyring)["predicate"]["previous"] == decision.previous
    found = trail.check()
    assert found.problem is None and found.signed == 2, found.problem
