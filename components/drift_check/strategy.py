"""Resolves what DriftCheck compares with: the newest earlier span's statistics.

"Previous run" would be wrong here: a re-run of span 3 after span 5 must
compare with span 2, and a re-run of the same span must not compare the
span with itself. StatisticsGen does not copy the span onto its output, so
the span is read from the Examples, and their statistics are found through
the StatisticsGen execution that read them.
"""

from ml_metadata.proto import metadata_store_pb2 as mlmd
from tfx.dsl.components.common.resolver import ResolverStrategy

CURRENT = "current"
EXAMPLES = "examples"
STATISTICS = "statistics"


def span_of(examples) -> int:
    # ExampleGen in TFX 1.16 records the span as a custom property; the
    # `span` property it declares stays 0.
    if examples.has_custom_property("span"):
        return examples.get_int_custom_property("span")
    return examples.span


def earlier_spans(current, examples) -> list:
    """Examples of spans before the current one, newest span first."""
    if not current:
        return []
    span = span_of(current[0])
    return sorted((e for e in examples if span_of(e) < span), key=lambda e: (span_of(e), e.id), reverse=True)


def statistics_of(store, examples_id: int, statistics: dict):
    """The newest statistics that a StatisticsGen computed from these examples."""
    readers = [e.execution_id for e in store.get_events_by_artifact_ids([examples_id])
               if e.type == mlmd.Event.INPUT]
    stats_gens = [x.id for x in store.get_executions_by_id(readers) if x.type.endswith("StatisticsGen")]
    made = [e.artifact_id for e in store.get_events_by_execution_ids(stats_gens)
            if e.type == mlmd.Event.OUTPUT and e.artifact_id in statistics]
    return statistics[max(made)] if made else None


class PreviousSpanStrategy(ResolverStrategy):
    def resolve_artifacts(self, store, input_dict):
        current = list(input_dict.get(CURRENT, []))
        by_id = {s.id: s for s in input_dict.get(STATISTICS, [])}
        for examples in earlier_spans(current, input_dict.get(EXAMPLES, [])):
            found = statistics_of(store, examples.id, by_id)
            if found is not None:
                return {STATISTICS: [found], EXAMPLES: [examples], CURRENT: current}
        return {STATISTICS: [], EXAMPLES: [], CURRENT: current}
