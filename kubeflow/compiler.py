"""Compiles the one pipeline definition for Kubeflow Pipelines, with the kfp SDK.

`create_pipeline(config, KubeflowBackend())` (the definition a local run
uses) is compiled by TFX into its IR. Then a kfp pipeline gets one task per
IR node, each carrying that node's slice of the IR (`kubeflow/node.py`),
ordered as the IR orders them; kfp's own compiler writes the spec. The spec
has no resolver or importer executors, every task runs the configured image
with KFP's cache off (TFX's cache decides), and each run binds its own
facts: its id, who triggered it, its data.
"""

# No `from __future__ import annotations`: kfp reads the pipeline
# function's parameter types at run time.
import dataclasses
import json
import os
import tempfile

from components.store import MYSQL_PASSWORD_ENV
from kubeflow.backend import IMAGE_DATA_ROOT, IMAGE_WORKDIR, KubeflowBackend
from pipeline.config import TAXI_MODULE, ResourceConfig, TollgateConfig
from pipeline.errors import TollgateError
from pipeline.lineage.store import store_spec

# Components whose pods take resources from [kubeflow.<name>] in the config.
RESOURCE_COMPONENTS = {
    "trainer": "Trainer",
    "transform": "Transform",
    "evaluator": "Evaluator",
    "embedding_exporter": "EmbeddingExporter",
}


def image_reference(config: TollgateConfig, override: str | None = None) -> str:
    """NAME:TAG for every step; an unset tag or 'latest' is refused."""
    if override:
        name, _, tag = override.rpartition(":")
        if not name or "/" in tag:
            raise TollgateError(f"--image {override!r} has no tag; give NAME:TAG, e.g. {override}:1.0.0")
    else:
        name, tag = config.kubeflow.image, config.kubeflow.tag
    if not tag:
        raise TollgateError(
            "the pipeline image has no tag; set kubeflow.tag in the config or pass --image NAME:TAG"
        )
    if tag == "latest":
        raise TollgateError(
            "the image tag 'latest' is refused: runs must name exactly what they ran; "
            "build and push a versioned tag (see kubeflow/README.md)"
        )
    return f"{name}:{tag}"


def cluster_config(config: TollgateConfig, image: str) -> TollgateConfig:
    """The config as the pods see it: state on the volume, Tollgate's store on the cluster."""
    if config.model.is_file:
        # TFX would package a file into a wheel under the pipeline root, a
        # path on the cluster's volume that this machine cannot write.
        raise TollgateError(f"on Kubeflow, [model] module must be a module path in the image, not the file "
                            f"{config.model.module}; put it under trainer/ (kubeflow/Dockerfile copies it) "
                            "and name it as trainer.<folder>.<module>")
    kube = config.kubeflow
    if not kube.data_root and config.model.module != TAXI_MODULE:
        raise TollgateError("on Kubeflow, set [kubeflow] data_root to your module's data (a path or URI the "
                            "pods can read); the default is the taxi sample inside the image")
    name, _, tag = image.rpartition(":")
    return dataclasses.replace(
        config,
        runner=KubeflowBackend.name,
        home=kube.home,
        data_root=kube.data_root or IMAGE_DATA_ROOT,
        metadata=kube.metadata,
        kubeflow=dataclasses.replace(kube, image=name, tag=tag),
    )


def tfx_ir(config: TollgateConfig, backend: KubeflowBackend):
    """The pipeline's TFX IR, compiled from the one definition."""
    from tfx.dsl.compiler import compiler

    from pipeline.definition.pipeline import create_pipeline

    return compiler.Compiler().compile(create_pipeline(config, backend))


def _resources(task, spec: ResourceConfig) -> None:
    if spec.cpu:
        task.set_cpu_limit(f"{spec.cpu:g}")
    if spec.memory_gb:
        task.set_memory_limit(f"{spec.memory_gb:g}G")
    if spec.accelerator:
        task.set_accelerator_type(spec.accelerator).set_accelerator_limit(spec.accelerator_count)


