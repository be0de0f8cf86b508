"""The lineage walker on a small real MLMD store, with cache hits and a resolver."""

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

from pipeline.lineage.walk import INPUT, OUTPUT, Graph, executions, producer


def _store(tmp_path):
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = str(tmp_path / "m.sqlite")
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


def _run(store, name, state, inputs=(), outputs=()):
    type_id = store.put_execution_type(mlmd.ExecutionType(name=name))
    execution = mlmd.Execution(type_id=type_id, last_known_state=state)
    events = []
    for kind, items in ((INPUT, inputs), (OUTPUT, outputs)):
        for key, artifact in items:
            event = mlmd.Event(type=kind)
            event.path.steps.add().key = key
            events.append((artifact, event))
    execution_id, artifact_ids, _ = store.put_execution(execution, events, [])
    return execution_id, artifact_ids


def _artifact(store, type_name, artifact_id=None):
    type_id = store.put_artifact_type(mlmd.ArtifactType(name=type_name))
    if artifact_id is None:
        return mlmd.Artifact(type_id=type_id, uri=f"/{type_name}")
    [found] = store.get_artifacts_by_id([artifact_id])
    return found


def test_producer_is_the_original_execution_not_a_cache_hit(tmp_path):
    store = _store(tmp_path)
    trainer, [model_id] = _run(store, "x.Trainer", mlmd.Execution.COMPLETE,
                               outputs=[("model", _artifact(store, "Model"))])
    for _ in range(3):  # re-runs served from the cache link the same model again
        _run(store, "x.Trainer", mlmd.Execution.CACHED, outputs=[("model", _artifact(store, "Model", model_id))])
    _run(store, "x.Resolver", mlmd.Execution.COMPLETE, outputs=[("model", _artifact(store, "Model", model_id))])
    assert producer(store, model_id).id == trainer
    assert len(store.get_events_by_artifact_ids([model_id])) == 5


def test_graph_holds_only_the_chosen_executions_and_their_artifacts(tmp_path):
    store = _store(tmp_path)
    _, [model_id] = _run(store, "x.Trainer", mlmd.Execution.COMPLETE, outputs=[("model", _artifact(store, "Model"))])
    model = _artifact(store, "Model", model_id)
    evaluator, _ = _run(store, "x.Evaluator", mlmd.Execution.COMPLETE, inputs=[("model", model)],
                        outputs=[("blessing", _artifact(store, "ModelBlessing"))])
    later, _ = _run(store, "x.Evaluator", mlmd.Execution.COMPLETE, inputs=[("baseline_model", model)])
    _run(store, "x.Evaluator", mlmd.Execution.CACHED, inputs=[("model", model)])
    users = executions(store, [model_id], INPUT, "Evaluator")
    assert [e.id for e in users] == [evaluator, later]
    graph = Graph(store)
    graph.add(users[:1])
    assert set(graph.executions) == {evaluator}
    assert [a.type for a in graph.linked(evaluator, OUTPUT)] == ["ModelBlessing"]
    assert graph.first(evaluator, INPUT, "Model", key="model").id == model_id
    assert graph.first(evaluator, INPUT, "Model", key="baseline_model") is None
    graph.add(users)
    assert graph.keys(later, model_id) == {"baseline_model"}
