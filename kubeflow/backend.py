"""The Kubeflow backend: what the one definition needs to know about a cluster.

Plugged in over `pipeline.definition` (see `LocalBackend`): the data is a
pipeline parameter, a curated schema is read from the image's copy of the
repository, artifacts go to the pipeline root, KFP's launcher reaches the
store itself, and resolvers are limited to TFX's built-in strategies.
"""

from __future__ import annotations

import posixpath

from tfx import v1 as tfx

from pipeline.config import TollgateConfig
from pipeline.definition.backend import ExampleInput, LocalBackend

# The taxi sample inside the image that kubeflow/Dockerfile builds.
IMAGE_DATA_ROOT = "/opt/venv/lib/python3.11/site-packages/tfx/examples/chicago_taxi_pipeline/data/simple"
# Where kubeflow/Dockerfile copies this repository: relative paths in the
# config, such as a curated schema, are found there inside the pods.
IMAGE_WORKDIR = "/opt/tollgate"
DATA_PARAMETER = "data_root"


class KubeflowBackend(LocalBackend):
    name = "kubeflow"
    # KFP compiles only TFX's two built-in strategies into its own artifact
    # queries (kubeflow/README.md, "Differences from a local run").
    builtin_resolvers_only = True

    def example_input(self, config: TollgateConfig) -> ExampleInput:
        # A pipeline parameter, so each scheduled run can name its own data
        # and KFP's cache cannot mistake new data for an old run.
        base = tfx.dsl.experimental.RuntimeParameter(
            name=DATA_PARAMETER, ptype=str, default=config.data_root or IMAGE_DATA_ROOT
        )
        return ExampleInput(base, "*.csv")

    def schema_file(self, config: TollgateConfig) -> str:
        schema_file = config.validation.schema_file
        return schema_file if posixpath.isabs(schema_file) else posixpath.join(IMAGE_WORKDIR, schema_file)

    def pipeline_root(self, config: TollgateConfig) -> str:
        return config.kubeflow.pipeline_root or str(config.pipeline_root)

    def metadata_connection(self, config: TollgateConfig):
        return None  # KFP's launcher connects to the cluster's own store
