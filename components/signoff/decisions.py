"""Signed decisions: made with a person's key, proven against the checker's keyring.

`signer` finds who holds a key, `decide` signs and records a decision, and
`prove` checks one: the signature against the keyring, the signed statement
against what the store says, the files against the signed manifest, and the
policy. SignOff, Publish, `tollgate release` and `tollgate verify` all prove
a decision the same way.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from components.model_digest import served_files
from components.signoff import keys, proof, records
from components.signoff.proof import ProofFailed, Signer

UNSIGNED = "unsigned (recorded before signing)"
RENEW = "run the pipeline again on the same data: its sign-off asks for a new, signed decision"


@dataclasses.dataclass(frozen=True)
class Trust:
    """What a checker trusts: the keyring and the policy of its own config,
    never those recorded in the store, which anyone who can write to it may edit."""
    keyring: keys.Keyring
    policy: records.Policy


def trust(config: dict) -> Trust:
    """From a config as JSON (`home` and `signoff`): the configured keyring, else
    the local one in the state folder, trusted on first use."""
    signoff = config.get("signoff", {})
    policy = records.Policy(tuple(signoff.get("approvers", ())), bool(signoff.get("allow_self_approval")))
    if signoff.get("keyring"):
        return Trust(keys.load_keyring(Path(signoff["keyring"]), trusted_on_first_use=False), policy)
    return Trust(keys.load_keyring(Path(config["home"]) / "keyring", trusted_on_first_use=True), policy)


def signer(key_path: Path, keyring: keys.Keyring, by: str | None = None) -> tuple[Signer, keys.Keyring]:
    """Who signs with the key at `key_path`: the keyring's name for it. A local
    keyring takes a key it has not seen under the name its `.pub` file gives;
    `decide` adds it just before it records the decision."""
    private = keys.load_private(key_path)
    name = keyring.name_for(private.public_key())
    if name is None and keyring.trusted_on_first_use:
        name = _own_name(key_path)
        keyring = keys.with_key(keyring, name, private.public_key())
    if name is None:
        raise keys.KeyProblem(f"the key {key_path} ({keys.key_id(private.public_key())}) is not in "
                              f"{keyring.describe()}; add the line `tollgate keygen` printed for it")
    if by and by != name:
        raise keys.KeyProblem(f"--by {by}, but the key {key_path} is {name}'s in {keyring.describe()}")
    return Signer(name, key_path, private), keyring


def _own_name(key_path: Path) -> str:
    try:
        return Path(f"{key_path}.pub").read_text().split()[0]
    except (OSError, IndexError):
        raise keys.KeyProblem(f"{key_path}.pub, which names the key, is missing; "
                              "make the key with `tollgate keygen`") from None


def files_of(request: records.Request) -> dict[str, str]:
    targets = [t for t in request.targets.split(",") if t]
    return served_files(request.model_uri, request.serving_uri, targets)


def decide(store, request: records.Request, decision: str, who: Signer, comment: str,
           trusted: Trust, keyring: keys.Keyring) -> records.Decision:
    """Signs the decision's statement (and, for an approval, the served files), then records it;
    `keyring` is `trusted.keyring` with the signer's key if it is new to a local keyring."""
    if not request.serving_uri:
        raise records.SignOffRefused(f"request {request.id} was recorded before signing existed and does not "
                                     f"say which files a release serves, so it cannot be signed; {RENEW}")
    files = files_of(request)
    facts = _facts(request, decision, who.name, keys.key_id(who.private_key.public_key()), comment,
                   trusted, keyring)
    folder_signature = proof.sign_folder(files, who.key_path, request.model_id) if decision == records.APPROVE else ""
    manifest = proof.files_manifest(files)

    def signed_after(previous: str) -> dict:
        """The statement names the record the decision follows, so it is signed
        once that is known (again, if another record lands first)."""
        statement = proof.statement({**facts, "previous": previous}, manifest, request.eval_summary)
        return {"decided_at": facts["decided_at"], "envelope": proof.envelope(statement, who.private_key),
                "model_signature": folder_signature, "key_id": facts["key_id"], "previous": previous}

    # The key is listed before the decision lands: a release racing this
    # approval must never find a decision whose key it cannot look up.
    keys.save(keyring)
    return records.record_decision(store, request, decision, who.name, comment, trusted.policy,
                                   signed=signed_after)


def _facts(request: records.Request, decision: str, name: str, key_id: str, comment: str, trusted: Trust,
           keyring: keys.Keyring) -> dict:
    return {
        "decision": decision, "approver": name, "key_id": key_id,
        "decided_at": records.now(), "comment": comment, "pipeline": request.pipeline,
        "run_id": request.run_id, "request_id": request.id, "model_id": request.model_id,
        "triggered_by": request.triggered_by, "model_digest": request.model_digest,
        "policy": proof.policy_in_force(json.loads(request.config or "{}"), trusted.policy, keyring),
    }


