"""`tollgate audit --verify`: the pipeline's audit trail, walked record by record.

Requests, decisions and releases each name the hash of the record before
them (`components/signoff/records.py: append`), and each decision signs that
hash. Walked oldest first, the first record whose link does not hold is
named: the one before it was changed, or one after that was removed, or it
was inserted. Each decision's signature is checked against the checker's
keyring on the way, so a decision cannot be rewritten, and nothing before it
can, without an approver's private key.
"""

from __future__ import annotations

import dataclasses

from components.artifact_types import RELEASE_RECORD, SIGNOFF_DECISION, SIGNOFF_REQUEST
from components.signoff import decisions, keys, records

_KINDS = {SIGNOFF_REQUEST: "request", SIGNOFF_DECISION: "decision", RELEASE_RECORD: "release"}


@dataclasses.dataclass(frozen=True)
class ChainCheck:
    pipeline: str
    records: int
    signed: int  # decisions whose signature held
    older: int  # records from before the chain, which carry no link
    problem: str | None  # the first record that was changed, removed or inserted

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def line(self) -> str:
        if self.problem:
            return f"chain    BROKEN: {self.problem}"
        older = f"; {self.older} older records carry no link" if self.older else ""
        return (f"chain    holds: {self.records} records of {self.pipeline}, each naming the one before it; "
                f"{self.signed} signed decisions verified{older}")


class _Broken(Exception):
    pass


def check_chain(store, pipeline: str, keyring: keys.Keyring) -> ChainCheck:
    walk = _Walk(store, pipeline, keyring)
    try:
        walk.run()
    except _Broken as broken:
        return walk.result(str(broken))
    return walk.result(None)


class _Walk:
    def __init__(self, store, pipeline: str, keyring: keys.Keyring):
        self.store, self.pipeline, self.keyring = store, pipeline, keyring
        self.found = records.audit_records(store, pipeline)
        self.kinds = {t.id: _KINDS[t.name] for t in store.get_artifact_types() if t.name in _KINDS}
        self.signed: set[int] = set()  # decisions whose signature held
        self.older = 0

    def result(self, problem: str | None) -> ChainCheck:
        return ChainCheck(self.pipeline, len(self.found), len(self.signed), self.older, problem)

    def name(self, artifact) -> str:
        return f"{self.kinds[artifact.type_id]} {artifact.id}"

    def run(self) -> None:
        for index, artifact in enumerate(self.found):
            decision = records.read_decision(artifact) if self.kinds[artifact.type_id] == "decision" else None
            said = self._own_signature(decision) if decision and decision.envelope else None
            if "previous" not in artifact.custom_properties:
                self._older(index, said)
                continue
            if decision and said is None:
                raise _Broken(f"decision {decision.id} is unsigned, yet it is in the audit trail, where every "
                              "decision is signed: it was written into the store by hand")
            self._link(index)
            if decision:
                self._request(decision)
        self._no_record_removed()

    def _own_signature(self, decision: records.Decision) -> dict:
        """Checked before its link: a link changed in a decision is the decision's change."""
        signed = _holds(decision, lambda: decisions.signed_decision(decision, self.keyring))
        self.signed.add(decision.id)
        return signed["predicate"]

    def _older(self, index: int, said: dict | None) -> None:
        """A record from before the trail existed: a request, or an unsigned
        decision, and only ahead of every linked record."""
        artifact = self.found[index]
        if any("previous" in a.custom_properties for a in self.found[:index]) or (said and "previous" in said):
            raise _Broken(f"{self.name(artifact)} names no record before it, though it was written after the "
                          "audit trail began: its link was removed, or it was inserted")
        if self.kinds[artifact.type_id] == "release" or said is not None:
            raise _Broken(f"{self.name(artifact)} names no record before it, though every "
                          f"{self.kinds[artifact.type_id]} of its kind does: its link was removed")
        self.older += 1

    def _link(self, index: int) -> None:
        artifact, before = self.found[index], (self.found[index - 1] if index else None)
        said = artifact.custom_properties["previous"].string_value
        if said == (records.record_hash(before) if before else ""):
            return
        earlier = {records.record_hash(a): a for a in self.found[:index]}
        if said == "" or said in earlier:
            self._inserted(artifact, earlier.get(said))
        if before is None:
            raise _Broken(f"{self.name(artifact)} follows a record that is not there: the first records were removed")
        raise _Broken(f"{self.name(before)} was changed, or a record after it was removed: {self.name(artifact)} "
                      "follows a record that is not there")

    def _inserted(self, artifact, followed) -> None:
        """Two records follow one: a signed decision among them is the genuine one."""
        other = self.found[self.found.index(followed) + 1] if followed else self.found[0]
        what = f"follow {self.name(followed)}" if followed else "claim to be the first record"
        pair = sorted((artifact, other), key=lambda a: a.id not in self.signed)
        if pair[0].id in self.signed and pair[1].id not in self.signed:
            raise _Broken(f"{self.name(pair[1])} was inserted: it and the signed {self.name(pair[0])} both {what}")
        raise _Broken(f"{self.name(other)} or {self.name(artifact)} was inserted: both {what}")

    def _no_record_removed(self) -> None:
        """Each append's execution outlives a record deleted from the trail (the newest included)."""
        context = self.store.get_context_by_type_and_name("pipeline", self.pipeline)
        if context is None:
            return
        appended = [e for e in self.store.get_executions_by_context(context.id)
                    if e.external_id.startswith(records.link_prefix(self.pipeline))]
        kept = {a.id for a in self.found}
        events = self.store.get_events_by_execution_ids([e.id for e in appended]) if appended else []
        wrote = {event.execution_id for event in events
                 if event.type == event.OUTPUT and event.artifact_id in kept}
        for execution in appended:
            if execution.id not in wrote:
                raise _Broken(f"a record was removed: execution {execution.id} appended it to the trail, "
                              "and it is gone")

    def _request(self, decision: records.Decision) -> None:
        """The decision's request is there and is what it signed."""
        try:
            request = records.get_request(self.store, decision.request_id)
        except ValueError:
            raise _Broken(f"decision {decision.id} decides request {decision.request_id}, which is not there") from None
        _holds(decision, lambda: decisions.signed_record(request, decision, self.keyring))


def _holds(decision: records.Decision, check):
    try:
        return check()
    except (decisions.ProofFailed, keys.KeyProblem) as failed:
        raise _Broken(f"decision {decision.id} (model {decision.model_id}): {failed}") from None
