"""Sign-off as the commands read and write it: pending, approve, reject, show.

They need only the metadata store (SQLite, MySQL, or a cluster's MLMD gRPC
service through `metadata.backend = "grpc"`), never TensorFlow. `release`,
which replays the model's run, is `pipeline.local.release`.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from components.signoff import decisions, keys, records
from pipeline.config import TollgateConfig, current_user
from pipeline.config_file import from_json
from pipeline.errors import TollgateError
from pipeline.lineage.model import releases_of, resolve_model
from pipeline.lineage.proof import proof_of, trust_of
from pipeline.lineage.store import store_for


def latest_request(store, model_id: int) -> records.Request:
    resolve_model(store, str(model_id))  # a clear error for an unknown id
    requests = records.requests_for_model(store, model_id)
    if not requests:
        raise TollgateError(
            f"model {model_id} has no sign-off request (it was not blessed by the Evaluator, "
            "or its run has not reached sign-off); `tollgate pending` lists open requests"
        )
    return requests[-1]


def run_policy(request: records.Request) -> records.Policy:
    """The policy of the run that asked: an approver cannot pick a laxer config."""
    signoff = from_json(request.config, f"request {request.id}").signoff
    return records.Policy(signoff.approvers, signoff.allow_self_approval)


def _signer(keyring: keys.Keyring, key_path: Path | None, by: str | None):
    """Who holds the key: the keyring names them. With the local keyring,
    a person without a key gets one on first use, named after their login."""
    path = key_path or keys.default_key_path(current_user())
    if keyring.trusted_on_first_use and not path.exists():
        keys.generate(path, current_user(), keys.passphrase())
        print(f"tollgate: made your signing key {path}", file=sys.stderr)
    return decisions.signer(path, keyring, by)


def decide(config: TollgateConfig, model_id: int, decision: str, comment: str,
           by: str | None = None, key_path: Path | None = None):
    """Signs and records a decision with the person's key; `by`, if given, must be the key's name.
    Both policies hold: this config's, which every check uses, and the run's."""
    store = store_for(config)
    request = latest_request(store, model_id)
    policy = run_policy(request)
    try:
        # Refused before anyone's key is made or read.
        records.refuse_if_decided(store, request)
        trusted = trust_of(config)
        who, keyring = _signer(trusted.keyring, key_path, by)
        if decision == records.APPROVE:
            policy.check(who.name, request)
        decided = decisions.decide(store, request, decision, who, comment, trusted, keyring)
    except (records.SignOffRefused, keys.KeyProblem) as refused:
        raise TollgateError(str(refused)) from None
    except OSError as error:
        raise TollgateError(f"model {model_id}'s files cannot be read to sign them ({error}); "
                            "run the pipeline again and ask for a new sign-off") from None
    # Said after the approval lands, so that a refusal stays one line.
    if decision == records.APPROVE and not trusted.policy.approvers:
        print("tollgate: warning: signoff.approvers is empty, so anyone may approve", file=sys.stderr)
    return request, decided


def pending(config: TollgateConfig) -> list[records.Request]:
    return records.pending_requests(store_for(config))


def show(config: TollgateConfig, model_id: int) -> dict:
    store = store_for(config)
    [model] = store.get_artifacts_by_id([resolve_model(store, str(model_id))])
    requests = records.requests_for_model(store, model_id)
    request = requests[-1] if requests else None
    decision = records.decision_for(store, request.id) if request else None
    releases = [r.serving_path for r in releases_of(store, model_id)]
    if decision:
        past = records.PAST_TENSE[decision.decision]
        state = "released" if releases else f"{past}, not released"
    else:
        state = "awaiting sign-off" if request else "not requested"
    return {
        "model_id": model_id,
        "uri": model.uri,
        "state": state,
        "request": dataclasses.asdict(request) if request else None,
        "decision": _shown(decision) if decision else None,
        "proof": proof_of(request, decision, trust_of(config)) if decision else None,
        "released_to": sorted(set(releases)),
    }


def _shown(decision: records.Decision) -> dict:
    # The proof's bytes are for `tollgate verify`, not for reading.
    return {k: v for k, v in dataclasses.asdict(decision).items() if k not in ("envelope", "model_signature")}

