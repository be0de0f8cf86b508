"""Nearest examples in the served vector index: by example key, or by an ad-hoc row.

The index is the collection behind the config's alias, which moves only when
a model is released; `--row` embeds the row with that same model (or the
configured encoder), so a query and the index always share one vector space.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re

import ml_metadata

from components.vector_index_pusher import index
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.lineage import VECTOR_INDEX_TYPE, model_lineage
from pipeline.metadata import store_for

# TensorFlow, loaded only for --row, would otherwise log to the terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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
    except index.IndexBusy as busy:
        raise TollgateError(str(busy)) from None


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
    query = f"type = '{VECTOR_INDEX_TYPE}' AND custom_properties.collection.string_value = '{collection}'"
    found = store.get_artifacts(list_options=ml_metadata.ListOptions(filter_query=query))
    if not found:
        raise TollgateError(f"the metadata store has no record of {collection}; is this the right TOLLGATE_HOME?")
    model_id = found[0].custom_properties["model_id"].int_value
    lineage = model_lineage(store, model_id)
    return lineage.releases[-1].serving_path if lineage.releases else None, lineage.schema.uri


def parse_row(text: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise TollgateError(f"--row {text!r} is not 'column=value,column=value'")
    return {name.strip(): value.strip() for name, value in pairs}


def example_from_row(row: dict[str, str], schema_uri: str) -> bytes:
    """A serialized tf.Example with each value typed as the schema says."""
    from google.protobuf import text_format
    from tensorflow.core.example import example_pb2
    from tensorflow_metadata.proto.v0 import schema_pb2

    [path] = glob.glob(os.path.join(schema_uri, "schema.pbtxt"))
    schema = text_format.Parse(open(path).read(), schema_pb2.Schema())
    kinds = {f.name: f for f in schema.feature}
    unknown = sorted(set(row) - set(kinds))
    if unknown:
        raise TollgateError(f"unknown column(s) {', '.join(unknown)}; the schema has: {', '.join(sorted(kinds))}")
    example = example_pb2.Example()
    for name, value in row.items():
        feature = example.features.feature[name]
        try:
            if kinds[name].type == schema_pb2.INT:
                feature.int64_list.value.append(int(value))
            elif kinds[name].type == schema_pb2.FLOAT:
                feature.float_list.value.append(float(value))
            else:
                feature.bytes_list.value.append(value.encode())
        except ValueError:
            raise TollgateError(f"column {name} needs a number, got {value!r}") from None
    return example.SerializeToString()


def by_row(config: TollgateConfig, text: str, k: int = 10) -> list[dict]:
    """The k examples nearest to an ad-hoc row, embedded by the served model."""
    from components.embedding_exporter.encoders import load_encoder, saved_model_encoder

    row = parse_row(text)
    with _served(config) as (client, collection):
        model_path, schema_uri = _served_model(store_for(config), collection)
        serialized = example_from_row(row, schema_uri)
        encoder = load_encoder(config.embeddings.encoder) if config.embeddings.encoder else saved_model_encoder(model_path)
        try:
            [vector] = encoder([serialized])
        except Exception as error:  # tf.errors.InvalidArgumentError names the missing feature
            missing = re.search(r"Feature: (\w+) .*is required", str(error))
            if missing is None:
                raise
            raise TollgateError(f"the row lacks column {missing.group(1)}, which the model needs") from None
        return index.search(client, collection, vector, k)
