"""EmbeddingExporter: every example of a run, as a vector from the trained model.

Inputs are the examples and the model. Each split's serialized examples go
through Beam's RunInference with the model's `signature_name` signature (or
the `encoder` function named instead), and come out as Parquet shards: the
example key (a hash of the example), its split, the vector, and the source
columns named in `columns`, as text. The Embeddings artifact records
`dimension`, `count`, `model_id`, `split` (the splits exported, comma
separated) and `encoder`.
"""

import json
import os

import apache_beam as beam
from tfx.dsl.component.experimental.annotations import BeamComponentParameter, InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import standard_artifacts
from tfx.types.artifact import Artifact

from components import artifact_types
from components.embedding_exporter.encoders import EmbedHandler
from components.embedding_exporter.executor import export, summary
from components.model_digest import SERVING_SUBDIR


class Embeddings(Artifact):
    """Vectors for a run's examples, as Parquet shards."""

    TYPE_NAME = artifact_types.EMBEDDINGS


@component(use_beam=True)
def EmbeddingExporter(
    examples: InputArtifact[standard_artifacts.Examples],
    model: InputArtifact[standard_artifacts.Model],
    embeddings: OutputArtifact[Embeddings],
    columns: Parameter[str],
    splits: Parameter[str] = "",
    encoder: Parameter[str] = "",
    signature_name: Parameter[str] = "embed",
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
) -> None:
    wanted = [s for s in splits.split(",") if s] or json.loads(examples.split_names)
    handler = EmbedHandler(os.path.join(model.uri, SERVING_SUBDIR), encoder, signature_name)
    with beam_pipeline as pipeline:
        export(pipeline, examples.uri, wanted, handler, embeddings.uri, json.loads(columns))
    count, dimension = summary(embeddings.uri)
    embeddings.set_int_custom_property("count", count)
    embeddings.set_int_custom_property("dimension", dimension)
    embeddings.set_int_custom_property("model_id", model.id)
    embeddings.set_string_custom_property("split", ",".join(wanted))
    embeddings.set_string_custom_property("encoder", encoder or f"model:{signature_name}")
