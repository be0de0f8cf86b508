"""Pipeline runs written into a real MLMD store by hand, for tests that read
runs back without running a pipeline."""

from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.artifact_types import RELEASE
from components.store import open_store

Execution, Event = mlmd.Execution, mlmd.Event


class Layout:
    """A store laid out as TFX lays out runs: a pipeline context, a pipeline_run
    child per run, a node context per step, and each step's output events."""

    def __init__(self, path, pipeline: str = "p"):
        self.store = open_store({"backend": "sqlite", "path": str(path)})
        self.types = {name: self.store.put_context_type(mlmd.ContextType(name=name))
                      for name in ("pipeline", "pipeline_run", "node")}
        self.name = pipeline
        [self.pipeline] = self.store.put_contexts([mlmd.Context(type_id=self.types["pipeline"], name=pipeline)])
        self.nodes: dict[str, mlmd.Context] = {}
        self.clock = 1_000_000

    def run(self, run_id: str, steps: list[tuple[str, int, list[str]]]) -> dict[str, int]:
        """Adds a run of (node, state, output types) steps; the ids of its outputs by type."""
        run = self._context("pipeline_run", run_id)
        self.store.put_parent_contexts([mlmd.ParentContext(child_id=run.id, parent_id=self.pipeline)])
        made = {}
        for node, state, kinds in steps:
            made.update(self._step(run, node, state, kinds))
        return made

    def _context(self, kind: str, name: str) -> mlmd.Context:
        context = mlmd.Context(type_id=self.types[kind], name=name)
        [context.id] = self.store.put_contexts([context])
        return context

    def _step(self, run: mlmd.Context, node: str, state: int, kinds: list[str]) -> dict[str, int]:
        if node not in self.nodes:
            self.nodes[node] = self._context("node", f"{self.name}.{node}")
        self.clock += 1000
        kind = self.store.put_execution_type(mlmd.ExecutionType(name=f"tfx.{node}Type"))
        execution = Execution(type_id=kind, last_known_state=state, create_time_since_epoch=self.clock)
        artifacts = []
        for name in kinds:
            artifact = mlmd.Artifact(type_id=self.store.put_artifact_type(mlmd.ArtifactType(name=name)))
            if name == RELEASE:
                artifact.custom_properties["released"].int_value = 1
                artifact.custom_properties["serving_path"].string_value = f"/serving/{node}"
            artifacts.append((artifact, Event(type=Event.OUTPUT)))
        _, ids, _ = self.store.put_execution(execution, artifacts, [run, self.nodes[node]])
        return dict(zip(kinds, ids))
