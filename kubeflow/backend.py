"""The Kubeflow backend: what the one definition needs to know about a cluster.

Plugged in over `pipeline.definition` (see `LocalBackend`): the data is a
pipeline parameter that each run binds, a curated schema is read from the
image's copy of the repository, and artifacts go to the pipeline root. The
store, the resolvers and caching are Tollgate's own, as in a local run.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from tfx.orchestration.data_types import RuntimeParameter

from pipeline.config import TollgateConfig
from pipeline.data.spans import SPAN_PATTERN, spans_in
from pipeline.definition.backend import ExampleInput, LocalBackend

# The taxi sample inside the image that kubeflow/Dockerfile builds.
IMAGE_DATA_ROOT = "/opt/venv/lib/python3.11/site-packages/tfx/examples/chicago_taxi_pipeline/data/simple"
# Where kubeflow/Dockerfile copies this repository: relative paths in the
# config, such as a curated schema, are found there inside the pods.
IMAGE_WORKDIR = "/opt/tollgate"
DATA_PARAMETER = "data_root"


def holds_spans(config: TollgateConfig) -> bool:
    """span-N folders under the data root: declared, or seen where it is a folder here."""
    return config.kubeflow.span_folders or ("://" not in config.data_root and bool(spans_in(Path(config.data_root))))


class KubeflowBackend(LocalBackend):
    name = "kubeflow"

    def __init__(self, workdir: str = IMAGE_WORKDIR):
        # Where the tasks find this repository: the image's copy, or this
        # checkout when `run-local` runs them here.
        self.workdir = workdir

    def input_bytes(self, config: TollgateConfig) -> None:
        """Unknown when the pipeline compiles: each run binds its own data. The
        compiled steps run [beam]'s named mode, or in memory for "auto"."""
        return None

    def example_input(self, config: TollgateConfig) -> ExampleInput:
        root, pattern = config.data_root or IMAGE_DATA_ROOT, "*.csv"
        if holds_spans(config):
            pattern = SPAN_PATTERN  # TFX reads the newest span when the run starts
        elif "://" not in root and Path(root).is_file():
            root, pattern = str(Path(root).parent), Path(root).name  # one file, read alone
        # Each run binds the folder, so a schedule can name each run's data.
        base = RuntimeParameter(name=DATA_PARAMETER, ptype=str, default=root)
        return ExampleInput(base, pattern)

    def schema_file(self, config: TollgateConfig) -> str:
        schema_file = config.validation.schema_file
        return schema_file if posixpath.isabs(schema_file) else posixpath.join(self.workdir, schema_file)

    def pipeline_root(self, config: TollgateConfig) -> str:
        return config.kubeflow.pipeline_root or str(config.pipeline_root)

    def metadata_connection(self, config: TollgateConfig):
        return None  # each task connects to the store it is given (kubeflow/node.py)

    def command_prefix(self, config: TollgateConfig) -> str:
        return "tollgate"  # `tollgate kubeflow submit` binds the submitter's own

    def release_command(self, config: TollgateConfig) -> str:
        # No replay here: a new run with the same data finds the approval.
        return "{prefix} kubeflow submit"
