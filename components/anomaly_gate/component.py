"""AnomalyGate: stops the run when ExampleValidator found anomalies.

ExampleValidator records anomalies but blocks nothing. This gate sits between
it and Transform, so bad data never reaches training.
"""

from tfx import v1 as tfx

from components.anomaly_gate.anomalies import read_anomalies


class DataAnomaliesError(RuntimeError):
    """The data broke the schema; the message lists each anomaly."""


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
