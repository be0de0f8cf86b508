"""Sign-off requests and decisions, kept in MLMD as an audit trail.

A request is an artifact (`TollgateSignOffRequest`) written by a
`TollgateRequestSignOff` execution whose input is the model. A decision is an
artifact (`TollgateSignOffDecision`) written by a `TollgateDecide` execution
whose inputs are the request and the model. Both executions belong to the
pipeline's context, so the lineage reads: model -> request -> decision ->
sign-off blessing -> push. Decisions are append-only: one per request, which the
store enforces (the decision's external id names its request). Publish adds a
release record (`TollgateReleaseRecord`) per served version.

Requests, decisions and release records form the pipeline's audit trail: each
names the hash of the record before it (`append`), and `tollgate audit
--verify` walks it (pipeline/lineage/chain.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import time

import ml_metadata
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.artifact_types import DECIDE_EXECUTION, RELEASE_EXECUTION, REQUEST_EXECUTION
from components.artifact_types import RELEASE_RECORD as RELEASE_TYPE
from components.artifact_types import SIGNOFF_DECISION as DECISION_TYPE
from components.artifact_types import SIGNOFF_REQUEST as REQUEST_TYPE

APPROVE, REJECT = "approve", "reject"
PAST_TENSE = {APPROVE: "approved", REJECT: "rejected"}


class SignOffRefused(Exception):
    """A decision that policy or history does not allow; the message says why."""


@dataclasses.dataclass(frozen=True)
class Request:
    id: int
    model_id: int
    model_uri: str
    model_digest: str
    pipeline: str
    run_id: str
    triggered_by: str
    requested_at: str
    eval_summary: dict
    approve_command: str
    release_command: str
    config: str  # the run's config as JSON, so `release` can replay it
    # Where the ServingCheck put the runtime targets that a release serves
    # beside the SavedModel, and which ones it made.
    serving_uri: str = ""
    targets: str = ""
    previous: str = ""  # the hash of the pipeline's audit record before this one


@dataclasses.dataclass(frozen=True)
class Decision:
    id: int
    request_id: int
    model_id: int
    decision: str
    approver: str
    comment: str
    decided_at: str
    model_digest: str
    # The signed statement (a DSSE envelope), the OpenSSF model-signing bundle
    # over the served files, and the signer's key id; empty in decisions
    # recorded before signing existed.
    envelope: str = ""
    model_signature: str = ""
    key_id: str = ""
    previous: str = ""


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def record_hash(artifact) -> str:
    """sha256 over a record's id, type and properties: what the next record names."""
    properties = {k: v.SerializeToString(deterministic=True).hex() for k, v in artifact.custom_properties.items()}
    body = json.dumps({"id": artifact.id, "type_id": artifact.type_id, "properties": properties}, sort_keys=True)
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


def link_prefix(pipeline: str) -> str:
    """The external ids of a pipeline's appends start with this (hashed: MySQL keeps 255 characters)."""
    return f"tollgate-audit:{hashlib.sha256(pipeline.encode()).hexdigest()[:16]}:after:"


def audit_records(store, pipeline: str) -> list:
    """The pipeline's requests, decisions and releases, oldest first."""
    context = store.get_context_by_type_and_name("pipeline", pipeline)
    if context is None:
        return []
    wanted = {t.id for t in store.get_artifact_types() if t.name in (REQUEST_TYPE, DECISION_TYPE, RELEASE_TYPE)}
    return sorted((a for a in store.get_artifacts_by_context(context.id) if a.type_id in wanted),
                  key=lambda a: a.id)


def chain_head(store, pipeline: str) -> str:
    """The hash of the pipeline's newest audit record ("" before the first)."""
    found = audit_records(store, pipeline)
    return record_hash(found[-1]) if found else ""


def _type_id(store, name: str, kind: str) -> int:
    if kind == "artifact":
        return store.put_artifact_type(mlmd.ArtifactType(name=name))
    return store.put_execution_type(mlmd.ExecutionType(name=name))


def _props(message, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, int):
            message.custom_properties[key].int_value = value
        else:
            message.custom_properties[key].string_value = value


def _read(message, cls):
    values = {}
    for field in dataclasses.fields(cls):
        if field.name == "id":
            continue
        # get(), not []: indexing a proto map adds the key, and changes the record's hash.
        prop = message.custom_properties.get(field.name, mlmd.Value())
        values[field.name] = prop.int_value if field.type == "int" else prop.string_value
    if cls is Request:
        values["eval_summary"] = json.loads(values["eval_summary"] or "{}")
    return cls(id=message.id, **values)


