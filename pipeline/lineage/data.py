"""Lineage of the data behind a model: where it came from, what it held,
and what validation found (schema anomalies, drift from the previous span)."""

from __future__ import annotations

import json

from components.anomaly_gate.anomalies import read_anomalies
from components.statistics import read_statistics
from pipeline.lineage import records as rec
from pipeline.lineage.runs import iso
from pipeline.lineage.walk import OUTPUT, Graph


def prop(message, key: str):
    value = message.custom_properties.get(key) or message.properties.get(key)
    if value is None:
        return None
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def json_prop(message, key: str) -> dict:
    return json.loads(prop(message, key) or "{}") if message is not None else {}


def ref(artifact) -> rec.Ref | None:
    return rec.Ref(artifact.id, artifact.uri) if artifact is not None else None


def data_input(graph: Graph, examples, statistics) -> rec.DataInput:
    example_gen = graph.maker(examples.id) if examples is not None else None
    if example_gen is None:
        return rec.DataInput()
    config = json_prop(example_gen, "input_config")
    return rec.DataInput(
        examples=ref(examples),
        input_base=prop(example_gen, "input_base"),
        input_patterns=[s.get("pattern") for s in config.get("splits", [])],
        input_fingerprint=prop(example_gen, "input_fingerprint"),
        span=prop(examples, "span"),
        version=prop(examples, "version"),
        produced_at=iso(example_gen.create_time_since_epoch),
        rows=_rows(statistics) if statistics is not None else {},
    )


def _rows(statistics) -> dict:
    """Examples per split, as StatisticsGen counted them."""
    return {
        split: sum(d.num_examples for d in stats.datasets)
        for split, stats in read_statistics(statistics.uri).items()
    }


def _checked_by(graph: Graph, statistics, type_suffix: str):
    """The anomalies of the step that validated these statistics (not one
    that only compared a later span with them)."""
    if statistics is None:
        return None
    for execution in graph.using([statistics.id], type_suffix):
        if "statistics" in graph.keys(execution.id, statistics.id):
            return graph.first(execution.id, OUTPUT, "ExampleAnomalies")
    return None


def validation(graph: Graph, statistics) -> tuple[rec.Anomalies | None, rec.Drift | None]:
    """What ExampleValidator found, and what DriftCheck found against the previous span."""
    schema = _checked_by(graph, statistics, "ExampleValidator")
    drift = _checked_by(graph, statistics, "DriftCheck")
    anomalies = rec.Anomalies(schema.id, schema.uri, read_anomalies(schema.uri)) if schema else None
    if drift is None:
        return anomalies, None
    return anomalies, rec.Drift(
        id=drift.id,
        uri=drift.uri,
        found=read_anomalies(drift.uri),
        compared_with=prop(drift, "compared_with") or None,
        previous_span=prop(drift, "previous_span"),
        measurements=json.loads(prop(drift, "measurements") or "[]"),
    )
