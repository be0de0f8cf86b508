"""VectorIndexPusher: serves a released model's embeddings from Milvus.

A separate component from the exporter, because the two answer to
different gates: every run exports (the vectors are an artifact with
lineage, whether or not the model ships), but only a release may change what
readers search. Its inputs are the Embeddings and Publish's release record;
when the model was not released (not blessed, not signed off, or already
being served) it records that and touches nothing.

The VectorIndex artifact records `loaded`, `uri`, `collection`, `alias`,
`count`, `dimension` and `model_id`.
"""

import json

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.artifact import Artifact

from components import artifact_types
from components.embedding_exporter.component import Embeddings
from components.embedding_exporter.executor import read_embeddings
from components.publish.component import Release
from components.vector_index_pusher import index


# Another run's load, or a search, holds a Milvus Lite file for seconds.
LOAD_WAIT_SECONDS = 600


class VectorIndex(Artifact):
    """A Milvus collection loaded from Embeddings, and the alias readers use."""

    TYPE_NAME = artifact_types.VECTOR_INDEX


@component
def VectorIndexPusher(
    embeddings: InputArtifact[Embeddings],
    release: InputArtifact[Release],
    vector_index: OutputArtifact[VectorIndex],
    uri: Parameter[str],
    alias: Parameter[str],
    columns: Parameter[str],
) -> None:
    vector_index.set_string_custom_property("uri", uri)
    vector_index.set_string_custom_property("alias", alias)
    if release.get_int_custom_property("released") != 1:
        vector_index.set_int_custom_property("loaded", 0)
        return
    model_id = embeddings.get_int_custom_property("model_id")
    collection = f"{alias}_m{model_id}_e{embeddings.id}"
    wanted = json.loads(columns)
    rows = index.rows_of(read_embeddings(embeddings.uri, ["key", "split", "vector", *wanted]), wanted)
    dimension = embeddings.get_int_custom_property("dimension")
    with index.opened(uri, wait_seconds=LOAD_WAIT_SECONDS) as client:
        loaded = index.load(client, uri, collection, alias, rows, dimension)
    vector_index.set_int_custom_property("loaded", 1)
    vector_index.set_string_custom_property("collection", collection)
    vector_index.set_int_custom_property("count", loaded)
    vector_index.set_int_custom_property("dimension", dimension)
    vector_index.set_int_custom_property("model_id", model_id)
