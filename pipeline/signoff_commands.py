"""The sign-off commands: pending, approve, reject, show, release.

They need only the metadata store (SQLite, MySQL, or a cluster's MLMD gRPC
service through `metadata.backend = "grpc"`), never TensorFlow, except
`release`, which replays the model's run.
"""

from __future__ import annotations

import dataclasses
import sys

from ml_metadata.proto import metadata_store_pb2

from components.signoff import records
from pipeline.config import TollgateConfig, from_json
from pipeline.errors import TollgateError
from pipeline.metadata import store_for

INPUT, OUTPUT = metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.OUTPUT


def _latest_request(store, model_id: int) -> records.Request:
    if not store.get_artifacts_by_id([model_id]):
        raise TollgateError(f"no model {model_id} in the metadata store; `tollgate runs` lists models")
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


def _produced_by_executions_reading(store, artifact_id: int, type_name: str) -> list:
    """Artifacts of `type_name` output by executions that read `artifact_id`."""
    readers = [e.execution_id for e in store.get_events_by_artifact_ids([artifact_id]) if e.type == INPUT]
    if not readers:
        return []
    outputs = [e.artifact_id for e in store.get_events_by_execution_ids(readers) if e.type == OUTPUT]
    return [a for a in store.get_artifacts_by_id(outputs) if a.type == type_name]


def show(config: TollgateConfig, model_id: int) -> dict:
    store = store_for(config)
    found = store.get_artifacts_by_id([model_id])
    if not found or found[0].type != "Model":
        raise TollgateError(f"no model {model_id} in the metadata store; `tollgate runs` lists models")
    requests = records.requests_for_model(store, model_id)
    request = requests[-1] if requests else None
    decision = records.decision_for(store, request.id) if request else None
    releases = [
        release.custom_properties["serving_path"].string_value
        for pushed in _produced_by_executions_reading(store, model_id, "PushedModel")
        for release in _produced_by_executions_reading(store, pushed.id, "TollgateRelease")
        if release.custom_properties["released"].int_value == 1
    ]
    if decision:
        past = records.PAST_TENSE[decision.decision]
        state = "released" if releases else f"{past}, not released"
    else:
        state = "awaiting sign-off" if request else "not requested"
    return {
        "model_id": model_id,
        "uri": found[0].uri,
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
