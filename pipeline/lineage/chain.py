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
            if "previous" not in artifact.custom_properties:
                self._older(index)
                continue
            decision = records.read_decision(artifact) if self.kinds[artifact.type_id] == "decision" else None
            if decision and decision.envelope:
                # Its own signature first: a link changed in a decision is the decision's change.
                _holds(decision, lambda: decisions.signed_decision(decision, self.keyring))
                self.signed.add(decision.id)
            self._link(index)
            if decision:
                self._request(decision)

    def _older(self, index: int) -> None:
        """Records from before the chain existed come first; one after a linked record was inserted."""
        if any("previous" in a.custom_properties for a in self.found[:index]):
            raise _Broken(f"{self.name(self.found[index])} names no record before it, though older ones do: "
                          "it was inserted")
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
        what = f"follows {self.name(followed)}" if followed else "claims to be the first record"
        if other.id in self.signed or artifact.id not in self.signed:
            genuine, forged = other, artifact
        else:
            genuine, forged = artifact, other
        sure = "the signed " if genuine.id in self.signed else ""
        raise _Broken(f"{self.name(forged)} was inserted: it {what}, as {sure}{self.name(genuine)} does")

    def _request(self, decision: records.Decision) -> None:
        """The decision's request is there and is what it signed (older unsigned ones aside)."""
        try:
            request = records.get_request(self.store, decision.request_id)
        except ValueError:
            raise _Broken(f"decision {decision.id} decides request {decision.request_id}, which is not there") from None
        if not decision.envelope and not request.serving_uri:
            return
        _holds(decision, lambda: decisions.signed_record(request, decision, self.keyring))


def _holds(decision: records.Decision, check) -> None:
    try:
        check()
    except (decisions.ProofFailed, keys.KeyProblem) as failed:
        raise _Broken(f"decision {decision.id} (model {decision.model_id}): {failed}") from None
