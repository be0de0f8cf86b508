"""Reads ExampleValidator's and DriftCheck's anomalies; protobuf only, so audits stay light."""

import glob
import os

from tensorflow_metadata.proto.v0 import anomalies_pb2


def anomaly_rows(anomalies_uri: str) -> list[tuple[str, str, str]]:
    """(split, feature, description) for each anomaly; '(dataset)' for the whole split."""
    rows = []
    for path in sorted(glob.glob(os.path.join(anomalies_uri, "Split-*", "SchemaDiff.pb"))):
        split = os.path.basename(os.path.dirname(path))[len("Split-"):]
        found = anomalies_pb2.Anomalies()
        with open(path, "rb") as handle:
            found.ParseFromString(handle.read())
        for feature, info in sorted(found.anomaly_info.items()):
            rows.append((split, feature, info.description or info.short_description))
        if found.HasField("dataset_anomaly_info"):
            info = found.dataset_anomaly_info
            rows.append((split, "(dataset)", info.description or info.short_description))
    return rows


def read_anomalies(anomalies_uri: str) -> list[str]:
    """One line per anomaly, as '<split>: <feature>: <description>'."""
    return [": ".join(row) for row in anomaly_rows(anomalies_uri)]
