"""DriftCheck: this span against the previous span, before anything trains.

Its inputs `previous` and `previous_examples` come from a resolver
(components/drift_check/strategy.py) and may be empty: the first span has
nothing to compare with, which the output records as `compared_with = 0`. The output is an
ExampleAnomalies artifact laid out like ExampleValidator's, so AnomalyGate
reads both the same way. Properties: `compared_with` (the previous
statistics' id), `previous_span`, `drift_found` (features over a
threshold) and `measurements` (every comparison, as JSON).
"""

import json
import os

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils, standard_artifacts
from tfx.utils import io_utils

from components.drift_check import drift
from components.statistics import read_statistics
from components.drift_check.strategy import span_of

Examples = standard_artifacts.Examples
Statistics = standard_artifacts.ExampleStatistics


@component
def DriftCheck(
    examples: InputArtifact[Examples],
    statistics: InputArtifact[Statistics],
    schema: InputArtifact[standard_artifacts.Schema],
    anomalies: OutputArtifact[standard_artifacts.ExampleAnomalies],
    features: Parameter[str],
    max_linf: Parameter[float],
    max_jsd: Parameter[float],
    previous_examples: InputArtifact[Examples] = None,
    previous: InputArtifact[Statistics] = None,
) -> None:
    current = read_statistics(statistics.uri)
    anomalies.split_names = artifact_utils.encode_split_names(sorted(current))
    # StatisticsGen leaves span 0 on its output; the Examples know the span.
    anomalies.span = span_of(examples)
    if previous is None:
        anomalies.set_int_custom_property("compared_with", 0)
        anomalies.set_int_custom_property("drift_found", 0)
        return
    curated = io_utils.SchemaReader().read(os.path.join(schema.uri, "schema.pbtxt"))
    results = drift.compare(
        current, read_statistics(previous.uri), curated, json.loads(features), max_linf, max_jsd
    )
    drift.write(results, anomalies.uri)
    anomalies.set_int_custom_property("compared_with", previous.id)
    if previous_examples is not None:
        anomalies.set_int_custom_property("previous_span", span_of(previous_examples))
    anomalies.set_int_custom_property("drift_found", sum(len(r.anomaly_info) for r in results.values()))
    anomalies.set_string_custom_property("measurements", json.dumps(drift.measurements(results)))
