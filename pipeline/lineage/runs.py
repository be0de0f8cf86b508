"""Reads pipeline runs back out of ML Metadata.

Only ml_metadata is imported here, never TensorFlow, so listing runs is fast.
"""

from __future__ import annotations

import dataclasses
import datetime

from ml_metadata.proto import metadata_store_pb2

from components.artifact_types import RELEASE
from components.signoff.records import pending_requests

Execution = metadata_store_pb2.Execution
_FAILED = {Execution.FAILED, Execution.CANCELED}
_DONE = {Execution.COMPLETE, Execution.CACHED}
_OUTPUT = metadata_store_pb2.Event.OUTPUT


@dataclasses.dataclass(frozen=True)
class StepRecord:
    node: str
    state: str  # "done", "cached", "failed" or "running"
    seconds: float
    execution_id: int


@dataclasses.dataclass(frozen=True)
class RunRecord:
    run_id: str
    started: str  # ISO 8601, UTC
    seconds: float
    # "succeeded", "failed", "incomplete", "awaiting sign-off", or "stopped at
    # sign-off" (it waited; the decision came later, see `tollgate show`).
    status: str
    model_id: int | None
    pushed: str | None  # the serving path, when this run released a model
    steps: tuple[StepRecord, ...]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def iso(ms: int) -> str:
    stamp = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return stamp.isoformat(timespec="seconds")


def _state(execution: Execution) -> str:
    if execution.last_known_state == Execution.CACHED:
        return "cached"
    if execution.last_known_state == Execution.COMPLETE:
        return "done"
    if execution.last_known_state in _FAILED:
        return "failed"
    return "running"


def _node_name(store, execution: Execution) -> str:
    for context in store.get_contexts_by_execution(execution.id):
        if context.type == "node":
            return context.name.split(".", 1)[-1]
    return execution.type.rsplit(".", 1)[-1]


def outputs(store, execution_ids: list[int]) -> list[metadata_store_pb2.Artifact]:
    """The output artifacts of the executions."""
    events = [e for e in store.get_events_by_execution_ids(execution_ids) if e.type == _OUTPUT]
    return store.get_artifacts_by_id([e.artifact_id for e in events]) if events else []


def step_outputs(store, record: RunRecord, node: str) -> dict:
    """One step's output artifacts by type name ({} if the step did not run)."""
    step = next((s for s in record.steps if s.node == node), None)
    return {a.type: a for a in outputs(store, [step.execution_id])} if step else {}


def _record(store, run: metadata_store_pb2.Context) -> RunRecord:
    executions = sorted(
        store.get_executions_by_context(run.id), key=lambda e: e.create_time_since_epoch
    )
    steps = tuple(
        StepRecord(
            node=_node_name(store, e),
            state=_state(e),
            seconds=(e.last_update_time_since_epoch - e.create_time_since_epoch) / 1000,
            execution_id=e.id,
        )
        for e in executions
    )
    model_id, pushed = None, None
    for artifact in outputs(store, [e.id for e in executions]):
        if artifact.type == "Model":
            model_id = artifact.id
        released = artifact.custom_properties.get("released")
        if artifact.type == RELEASE and released and released.int_value == 1:
            pushed = artifact.custom_properties["serving_path"].string_value
    failed = {s.node for s in steps if s.state == "failed"}
    if failed == {"SignOff"}:
        waiting = model_id in {r.model_id for r in pending_requests(store)}
        status = "awaiting sign-off" if waiting else "stopped at sign-off"
    elif failed:
        status = "failed"
    elif executions and all(e.last_known_state in _DONE for e in executions):
        status = "succeeded"
    else:
        status = "incomplete"
    start = executions[0].create_time_since_epoch if executions else run.create_time_since_epoch
    end = max((e.last_update_time_since_epoch for e in executions), default=start)
    return RunRecord(
        run_id=run.name,
        started=iso(start),
        seconds=(end - start) / 1000,
        status=status,
        model_id=model_id,
        pushed=pushed,
        steps=steps,
    )


def list_runs(store, pipeline_name: str) -> list[RunRecord]:
    """Every run of `pipeline_name`, oldest first."""
    pipeline = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline is None:
        return []
    runs = store.get_children_contexts_by_context(pipeline.id)
    runs.sort(key=lambda c: c.create_time_since_epoch)
    return [_record(store, run) for run in runs if run.type == "pipeline_run"]


def run_record(store, run_id: str) -> RunRecord | None:
    """The run of this id (a pipeline_run context), or None."""
    run = store.get_context_by_type_and_name("pipeline_run", run_id)
    return _record(store, run) if run is not None else None


def latest_run(store, pipeline_name: str) -> RunRecord | None:
    runs = list_runs(store, pipeline_name)
    return runs[-1] if runs else None