def _pipeline_contexts(store, pipeline: str, with_run: bool) -> list:
    """The pipeline's context and, if asked, its newest run's (the asking run)."""
    context = store.get_context_by_type_and_name("pipeline", pipeline)
    if context is None or not with_run:
        return [context] if context else []
    runs = [c for c in store.get_children_contexts_by_context(context.id) if c.type == "pipeline_run"]
    latest = max(runs, key=lambda c: c.create_time_since_epoch, default=None)
    return [context] + ([latest] if latest else [])


def _record(store, kind: str, artifact_type: str, values: dict, inputs: list, contexts: list,
            external_id: str = "", link: str = "") -> int:
    """Writes one execution that reads `inputs` and outputs one new artifact, in one
    transaction; MLMD refuses a second artifact with the same external id, and a
    second execution with the same `link`."""
    artifact = mlmd.Artifact(type_id=_type_id(store, artifact_type, "artifact"), state=mlmd.Artifact.LIVE,
                             external_id=external_id or None)
    _props(artifact, values)
    execution = mlmd.Execution(type_id=_type_id(store, kind, "execution"),
                               last_known_state=mlmd.Execution.COMPLETE, external_id=link or None)
    events = [(a, mlmd.Event(type=mlmd.Event.INPUT)) for a in inputs]
    events.append((artifact, mlmd.Event(type=mlmd.Event.OUTPUT)))
    _, artifact_ids, _ = store.put_execution(execution, events, contexts)
    return artifact_ids[-1]


def _exists(store, external_id: str) -> bool:
    try:
        return bool(store.get_artifacts_by_external_ids([external_id]))
    except ml_metadata.errors.NotFoundError:
        return False


# Appenders that lose a race this many times in a row give up.
_APPEND_TRIES = 50


def append(store, pipeline: str, kind: str, artifact_type: str, values_after, inputs: list, contexts: list,
           external_id: str = "") -> int:
    """Appends one record to the pipeline's audit chain; `values_after(previous)`
    gives its properties once the hash of the record before it is known.

    The execution's external id names the record it follows, so the store
    lets only one record follow each: of two appenders that read the same
    head, one lands and the other reads the new head and tries again (a
    decision is signed again). The chain stays one line, never a fork. A
    link whose record was removed from the store keeps its id; the next
    append takes the head's next free one (`audit --verify` names the gap)."""
    previous, taken = chain_head(store, pipeline), 0
    for attempt in range(_APPEND_TRIES):
        link = link_prefix(pipeline) + (previous or "start") + (f"#{taken}" if taken else "")
        try:
            return _record(store, kind, artifact_type, {**values_after(previous), "previous": previous}, inputs,
                           contexts, external_id, link)
        except ml_metadata.errors.AlreadyExistsError:
            if external_id and _exists(store, external_id):
                raise
        time.sleep(0.01 * attempt)
        head = chain_head(store, pipeline)
        previous, taken = head, (taken + 1 if head == previous else 0)
    raise RuntimeError(f"could not append to {pipeline}'s audit trail: {_APPEND_TRIES} other records landed first")


def record_request(store, model, digest: str, pipeline: str, **values) -> Request:
    contexts = _pipeline_contexts(store, pipeline, with_run=True)
    run_contexts = [c for c in contexts if c.type == "pipeline_run"]
    values = {
        "model_id": model.id,
        "model_uri": model.uri,
        "model_digest": digest,
        "pipeline": pipeline,
        "run_id": run_contexts[0].name if run_contexts else "",
        "requested_at": now(),
        **values,
        "eval_summary": json.dumps(values.get("eval_summary", {}), sort_keys=True),
    }
    [model_proto] = store.get_artifacts_by_id([model.id])
    request_id = append(store, pipeline, REQUEST_EXECUTION, REQUEST_TYPE, lambda previous: values, [model_proto],
                        contexts)
    return get_request(store, request_id)


def read_decision(artifact) -> Decision:
    return _read(artifact, Decision)


def get_request(store, request_id: int) -> Request:
    [artifact] = store.get_artifacts_by_id([request_id])
    return _read(artifact, Request)


def _with_property(store, type_name: str, key: str, value: int) -> list:
    """Artifacts of one type whose int property has the value: one indexed query."""
    query = f"type = '{type_name}' AND custom_properties.{key}.int_value = {int(value)}"
    return store.get_artifacts(list_options=ml_metadata.ListOptions(filter_query=query))


def requests_for_model(store, model_id: int) -> list[Request]:
    """Every request made for the model, oldest first."""
    found = [_read(a, Request) for a in _with_property(store, REQUEST_TYPE, "model_id", model_id)]
    return sorted(found, key=lambda r: r.id)


def decision_for(store, request_id: int) -> Decision | None:
    found = _with_property(store, DECISION_TYPE, "request_id", request_id)
    return _read(min(found, key=lambda a: a.id), Decision) if found else None


