"""Nearest examples in the served vector index: by example key, or by an ad-hoc row.

The index is the collection behind the config's alias, which moves only when
a model is released; `--row` embeds the row with that same model (or the
configured encoder), so a query and the index always share one vector space.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import ml_metadata

from components import artifact_types
from components.vector_index_pusher import index
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.lineage.model import model_lineage
from pipeline.lineage.store import store_for
from pipeline.search.rows import example_from_row, parse_row, read_schema


@contextlib.contextmanager
def _served(config: TollgateConfig):
    """(client, collection) behind the config's alias, for the length of a query."""
    uri, alias = config.milvus_uri, config.vector_alias
    if index.is_lite(uri) and not os.path.exists(uri):
        raise TollgateError(f"no vector index at {uri} yet: release a model first (`tollgate release MODEL`)")
    try:
        with index.opened(uri) as client:
            collection = index.resolve(client, uri, alias)
            if collection is None:
                raise TollgateError(f"alias {alias} points to no collection yet: release a model first")
            yield client, collection
    except index.IndexUnavailable as unavailable:
        raise TollgateError(str(unavailable)) from None


def like(config: TollgateConfig, key: int, k: int = 10) -> list[dict]:
    """The k examples nearest to example `key`, itself first."""
    with _served(config) as (client, collection):
        vector = index.vector_of(client, collection, key)
        if vector is None:
            raise TollgateError(
                f"no example {key} in {collection}; keys are in `tollgate search` output "
                "and in the run's Embeddings files"
            )
        return index.search(client, collection, vector, k)


def _served_model(store, collection: str):
    """(serving path, schema uri) of the model whose vectors the collection holds."""
    query = f"type = '{artifact_types.VECTOR_INDEX}' AND custom_properties.collection.string_value = '{collection}'"
    found = store.get_artifacts(list_options=ml_metadata.ListOptions(filter_query=query))
    if not found:
        raise TollgateError(f"the metadata store has no record of {collection}; is this the right TOLLGATE_HOME?")
    model_id = found[0].custom_properties["model_id"].int_value
    lineage = model_lineage(store, model_id)
    return lineage.releases[-1].serving_path if lineage.releases else None, lineage.schema.uri


@dataclasses.dataclass(frozen=True)
class RowResults:
    hits: list[dict]
    given: list[str]  # the row's columns
    filled: list[str]  # the schema's other columns, taken as empty cells


def by_row(config: TollgateConfig, text: str, k: int = 10) -> RowResults:
    """The k examples nearest to an ad-hoc row, embedded by the served model."""
    return by_columns(config, parse_row(text), k)


def by_columns(config: TollgateConfig, row: dict[str, str], k: int = 10) -> RowResults:
    """The k examples nearest to a row of columns and their values."""
    from components.embedding_exporter.encoders import load_encoder, saved_model_encoder

    with _served(config) as (client, collection):
        model_path, schema_uri = _served_model(store_for(config), collection)
        serialized, filled = example_from_row(row, read_schema(schema_uri))
        if config.embeddings.encoder:
            encoder = load_encoder(config.embeddings.encoder)
        else:
            encoder = saved_model_encoder(model_path, config.model.embedding_signature)
        [vector] = encoder([serialized])
        return RowResults(index.search(client, collection, vector, k), sorted(row), filled)
