"""AnomalyGate: stops the run when ExampleValidator found anomalies.

ExampleValidator records anomalies but blocks nothing. This gate sits between
it and Transform, so bad data never reaches training.
"""

import glob
import os

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import v1 as tfx


class DataAnomaliesError(RuntimeError):
    """The data broke the schema; the message lists each anomaly."""


def read_anomalies(anomalies_uri: str) -> list[str]:
    """One line per anomaly, as '<split>: <feature>: <description>'."""
    lines = []
    for path in sorted(glob.glob(os.path.join(anomalies_uri, "Split-*", "SchemaDiff.pb"))):
        split = os.path.basename(os.path.dirname(path))[len("Split-"):]
        found = anomalies_pb2.Anomalies()
        with open(path, "rb") as handle:
            found.ParseFromString(handle.read())
        for feature, info in sorted(found.anomaly_info.items()):
            lines.append(f"{split}: {feature}: {info.description or info.short_description}")
        if found.HasField("dataset_anomaly_info"):
            info = found.dataset_anomaly_info
            lines.append(f"{split}: (dataset): {info.description or info.short_description}")
    return lines


@tfx.dsl.components.component
def AnomalyGate(
    anomalies: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ExampleAnomalies],
) -> None:
    found = read_anomalies(anomalies.uri)
    if found:
        raise DataAnomaliesError(
            f"{len(found)} data anomal{'y' if len(found) == 1 else 'ies'} "
            f"({'; '.join(found)}); fix the data or the schema, then run again"
        )
