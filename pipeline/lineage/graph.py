"""A model's lineage as a graph of nodes and edges, read from the store.

Nodes are the artifacts and the executions that made or used them (cache
hits and resolvers left out, as they only repeat what is already drawn);
edges are MLMD events. `pipeline.reports.model_card` draws it.
"""

from __future__ import annotations

from ml_metadata.proto import metadata_store_pb2 as mlmd

from pipeline.lineage.records import ModelLineage
from pipeline.lineage.runs import iso
from pipeline.lineage.walk import INPUT, Graph


def model_graph(store, lineage: ModelLineage) -> tuple[dict, list]:
    """({node_id: (label, kind, where)}, [(from, to)]) for the model's whole lineage;
    `where` is an artifact's URI, or when an execution ran and how it ended."""
    graph = Graph(store)
    graph.add(store.get_executions_by_id(lineage.execution_ids))
    nodes, edges = {}, set()
    for event in graph.events:
        execution = graph.executions[event.execution_id]
        artifact = graph.artifacts[event.artifact_id]
        state = mlmd.Execution.State.Name(execution.last_known_state).lower()
        nodes[f"e{execution.id}"] = (execution.type.rsplit(".", 1)[-1], "execution",
                                     f"{state}, {iso(execution.create_time_since_epoch)}")
        nodes[f"a{artifact.id}"] = (f"{artifact.type} {artifact.id}", "artifact", artifact.uri)
        pair = (f"a{artifact.id}", f"e{execution.id}")
        edges.add(pair if event.type == INPUT else pair[::-1])
    return nodes, sorted(edges)