def _component(node, image: str):
    """The kfp component that runs this node, named after it, on the Tollgate image."""
    from kfp import dsl

    from kubeflow.tasks import GATES, tfx_node

    function = GATES.get(node.node_info.type.name.rsplit(".", 1)[-1], tfx_node)
    component = dsl.component(function, base_image=image, install_kfp_package=False)
    # The task, and its name in the KFP UI and in kfp.local's log, is the node's.
    component.component_spec.name = node.node_info.id
    return component


def kfp_pipeline(config: TollgateConfig, image: str, backend: KubeflowBackend):
    """The kfp pipeline function: one task per node of the TFX IR."""
    from kfp import dsl, kubernetes

    from kubeflow.node import encode_node

    ir = tfx_ir(config, backend)
    store = json.dumps(store_spec(config.metadata, config.sqlite_path), sort_keys=True)
    resources = {node_id: getattr(config.kubeflow, key) for key, node_id in RESOURCE_COMPONENTS.items()}

    data = backend.example_input(config).base.default

    @dsl.pipeline(name=config.pipeline_name, description="Tollgate: a gated TFX pipeline, one task per TFX node")
    def pipeline(data_root: str = data, triggered_by: str = "",
                 command_prefix: str = backend.command_prefix(config),
                 release_command: str = backend.release_command(config)):
        tasks = {}
        for entry in ir.nodes:
            node = entry.pipeline_node
            node_id = node.node_info.id
            task = _component(node, image)(
                node=encode_node(ir, node_id), run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
                job_name=dsl.PIPELINE_JOB_NAME_PLACEHOLDER, store=store, data_root=data_root,
                triggered_by=triggered_by, command_prefix=command_prefix, release_command=release_command,
            )
            task.set_display_name(node_id).set_caching_options(False)
            for upstream in node.upstream_nodes:
                task.after(tasks[upstream])
            _resources(task, resources.get(node_id, ResourceConfig()))
            if config.metadata.backend == "mysql":
                kubernetes.use_secret_as_env(task, config.kubeflow.password_secret, {"password": MYSQL_PASSWORD_ENV})
            tasks[node_id] = task
        if "DriftCheck" in tasks:
            # ExampleValidator's task shows the whole data gate, drift included.
            tasks["ExampleValidator"].after(tasks["DriftCheck"])

    return pipeline


def write_spec(config: TollgateConfig, image: str, backend: KubeflowBackend, output: str) -> str:
    """Compiles with kfp's compiler to `output`, a YAML file; returns the path."""
    from kfp import compiler

    if not output.endswith((".yaml", ".yml")):
        # kfp writes a task's Kubernetes settings (the store's secret) to YAML only.
        raise TollgateError(f"the compiled pipeline is YAML; name the output .yaml, not {output}")
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    # Written beside the target and renamed: a reader never sees half a file.
    handle, scratch = tempfile.mkstemp(dir=folder, suffix=".yaml")
    os.close(handle)
    compiler.Compiler().compile(kfp_pipeline(config, image, backend), scratch)
    os.chmod(scratch, 0o644)  # mkstemp's 0600 would hide the spec from whoever uploads it
    os.replace(scratch, output)
    return output


def compile_pipeline(config: TollgateConfig, output: str, image: str | None = None) -> str:
    """The spec a cluster runs, written to `output`."""
    reference = image_reference(config, image)
    return write_spec(cluster_config(config, reference), reference, KubeflowBackend(IMAGE_WORKDIR), output)


def parameter_defaults(spec_path: str) -> dict:
    """The compiled pipeline's parameters and their defaults."""
    import yaml

    with open(spec_path) as handle:
        spec = next(yaml.safe_load_all(handle))
    if "root" not in spec or "pipelineInfo" not in spec:
        raise TollgateError(f"{spec_path} is not a compiled Tollgate pipeline; run `tollgate compile` first")
    parameters = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    return {name: p.get("defaultValue", "") for name, p in parameters.items()}
