"""The sign-off's work: record a request, wait for a person, bless or not."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

from components.metrics import overall_and_worst
from components.model_digest import ModelChanged, model_digest, served_files
from components.results import read_metric, read_slices
from components.signoff import decisions, records
from components.signoff.notify import notify
from components.store import open_store

log = logging.getLogger("tollgate.signoff")


class SignOffPending(RuntimeError):
    """No decision yet; the message holds the commands that give one."""


def eval_summary(evaluation_uri: str) -> dict:
    """Overall, worst and every slice's metrics, and the baseline's: kept in MLMD
    so that lineage queries can show them without loading TensorFlow Model Analysis."""
    slices, baseline = read_slices(evaluation_uri)
    metric = read_metric(evaluation_uri)
    overall, worst = overall_and_worst(slices, metric)
    return {
        "metric": metric.name,
        "overall": overall,
        "worst_slice": dataclasses.asdict(worst) if worst else None,
        "slices": [dataclasses.asdict(s) for s in slices],
        "baseline_slices": [dataclasses.asdict(s) for s in baseline],
    }


def find_or_request(store, model, summary: dict, serving, params: dict) -> records.Request:
    """The model's open or decided request; a new one if it has none, or if its
    latest was recorded before signing existed (it names no runtime targets, so
    no decision on it can be signed) and was not rejected: that model needs a
    new, signed decision. A rejection stays final."""
    existing = records.requests_for_model(store, model.id)
    if existing and (existing[-1].serving_uri or _rejected(store, existing[-1])):
        return existing[-1]
    prefix = params["command_prefix"]
    request = records.record_request(
        store,
        model,
        model_digest(model.uri),
        params["pipeline"],
        triggered_by=params["triggered_by"],
        eval_summary=summary,
        approve_command=f"{prefix} approve {model.id} [--comment TEXT]",
        release_command=params["release_command"].format(prefix=prefix, model=model.id),
        config=params["run_config"],
        serving_uri=serving.uri,
        targets=serving.get_string_custom_property("targets"),
    )
    notify(params["notifier"], request, json.loads(params["run_config"]).get("ui", {}).get("base_url", ""))
    return request


def _rejected(store, request: records.Request) -> bool:
    decision = records.decision_for(store, request.id)
    return decision is not None and decision.decision == records.REJECT


def wait_for_decision(store, request_id: int, timeout: float, poll: float):
    deadline = time.monotonic() + timeout
    while True:
        decision = records.decision_for(store, request_id)
        if decision or time.monotonic() >= deadline:
            return decision
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def _refused(blessing, decision: str) -> None:
    blessing.set_int_custom_property("blessed", 0)
    blessing.set_string_custom_property("decision", decision)


def sign_off(model, model_blessing, evaluation, serving, blessing, params: dict) -> None:
    blessing.set_int_custom_property("current_model_id", model.id)
    blessing.set_string_custom_property("current_model", model.uri)
    summary = eval_summary(evaluation.uri)
    if serving.get_int_custom_property("checked"):
        summary["serving"] = json.loads(serving.get_string_custom_property("summary"))
    blessing.set_string_custom_property("eval_summary", json.dumps(summary, sort_keys=True))
    # Either gate saying no: nobody is asked.
    if not model_blessing.get_int_custom_property("blessed"):
        return _refused(blessing, "not evaluated as good enough")
    if not serving.get_int_custom_property("passed"):
        problems = serving.get_string_custom_property("problems").splitlines()
        log.warning("model %d is not put to sign-off: %s", model.id, "; ".join(problems))
        return _refused(blessing, "serving check failed: " + "; ".join(problems))
    store = open_store(json.loads(params["metadata"]))
    request = find_or_request(store, model, summary, serving, params)
    current = model_digest(model.uri)
    if current != request.model_digest:
        raise ModelChanged(
            f"model {model.id} changed after sign-off was requested ({request.model_digest} "
            f"then, {current} now); it will not be pushed"
        )
    decision = wait_for_decision(store, request.id, params["timeout_seconds"], params["poll_seconds"])
    if decision is None:
        raise SignOffPending(
            f"model {model.id} awaits sign-off (request {request.id}); approve with "
            f"`{request.approve_command}`, then release with `{request.release_command}`"
        )
    # The store may have been written by something other than `tollgate`:
    # only a decision whose proof holds counts, whatever the store says.
    trusted = decisions.trust(json.loads(params["run_config"]))
    # This run's SavedModel, and the runtime targets the approver signed off
    # (a replay that re-evaluates converts again, to other bytes). Their
    # paths come from the store; the signed digests decide.
    files = served_files(model.uri, request.serving_uri, request.targets.split(","))
    try:
        decisions.prove(request, decision, trusted, files)
    except decisions.ProofFailed as failed:
        raise decisions.ProofFailed(f"model {model.id} is not released: {failed}") from None
    blessing.set_int_custom_property("blessed", int(decision.decision == records.APPROVE))
    for key in ("decision", "approver", "comment", "decided_at", "model_digest", "envelope", "model_signature"):
        blessing.set_string_custom_property(key, getattr(decision, key))
    blessing.set_int_custom_property("request_id", request.id)
    blessing.set_string_custom_property("serving_uri", request.serving_uri)
    blessing.set_string_custom_property("targets", request.targets)
    log.info("model %d: %s by %s", model.id, decision.decision, decision.approver)
