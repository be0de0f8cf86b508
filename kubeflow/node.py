"""One TFX node, run by one Kubeflow Pipelines task.

KFP only orders the tasks and starts them. Each task carries its node's
slice of the pipeline's TFX IR and runs it with TFX's own portable launcher,
as LocalDagRunner does for each node, against Tollgate's metadata store:
TFX resolves the inputs (Tollgate's resolver strategies included), decides
caching and records lineage exactly as a local run does.

A gate that stops a run without failing it (SignOff awaiting a decision)
leaves its task succeeded, so that the KFP UI shows what it decided; the
tasks after it find it unfinished in this run and launch nothing, as
LocalDagRunner launches nothing after the step that stopped it.
"""

from __future__ import annotations

import base64
import json
import zlib

from tfx.dsl.compiler import constants
from tfx.proto.orchestration import pipeline_pb2

from components.signoff.executor import SignOffPending
from components.store import connection_from_spec, open_store
from pipeline.lineage.runs import RunRecord, run_record
from pipeline.local.summary import first_line

# The last line a task prints: what happened to its node (run-local reads it).
MARKER = "tollgate: node"
# Exceptions that stop a run where it stands, without failing it.
STOPS = (SignOffPending,)
FINISHED = ("done", "cached")


def encode_node(ir: pipeline_pb2.Pipeline, node_id: str) -> str:
    """The IR cut down to one node and its deployment, compressed: what one task carries."""
    one = pipeline_pb2.Pipeline()
    one.CopyFrom(ir)
    del one.nodes[:]
    one.nodes.add().CopyFrom(next(n for n in ir.nodes if n.pipeline_node.node_info.id == node_id))
    deployment = pipeline_pb2.IntermediateDeploymentConfig()
    ir.deployment_config.Unpack(deployment)
    for specs in (deployment.executor_specs, deployment.custom_driver_specs, deployment.node_level_platform_configs):
        for other in [k for k in specs if k != node_id]:
            del specs[other]
    one.deployment_config.Pack(deployment)
    return base64.b64encode(zlib.compress(one.SerializeToString(), 9)).decode()


def decode_node(text: str) -> pipeline_pb2.Pipeline:
    ir = pipeline_pb2.Pipeline()
    ir.ParseFromString(zlib.decompress(base64.b64decode(text)))
    return ir


class NodeTask:
    """One task's node: `run()` it, then read its outcome from the store."""

    def __init__(self, node: str, run_id: str, store: str, bindings: dict[str, str]):
        self.ir = decode_node(node)
        self.run_id = run_id
        self.store_spec = json.loads(store)
        self.bindings = {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id, **bindings}
        self.node = self.ir.nodes[0].pipeline_node
        self.node_id = self.node.node_info.id
        self.store = open_store(self.store_spec)
        self.state = ""

    def record(self) -> RunRecord | None:
        return run_record(self.store, self.run_id)

    def _unfinished_upstream(self) -> list[str]:
        record = self.record()
        states = {s.node: s.state for s in record.steps} if record else {}
        return sorted(n for n in self.node.upstream_nodes if states.get(n) not in FINISHED)

    def _launch(self) -> None:
        # TensorFlow comes with these (seconds): only a task that launches pays for it.
        from tfx.orchestration import metadata
        from tfx.orchestration.local import runner_utils
        from tfx.orchestration.portable import launcher, runtime_parameter_utils

        # The run's facts (data, who triggered it, ...) fill the IR's runtime parameters.
        runtime_parameter_utils.substitute_runtime_parameter(self.ir, self.bindings)
        deployment = runner_utils.extract_local_deployment_config(self.ir)
        launcher.Launcher(
            pipeline_node=self.node,
            mlmd_connection=metadata.Metadata(connection_from_spec(self.store_spec)),
            pipeline_info=self.ir.pipeline_info,
            pipeline_runtime_spec=self.ir.runtime_spec,
            executor_spec=runner_utils.extract_executor_spec(deployment, self.node_id),
            custom_driver_spec=runner_utils.extract_custom_driver_spec(deployment, self.node_id),
        ).launch()

    def run(self) -> str:
        """Launches the node (unless a step before it stopped the run); returns its state:
        done, cached, waits (a gate stopped the run here) or skipped."""
        waiting_on = self._unfinished_upstream()
        try:
            if waiting_on:
                print(f"not run: {', '.join(waiting_on)} did not finish in run {self.run_id}")
                self.state = "skipped"
            else:
                self._launch()
                # TFX registers no execution when the node's inputs never arrived.
                mine = [s.state for s in self.record().steps if s.node == self.node_id]
                self.state = mine[-1] if mine else "skipped"
        except STOPS as stop:
            print(f"the run stops here: {stop}")
            self.state = "waits"
        except BaseException as error:
            print(f"{MARKER} {self.node_id} failed {first_line(str(error)) or type(error).__name__}", flush=True)
            raise
        print(f"{MARKER} {self.node_id} {self.state}", flush=True)
        return self.state


def node_task(node: str, run_id: str, job_name: str, store: str, data_root: str,
              triggered_by: str, command_prefix: str, release_command: str) -> NodeTask:
    """The task's inputs, as KFP hands them over, made into a NodeTask and run."""
    from pipeline.environment import prepare_process

    prepare_process()
    bindings = {
        "data_root": data_root,
        # A run started by hand in the KFP UI names no one: it is named by its job.
        "triggered_by": triggered_by or f"kfp run {job_name}",
        "command_prefix": command_prefix,
        "release_command": release_command,
    }
    task = NodeTask(node, run_id, store, bindings)
    task.run()
    return task
