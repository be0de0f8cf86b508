"""Compiles the one pipeline definition for a Kubeflow Pipelines v2 cluster.

`create_pipeline(config, backend)` is the same function the local runner
calls; this module only turns the config toward the cluster (image, state
volume, the cluster's store), passes the Kubeflow backend, attaches
per-component resources, and hands the result to TFX's KubeflowV2DagRunner.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

from kubeflow.backend import IMAGE_DATA_ROOT, KubeflowBackend
from pipeline.config import ResourceConfig, TollgateConfig
from pipeline.errors import TollgateError

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
    """The config as the pods see it: state on the volume, the cluster's store."""
    kube = config.kubeflow
    name, _, tag = image.rpartition(":")
    return dataclasses.replace(
        config,
        runner=KubeflowBackend.name,
        home=kube.home,
        data_root=kube.data_root or IMAGE_DATA_ROOT,
        metadata=kube.metadata,
        kubeflow=dataclasses.replace(kube, image=name, tag=tag),
    )


def resource_spec(spec: ResourceConfig):
    """A KFP ResourceSpec, or None when the config asks for nothing."""
    from kfp.pipeline_spec import pipeline_spec_pb2

    if not (spec.cpu or spec.memory_gb or spec.accelerator):
        return None
    resources = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec()
    if spec.cpu:
        resources.cpu_limit = spec.cpu
    if spec.memory_gb:
        resources.memory_limit = spec.memory_gb
    if spec.accelerator:
        resources.accelerator.type = spec.accelerator
        resources.accelerator.count = spec.accelerator_count
    return resources


def build(config: TollgateConfig):
    """The TFX pipeline for the cluster, with each component's resources attached."""
    from pipeline.definition.pipeline import create_pipeline

    pipeline = create_pipeline(config, KubeflowBackend())
    by_id = {component.id: component for component in pipeline.components}
    for key, component_id in RESOURCE_COMPONENTS.items():
        resources = resource_spec(getattr(config.kubeflow, key))
        if resources is not None:
            if component_id not in by_id:
                raise TollgateError(f"kubeflow.{key} is set, but the pipeline has no {component_id}")
            by_id[component_id].with_platform_config(resources)
    return pipeline


def compile_pipeline(config: TollgateConfig, output: str, image: str | None = None) -> dict:
    """Writes the PipelineJob JSON to `output` and returns it."""
    from tfx import v1 as tfx

    reference = image_reference(config, image)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=reference,
            # Schema 2.1: typed parameters, which the KFP 2 backend and SDK read.
            use_pipeline_spec_2_1=True,
        ),
    )
    cluster = cluster_config(config, reference)
    defaults = {"data_root": cluster.data_root}
    job = runner.run(build(cluster), parameter_values=defaults, write_out=False)
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    # Written beside the target and renamed: a reader never sees half a file.
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".json", delete=False) as handle:
        json.dump(job, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(handle.name, output)
    return job


def load_job(job_path: str) -> dict:
    """A compiled PipelineJob, checked to be one."""
    with open(job_path) as handle:
        job = json.load(handle)
    if "pipelineSpec" not in job:
        raise TollgateError(f"{job_path} is not a compiled Tollgate pipeline; run `tollgate compile` first")
    return job


def pipeline_spec(job_path: str) -> dict:
    """The PipelineSpec inside a compiled PipelineJob: what the KFP API uploads."""
    return load_job(job_path)["pipelineSpec"]
