"""Walking MLMD lineage in a few small queries, however often the pipeline ran.

Every run served from the cache links the artifacts it re-used again: after
200 runs a model has hundreds of producing and consuming executions, and a
`get_lineage_subgraph` started from the artifact walks all of them. So each
step here first finds the original executions with a filter query over events
(cache hits left out), then asks `get_lineage_subgraph` for one hop around
just those executions.
"""

from __future__ import annotations

import ml_metadata
from ml_metadata.proto import metadata_store_pb2 as mlmd

INPUT, OUTPUT = mlmd.Event.INPUT, mlmd.Event.OUTPUT
_OPTIONS = mlmd.LineageSubgraphQueryOptions
_KIND = {INPUT: "INPUT", OUTPUT: "OUTPUT"}


def _ids(ids) -> str:
    return ", ".join(str(int(i)) for i in sorted(set(ids)))


def executions_for(store, *clauses) -> list:
    """Original (not cached, not resolver) executions matching any clause.

    A clause is (artifact_ids, INPUT or OUTPUT, type suffix or ""): the
    executions linked that way to those artifacts. One filter query for all.
    """
    # Each event-type predicate may appear only once: MLMD's rewriting of
    # enum predicates fails on a repeated one, so clauses are grouped by kind.
    by_kind: dict[int, list[str]] = {}
    for artifact_ids, kind, type_suffix in clauses:
        if artifact_ids:
            part = f"events_0.artifact_id IN ({_ids(artifact_ids)})"
            by_kind.setdefault(kind, []).append(f"({part} AND type LIKE '%{type_suffix}')" if type_suffix else f"({part})")
    if not by_kind:
        return []
    groups = [f"(events_0.type = {_KIND[kind]} AND ({' OR '.join(parts)}))" for kind, parts in by_kind.items()]
    query = f"last_known_state != CACHED AND ({' OR '.join(groups)})"
    found = store.get_executions(list_options=ml_metadata.ListOptions(filter_query=query))
    return sorted((e for e in found if not e.type.endswith("Resolver")), key=lambda e: e.id)


def executions(store, artifact_ids, kind: int, type_suffix: str = "") -> list:
    return executions_for(store, (artifact_ids, kind, type_suffix))


def producer(store, artifact_id: int):
    """The execution that made the artifact, or None."""
    return next(iter(executions(store, [artifact_id], OUTPUT)), None)


class Graph:
    """Executions with their input and output artifacts, indexed for walking."""

    def __init__(self, store):
        self.store = store
        self.artifacts: dict[int, mlmd.Artifact] = {}
        self.executions: dict[int, mlmd.Execution] = {}
        self.events: list[mlmd.Event] = []

    def add(self, executions_to_add) -> list:
        new = [e.id for e in executions_to_add if e.id not in self.executions]
        if new:
            options = _OPTIONS(max_num_hops=1, direction=_OPTIONS.BIDIRECTIONAL)
            options.starting_executions.filter_query = f"id IN ({_ids(new)})"
            found = self.store.get_lineage_subgraph(options, ["artifacts", "executions", "events"])
            self.artifacts.update((a.id, a) for a in found.artifacts)
            self.executions.update((e.id, e) for e in found.executions)
            self.events.extend(e for e in found.events if e.execution_id in new)
        return list(executions_to_add)

    def linked(self, execution_id: int, kind: int, type_name: str = "", key: str = "") -> list:
        """The execution's input or output artifacts, by type and channel key."""
        found = []
        for event in self.events:
            if event.execution_id != execution_id or event.type != kind:
                continue
            artifact = self.artifacts.get(event.artifact_id)
            if artifact is None or (type_name and artifact.type != type_name):
                continue
            if key and not (event.path.steps and event.path.steps[0].key == key):
                continue
            found.append(artifact)
        return sorted(found, key=lambda a: a.id)

    def first(self, execution_id: int, kind: int, type_name: str = "", key: str = ""):
        return next(iter(self.linked(execution_id, kind, type_name, key)), None)

    def maker(self, artifact_id: int):
        """The execution in this graph that output the artifact, or None."""
        ids = [e.execution_id for e in self.events if e.artifact_id == artifact_id and e.type == OUTPUT]
        return self.executions[min(ids)] if ids else None

    def using(self, artifact_ids, type_suffix: str) -> list:
        """Executions in this graph that read any of the artifacts."""
        ids = {e.execution_id for e in self.events if e.artifact_id in artifact_ids and e.type == INPUT}
        found = [self.executions[i] for i in ids if self.executions[i].type.endswith(type_suffix)]
        return sorted(found, key=lambda e: e.id)

    def keys(self, execution_id: int, artifact_id: int) -> set:
        return {
            e.path.steps[0].key for e in self.events
            if e.execution_id == execution_id and e.artifact_id == artifact_id and e.path.steps
        }
