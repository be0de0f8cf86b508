"""The sign-off commands: pending, approve, reject, show, release.

They need only the metadata store (SQLite, MySQL, or a cluster's MLMD gRPC
service through `metadata.backend = "grpc"`), never TensorFlow, except
`release`, which replays the model's run.
"""

from __future__ import annotations

import dataclasses
import sys

from components.signoff import records
from pipeline.config import TollgateConfig, from_json
from pipeline.errors import TollgateError
from pipeline.lineage import releases_of, resolve_model
from pipeline.metadata import store_for



def _latest_request(store, model_id: int) -> records.Request:
    resolve_model(store, str(model_id))  # a clear error for an unknown id
    requests = records.requests_for_model(store, model_id)
    if not requests:
        raise TollgateError(
            f"model {model_id} has no sign-off request (it was not blessed by the Evaluator, "
            "or its run has not reached sign-off); `tollgate pending` lists open requests"
        )
    return requests[-1]


def _policy(request: records.Request) -> records.Policy:
    """The policy of the run that asked: an approver cannot pick a laxer config."""
    signoff = from_json(request.config, f"request {request.id}").signoff
    return records.Policy(signoff.approvers, signoff.allow_self_approval)


def decide(config: TollgateConfig, model_id: int, decision: str, approver: str, comment: str):
    store = store_for(config)
    request = _latest_request(store, model_id)
    policy = _policy(request)
    if decision == records.APPROVE and not policy.approvers:
        print("tollgate: warning: signoff.approvers is empty, so anyone may approve", file=sys.stderr)
    try:
        return request, records.record_decision(store, request, decision, approver, comment, policy)
    except records.SignOffRefused as refused:
        raise TollgateError(str(refused)) from None


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
        "decision": dataclasses.asdict(decision) if decision else None,
        "released_to": sorted(set(releases)),
    }


def release(config: TollgateConfig, model_id: int):
    """Replays the model's run: cached up to SignOff, which finds the approval."""
    from pipeline.local_runner import RunFailed, run_pipeline

    store = store_for(config)
    request = _latest_request(store, model_id)
    decision = records.decision_for(store, request.id)
    if decision is None:
        raise TollgateError(
            f"model {model_id} has no decision yet; approve it first: {request.approve_command}"
        )
    if decision.decision != records.APPROVE:
        raise TollgateError(
            f"model {model_id} was rejected by {decision.approver} at {decision.decided_at}; "
            "it will not be released"
        )
    summary = run_pipeline(from_json(request.config, f"request {request.id}"))
    if summary.run.model_id != model_id:
        raise RunFailed(
            f"the data or code changed since model {model_id} was trained, so the replay made "
            f"model {summary.run.model_id} instead; model {model_id} was not released"
        )
    return summary
