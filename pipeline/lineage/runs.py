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


def _node_names(store, pipeline_name: str) -> dict[int, str]:
    """Every execution of the pipeline's nodes, with its node: one query per
    node, where asking per execution costs one per step of every run."""
    prefix, names = f"{pipeline_name}.", {}
    for node in store.get_contexts_by_type("node"):
        if node.name.startswith(prefix):
            names.update((e.id, node.name[len(prefix):]) for e in store.get_executions_by_context(node.id))
    return names


def outputs(store, execution_ids: list[int]) -> list[metadata_store_pb2.Artifact]:
    """The output artifacts of the executions."""
    return [a for made in _outputs_by_execution(store, execution_ids).values() for a in made]


def _outputs_by_execution(store, execution_ids: list[int]) -> dict[int, list[metadata_store_pb2.Artifact]]:
    events = [e for e in store.get_events_by_execution_ids(execution_ids) if e.type == _OUTPUT] if execution_ids else []
    artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])} if events else {}
    made = {i: [] for i in execution_ids}
    for event in events:
        made[event.execution_id].append(artifacts[event.artifact_id])
    return made


def step_outputs(store, record: RunRecord, node: str) -> dict:
    """One step's output artifacts by type name ({} if the step did not run)."""
    step = next((s for s in record.steps if s.node == node), None)
    return {a.type: a for a in outputs(store, [step.execution_id])} if step else {}


class _Runs:
    """What run records are read from, fetched in a few queries for any number of runs."""

    def __init__(self, store, runs: list[metadata_store_pb2.Context], names: dict[int, str] | None = None):
        self.store, self.runs = store, runs
        self.executions = {
            run.id: sorted(store.get_executions_by_context(run.id), key=lambda e: e.create_time_since_epoch)
            for run in runs}
        every = [e for found in self.executions.values() for e in found]
        self.names = names if names is not None else {e.id: _node_name(store, e) for e in every}
        self.made = _outputs_by_execution(store, [e.id for e in every])
        self._waiting: set[int] | None = None

    def waiting(self) -> set[int]:
        """Models with an undecided request (read once, and only if a run stopped at a sign-off)."""
        if self._waiting is None:
            self._waiting = {r.model_id for r in pending_requests(self.store)}
        return self._waiting

    def records(self) -> list[RunRecord]:
        return [self._record(run) for run in self.runs]

    def _record(self, run: metadata_store_pb2.Context) -> RunRecord:
        executions = self.executions[run.id]
        steps = tuple(
            StepRecord(
                node=self.names.get(e.id) or e.type.rsplit(".", 1)[-1],
                state=_state(e),
                seconds=(e.last_update_time_since_epoch - e.create_time_since_epoch) / 1000,
                execution_id=e.id,
            )
            for e in executions
        )
        pushed, made = None, {a.id: a for e in executions for a in self.made[e.id]}
        # The run's model is its Trainer's, even when a resolver hands on a newer one.
        trained = [a.id for s in steps if s.node == "Trainer" for a in self.made[s.execution_id] if a.type == "Model"]
        models = trained or sorted(a.id for a in made.values() if a.type == "Model")
        model_id = models[-1] if models else None
        for artifact in made.values():
            released = artifact.custom_properties.get("released")
            if artifact.type == RELEASE and released and released.int_value == 1:
                pushed = artifact.custom_properties["serving_path"].string_value
        start = executions[0].create_time_since_epoch if executions else run.create_time_since_epoch
        end = max((e.last_update_time_since_epoch for e in executions), default=start)
        return RunRecord(run_id=run.name, started=iso(start), seconds=(end - start) / 1000,
                         status=self._status(executions, steps, model_id), model_id=model_id, pushed=pushed,
                         steps=steps)

    def _status(self, executions: list[Execution], steps: tuple[StepRecord, ...], model_id: int | None) -> str:
        failed = {s.node for s in steps if s.state == "failed"}
        if failed == {"SignOff"}:
            return "awaiting sign-off" if model_id in self.waiting() else "stopped at sign-off"
        if failed:
            return "failed"
        if executions and all(e.last_known_state in _DONE for e in executions):
            return "succeeded"
        return "incomplete"


def _run_contexts(store, pipeline_name: str) -> list[metadata_store_pb2.Context]:
    pipeline = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline is None:
        return []
    runs = [c for c in store.get_children_contexts_by_context(pipeline.id) if c.type == "pipeline_run"]
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def list_runs(store, pipeline_name: str, newest: int | None = None) -> list[RunRecord]:
    """Every run of `pipeline_name` (or the `newest` few), oldest first."""
    runs = _run_contexts(store, pipeline_name)
    runs = runs[-newest:] if newest else runs
    return _Runs(store, runs, _node_names(store, pipeline_name)).records() if runs else []


def run_record(store, run_id: str) -> RunRecord | None:
    """The run of this id (a pipeline_run context), or None."""
    run = store.get_context_by_type_and_name("pipeline_run", run_id)
    return _Runs(store, [run]).records()[0] if run is not None else None


def latest_run(store, pipeline_name: str) -> RunRecord | None:
    runs = list_runs(store, pipeline_name, newest=1)
    return runs[-1] if runs else None
