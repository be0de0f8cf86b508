"""AnomalyGate: stops the run when the data broke the schema or drifted.

ExampleValidator and DriftCheck record anomalies but block nothing. This
gate sits between them and Transform, so bad data never reaches training.
"""

from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types import standard_artifacts

from components.anomaly_gate.anomalies import read_anomalies

Anomalies = standard_artifacts.ExampleAnomalies


class DataAnomaliesError(RuntimeError):
    """The data broke the schema or drifted; the message lists each anomaly."""


@component
def AnomalyGate(
    anomalies: InputArtifact[Anomalies],
    drift: InputArtifact[Anomalies] = None,
) -> None:
    found = read_anomalies(anomalies.uri)
    if drift is not None:
        found += [f"{line} (drift from span {drift.get_int_custom_property('previous_span')})"
                  for line in read_anomalies(drift.uri)]
    if found:
        raise DataAnomaliesError(
            f"{len(found)} data anomal{'y' if len(found) == 1 else 'ies'} "
            f"({'; '.join(found)}); fix the data or the schema, then run again"
        )