def passkey_statement(store, request: records.Request, decision: str, passkey: keys.Passkey, comment: str,
                      trusted: Trust) -> dict:
    """The statement a passkey is asked to sign, naming the audit trail's head
    now; refused before anyone signs if the decision could not be recorded."""
    if not request.serving_uri:
        raise records.SignOffRefused(f"request {request.id} was recorded before signing existed; {RENEW}")
    if decision == records.APPROVE:
        trusted.policy.check(passkey.name, request)
    records.refuse_if_decided(store, request)
    facts = _facts(request, decision, passkey.name, passkey.key_id, comment, trusted, trusted.keyring)
    facts["previous"] = records.chain_head(store, request.pipeline)
    return proof.statement(facts, proof.files_manifest(files_of(request)), request.eval_summary)


def record_passkey_decision(store, request: records.Request, statement: dict, envelope: str,
                            trusted: Trust) -> records.Decision:
    """Records a decision a passkey signed. A passkey decision carries no
    model-signing bundle: only a key file can make one (see `verify`)."""
    said = statement["predicate"]

    def signed_after(previous: str) -> dict:
        if previous != said["previous"]:
            raise ProofFailed("another record joined the audit trail while the passkey signed; decide again")
        return {"decided_at": said["decided_at"], "envelope": envelope, "model_signature": "",
                "key_id": said["key_id"], "previous": previous}

    return records.record_decision(store, request, said["decision"], said["approver"], said["comment"],
                                   trusted.policy, signed=signed_after)


# What the store says about a decision, and where the signed statement says it.
_STORED = ("decision", "approver", "comment", "decided_at", "model_id", "request_id", "model_digest", "previous")


def _quiet(check: str, detail: str) -> None:
    """The default report of a check that held: nothing."""


def prove(request: records.Request, decision: records.Decision, trusted: Trust,
          files: dict[str, str] | None = None, where: str = "the model", report=_quiet) -> dict:
    """The signed statement, once every check holds; ProofFailed naming the first that fails.
    `files` are the files to check (default: the model's, as a release will serve them);
    `report(check, detail)` hears of each check that held."""
    signed = signed_record(request, decision, trusted.keyring, report)
    said = signed["predicate"]
    _check_policy(said, request, trusted.policy)
    report("policy", _policy_text(said, trusted.policy))
    proof.check_files(signed, files if files is not None else files_of(request), where)
    report("files", f"{len(said['files'])} files in {where} match the signed manifest")
    return signed


def signed_record(request: records.Request, decision: records.Decision, keyring: keys.Keyring,
                  report=_quiet) -> dict:
    """The signed statement, once its signature holds against `keyring` and the
    store's decision and request are what was signed; ProofFailed otherwise."""
    if not decision.envelope and request.serving_uri:
        raise ProofFailed(f"decision {decision.id} is unsigned, yet its request {request.id} was made after "
                          "signing existed: it was written into the store by hand")
    signed = signed_decision(decision, keyring, report)
    _check_request(signed["predicate"], request)
    report("record", f"the store's decision {decision.id} and request {request.id} match what was signed")
    return signed


def signed_decision(decision: records.Decision, keyring: keys.Keyring, report=_quiet) -> dict:
    """The signed statement, once its signature holds and the store's decision
    (its link in the audit trail included) is what was signed."""
    if not decision.envelope:
        raise ProofFailed(f"decision {decision.id} is {UNSIGNED}; {RENEW}")
    signed, name = proof.open_envelope(decision.envelope, keyring)
    said = signed.get("predicate", {})
    if said.get("approver") != name:
        raise ProofFailed(f"the statement names {said.get('approver')!r} but is signed by {name}'s key")
    report("signature", f"signed by {name}, key {said.get('key_id')} ({keyring.describe()})")
    for field in _STORED:
        if said.get(field) != getattr(decision, field):
            raise ProofFailed(f"the store says {field} {getattr(decision, field)!r}, the signed decision "
                              f"{said.get(field)!r}: the record was changed")
    return signed


def _policy_text(said: dict, policy: records.Policy) -> str:
    who = ", ".join(policy.approvers) or "anyone"
    eyes = "self-approval allowed" if policy.allow_self_approval else "four eyes"
    return f"approvers: {who}; {eyes}; triggered by {said.get('triggered_by')}"


def _check_request(said: dict, request: records.Request) -> None:
    for field, value in (("request_id", request.id), ("model_id", request.model_id), ("pipeline", request.pipeline),
                         ("run_id", request.run_id), ("triggered_by", request.triggered_by),
                         ("model_digest", request.model_digest)):
        if said.get(field) != value:
            raise ProofFailed(f"request {request.id} says {field} {value!r}, the signed decision {said.get(field)!r}: "
                              "the decision was made for another request, or the request was changed")
    if said.get("evaluation", {}).get("sha256") != proof.sha256_of(request.eval_summary):
        raise ProofFailed(f"request {request.id}'s evaluation summary differs from the one signed off")


def _check_policy(said: dict, request: records.Request, policy: records.Policy) -> None:
    """The checker's own policy, held against the signed approver and trigger."""
    if said.get("decision") != records.APPROVE:
        return
    try:
        policy.check(said["approver"], request)
    except records.SignOffRefused as refused:
        raise ProofFailed(f"policy: {refused}") from None
