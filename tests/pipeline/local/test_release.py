"""`tollgate release` replays only what this machine ran."""

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.signoff import records
from kubeflow.compiler import cluster_config
from pipeline.cli.main import main
from pipeline.config_file import load_config, to_json
from pipeline.lineage.store import store_for


def _approved_request(config, recorded_config: str) -> int:
    """A model with an approved sign-off request whose run recorded `recorded_config`."""
    store = store_for(config)
    context_type = store.put_context_type(mlmd.ContextType(name="pipeline"))
    store.put_contexts([mlmd.Context(type_id=context_type, name=config.pipeline_name)])
    model = mlmd.Artifact(type_id=store.put_artifact_type(mlmd.ArtifactType(name="Model")), uri="/models/1")
    [model.id] = store.put_artifacts([model])
    request = records.record_request(
        store, model, "sha256:abc", config.pipeline_name, triggered_by="carol", eval_summary={},
        approve_command="tollgate approve", release_command="tollgate kubeflow submit --data gs://b/taxi",
        config=recorded_config,
    )
    records.record_decision(store, request, records.APPROVE, "alice", "", records.Policy((), False))
    return model.id


def test_a_model_from_a_cluster_run_is_refused_with_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOLLGATE_HOME", str(tmp_path / "home"))
    config = load_config(None)
    cluster = cluster_config(load_config(None, kubeflow__tag="1.0.0"), "registry/tollgate:1.0.0")
    model_id = _approved_request(config, to_json(cluster))
    executions = len(store_for(config).get_executions())
    assert main(["release", str(model_id)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tollgate: error: model {model_id} was made by a kubeflow run")
    assert "(tollgate kubeflow submit --data gs://b/taxi)" in line and "does not exist" not in line
    assert len(store_for(config).get_executions()) == executions  # nothing ran
    assert not config.serving_dir.exists()


@pytest.mark.parametrize("runner", ["local", None])
def test_a_local_recorded_config_is_replayed(tmp_path, monkeypatch, runner):
    from pipeline.local.release import recorded_config

    monkeypatch.setenv("TOLLGATE_HOME", str(tmp_path / "home"))
    config = load_config(None, trainer__train_steps=42)
    text = to_json(config)
    if runner is None:  # a request recorded before the runner was recorded
        text = text.replace(', "runner": "local"', "")
    request = records.Request(1, 2, "/m", "sha256:abc", "tollgate", "run", "carol", "now", {}, "", "", text)
    assert recorded_config(request).trainer.train_steps == 42
