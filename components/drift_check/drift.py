"""Compares one span's statistics with the previous span's, through TFDV.

TFX 1.16's ExampleValidator checks statistics against the schema only: it
never passes TFDV a previous span. This module adds that comparison for the
configured features: L-infinity distance for strings, Jensen-Shannon
divergence for numbers, each with its threshold from the config.
"""

from __future__ import annotations

import os

from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

_STRINGS = schema_pb2.FeatureType.Value("BYTES")


def _features(stats: statistics_pb2.DatasetFeatureStatisticsList) -> set[str]:
    return {".".join(f.path.step) or f.name for d in stats.datasets for f in d.features}


def with_comparators(schema: schema_pb2.Schema, features, max_linf: float, max_jsd: float):
    """A copy of `schema` with drift comparators on `features` that it has."""
    copy = schema_pb2.Schema()
    copy.CopyFrom(schema)
    for feature in copy.feature:
        if feature.name not in features:
            continue
        if feature.type == _STRINGS:
            feature.drift_comparator.infinity_norm.threshold = max_linf
        else:
            feature.drift_comparator.jensen_shannon_divergence.threshold = max_jsd
    return copy


def _add_missing(found: anomalies_pb2.Anomalies, features, current, previous, split: str) -> None:
    """Adds features the previous span had that this one lacks."""
    for name in sorted(set(features) & (_features(previous) - _features(current))):
        info = found.anomaly_info[name]
        info.short_description = "Column dropped"
        info.description = f"{name} was in the previous span's {split} split but is missing from this span"


def _drift_only(anomalies: anomalies_pb2.Anomalies) -> anomalies_pb2.Anomalies:
    """The comparator findings; ExampleValidator already reports the schema's."""
    kept = anomalies_pb2.Anomalies()
    kept.drift_skew_info.extend(anomalies.drift_skew_info)
    for name, info in anomalies.anomaly_info.items():
        reasons = [r for r in info.reason if anomalies_pb2.AnomalyInfo.Type.Name(r.type).startswith("COMPARATOR_")]
        if reasons:
            kept_info = kept.anomaly_info[name]
            kept_info.CopyFrom(info)
            del kept_info.reason[:]
            kept_info.reason.extend(reasons)
            kept_info.description = " ".join(r.description for r in reasons)
    return kept


def compare(current: dict, previous: dict, schema, features, max_linf: float, max_jsd: float) -> dict:
    """Per split present in both spans: the drift anomalies found."""
    import tensorflow_data_validation as tfdv

    drift_schema = with_comparators(schema, features, max_linf, max_jsd)
    results = {}
    for split in sorted(set(current) & set(previous)):
        found = _drift_only(tfdv.validate_statistics(
            current[split], drift_schema, previous_statistics=previous[split]
        ))
        _add_missing(found, features, current[split], previous[split], split)
        results[split] = found
    return results


def measurements(results: dict) -> list[dict]:
    """Every comparison made, found or not: split, feature, measure, value, threshold."""
    rows = []
    for split, found in results.items():
        for info in found.drift_skew_info:
            for m in info.drift_measurements:
                rows.append({
                    "split": split,
                    "feature": ".".join(info.path.step),
                    "measure": anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(m.type).lower(),
                    "value": round(m.value, 6),
                    "threshold": m.threshold,
                })
    return rows


def write(results: dict, uri: str) -> None:
    """As ExampleValidator lays out its output, so one reader serves both."""
    for split, found in results.items():
        folder = os.path.join(uri, f"Split-{split}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "SchemaDiff.pb"), "wb") as handle:
            handle.write(found.SerializeToString())