def all_requests(store) -> list[Request]:
    """Every request in the store, oldest first."""
    return sorted((_read(a, Request) for a in store.get_artifacts_by_type(REQUEST_TYPE)), key=lambda r: r.id)


def pending_requests(store) -> list[Request]:
    decided = {
        a.custom_properties["request_id"].int_value
        for a in store.get_artifacts_by_type(DECISION_TYPE)
    }
    return [r for r in all_requests(store) if r.id not in decided]


@dataclasses.dataclass(frozen=True)
class Policy:
    approvers: tuple[str, ...]
    allow_self_approval: bool

    def check(self, approver: str, request: Request) -> None:
        if self.approvers and approver not in self.approvers:
            raise SignOffRefused(
                f"{approver!r} may not approve: signoff.approvers allows only "
                f"{', '.join(self.approvers)}"
            )
        if approver == request.triggered_by and not self.allow_self_approval:
            raise SignOffRefused(
                f"{approver!r} triggered the run that made model {request.model_id} and may "
                "not approve it too (four eyes); ask another approver, or set "
                "signoff.allow_self_approval = true"
            )


def refuse_if_decided(store, request: Request) -> None:
    existing = decision_for(store, request.id)
    if existing:
        raise SignOffRefused(
            f"request {request.id} for model {request.model_id} was already decided "
            f"({existing.decision} by {existing.approver} at {existing.decided_at}); "
            "decisions are final"
        )


def record_decision(
    store, request: Request, decision: str, approver: str, comment: str, policy: Policy,
    signed=None,
) -> Decision:
    """Records a decision; `signed(previous)` gives its proof (components/signoff/decisions.py),
    signed over the hash of the record it follows: the decided_at, envelope,
    model_signature, key_id and previous. A dict stands for a proof made beforehand."""
    if decision == APPROVE:
        policy.check(approver, request)
    refuse_if_decided(store, request)
    [request_artifact] = store.get_artifacts_by_id([request.id])
    [model] = store.get_artifacts_by_id([request.model_id])
    values = {
        "request_id": request.id,
        "model_id": request.model_id,
        "decision": decision,
        "approver": approver,
        "comment": comment,
        "decided_at": now(),
        "model_digest": request.model_digest,
    }

    def values_after(previous: str) -> dict:
        proof = signed(previous) if callable(signed) else signed
        return {**values, **(proof or {})}

    # A decision belongs to the pipeline, not to whichever run happens to be newest.
    contexts = _pipeline_contexts(store, request.pipeline, with_run=False)
    try:
        # The external id makes the store itself refuse a second decision: two
        # approvers racing past the check above cannot both land.
        decision_id = append(store, request.pipeline, DECIDE_EXECUTION, DECISION_TYPE, values_after,
                             [request_artifact, model], contexts,
                             external_id=f"tollgate-decision-of-request-{request.id}")
    except ml_metadata.errors.AlreadyExistsError:
        refuse_if_decided(store, request)
        raise
    [artifact] = store.get_artifacts_by_id([decision_id])
    return _read(artifact, Decision)


def record_release(store, pipeline: str, values: dict) -> None:
    """Publish's entry in the audit trail: one per served version (its path is
    the external id), however many releases race to serve it."""
    contexts = _pipeline_contexts(store, pipeline, with_run=False)
    try:
        append(store, pipeline, RELEASE_EXECUTION, RELEASE_TYPE, lambda previous: {**values, "released_at": now()},
               [], contexts, external_id="tollgate-release-of-" + hashlib.sha256(values["serving_path"].encode()).hexdigest())
    except ml_metadata.errors.AlreadyExistsError:
        pass  # recorded already, by a release that raced this one or before a crash


def review_link(base_url: str, model_id: int) -> str:
    """The model's page on the review desk at `base_url` (ui.base_url of the
    caller's own config, never one read from the store); empty without one."""
    return f"{base_url.rstrip('/')}/models/{model_id}" if base_url else ""


def signoff_state(store, model_id: int) -> dict | None:
    """The model's latest request and its decision, as JSON-ready data."""
    requests = requests_for_model(store, model_id) if model_id else []
    if not requests:
        return None
    request = requests[-1]
    decision = decision_for(store, request.id)
    return {
        "request_id": request.id,
        "requested_at": request.requested_at,
        "triggered_by": request.triggered_by,
        "model_digest": request.model_digest,
        "eval_summary": request.eval_summary,
        "status": decision.decision if decision else "pending",
        "approver": decision.approver if decision else None,
        "decided_at": decision.decided_at if decision else None,
        "comment": decision.comment if decision else None,
        "approve_command": request.approve_command,
        "release_command": request.release_command,
    }
