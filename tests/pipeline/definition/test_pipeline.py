"""The pipeline's shape, checked where it is defined (no run needed)."""

import json

import pytest

from pipeline.config_file import load_config
from pipeline.definition.pipeline import create_pipeline


def test_components_in_order_and_gated(tmp_path):
    config = load_config(None, home=str(tmp_path))
    pipeline = create_pipeline(config)
    ids = [c.id for c in pipeline.components]
    assert set(ids) == {
        "CsvExampleGen", "ExampleCountGate", "StatisticsGen", "SchemaGen", "ExampleValidator", "previous_span_resolver",
        "DriftCheck", "AnomalyGate",
        "Transform", "Trainer", "baseline_model_resolver", "Evaluator", "ServingCheck", "SignOff",
        "Pusher", "Publish", "EmbeddingExporter", "VectorIndexPusher",
    }
    by_id = {c.id: c for c in pipeline.components}
    # ExampleGen reads through Arrow; its count is checked before anything reads the examples.
    assert by_id["CsvExampleGen"].executor_spec.executor_class.__module__ == "components.arrow_example_gen.executor"
    assert by_id["ExampleCountGate"] in by_id["StatisticsGen"].upstream_nodes
    # Anomalies stop the run before Transform: Transform waits on the gate.
    assert by_id["AnomalyGate"] in by_id["Transform"].upstream_nodes
    assert by_id["ExampleValidator"] in by_id["AnomalyGate"].upstream_nodes
    assert by_id["DriftCheck"] in by_id["AnomalyGate"].upstream_nodes
    # Pusher sees only the sign-off's blessing, which needs the Evaluator's.
    assert by_id["SignOff"] in by_id["Pusher"].upstream_nodes
    assert by_id["Evaluator"] not in by_id["Pusher"].upstream_nodes
    assert by_id["Evaluator"] in by_id["SignOff"].upstream_nodes
    # The serving check sits between them, and Publish releases what it made.
    assert by_id["Evaluator"] in by_id["ServingCheck"].upstream_nodes
    assert by_id["ServingCheck"] in by_id["SignOff"].upstream_nodes
    assert by_id["ServingCheck"] in by_id["Publish"].upstream_nodes
    # The vector index changes only after a release.
    assert by_id["Publish"] in by_id["VectorIndexPusher"].upstream_nodes
    assert pipeline.enable_cache


def test_defining_the_pipeline_creates_nothing_on_disk(tmp_path):
    config = load_config(None, home=str(tmp_path / "home"))
    pipeline = create_pipeline(config)
    assert pipeline.metadata_connection_config.sqlite.filename_uri == str(config.sqlite_path)
    assert not (tmp_path / "home").exists()


def test_the_definition_asks_its_backend_for_what_differs(tmp_path):
    from pipeline.definition.backend import LocalBackend

    class Elsewhere(LocalBackend):
        def pipeline_root(self, config):
            return "gs://bucket/root"

        def metadata_connection(self, config):
            return None

    pipeline = create_pipeline(load_config(None, home=str(tmp_path)), Elsewhere())
    assert pipeline.pipeline_info.pipeline_root == "gs://bucket/root"
    assert pipeline.metadata_connection_config is None
    # The resolvers, Tollgate's own strategies, are the same whatever the backend.
    resolvers = {c.id: c for c in pipeline.components if c.id.endswith("_resolver")}
    assert {r.exec_properties["resolver_class"].__name__ for r in resolvers.values()} == {
        "PreviousSpanStrategy", "BaselineModelStrategy"}


def test_embeddings_can_be_turned_off(tmp_path):
    config = load_config(None, home=str(tmp_path), embeddings__enabled=False)
    ids = {c.id for c in create_pipeline(config).components}
    assert "EmbeddingExporter" not in ids and "VectorIndexPusher" not in ids


def test_single_file_becomes_an_exact_pattern(tmp_path, small_csv):
    config = load_config(None, home=str(tmp_path), data_root=str(small_csv))
    example_gen = create_pipeline(config).components[0]
    assert example_gen.exec_properties["input_base"] == str(small_csv.parent)
    assert '"pattern": "taxi.csv"' in example_gen.exec_properties["input_config"]


def test_span_folders_become_a_span_pattern(tmp_path, small_csv):
    from pipeline.data.spans import split_spans

    split_spans(small_csv, tmp_path / "spans", "trip_start_timestamp", count=2)

    def span_range(**overrides):
        config = load_config(None, home=str(tmp_path), data_root=str(tmp_path / "spans"), **overrides)
        example_gen = create_pipeline(config).components[0]
        assert '"pattern": "span-{SPAN}/*.csv"' in example_gen.exec_properties["input_config"]
        return json.loads(example_gen.exec_properties["range_config"])["static_range"]

    # The newest span is named, so a replay that names it is the same step.
    assert span_range() == span_range(span=2) == {"start_span_number": 2, "end_span_number": 2}
    assert span_range(span=1) == {"start_span_number": 1, "end_span_number": 1}


def test_curated_schema_replaces_schema_gen(tmp_path):
    config = load_config(None, home=str(tmp_path), validation__schema_file="trainer/schemas/taxi.pbtxt")
    by_id = {c.id: c for c in create_pipeline(config).components}
    assert "SchemaGen" not in by_id
    assert by_id["ImportSchemaGen"].exec_properties["schema_file"].endswith("trainer/schemas/taxi.pbtxt")


def test_warm_start_feeds_the_trainer_a_base_model(tmp_path):
    cold = {c.id: c for c in create_pipeline(load_config(None, home=str(tmp_path))).components}
    assert "base_model_resolver" not in cold and "base_model" not in cold["Trainer"].inputs
    config = load_config(None, home=str(tmp_path), trainer__warm_start=True)
    by_id = {c.id: c for c in create_pipeline(config).components}
    assert by_id["base_model_resolver"] in by_id["Trainer"].upstream_nodes
    assert "base_model" in by_id["Trainer"].inputs


def test_no_drift_features_means_no_drift_check(tmp_path):
    config = load_config(None, home=str(tmp_path), validation__drift_features=[])
    ids = {c.id for c in create_pipeline(config).components}
    assert "DriftCheck" not in ids and "previous_span_resolver" not in ids


@pytest.mark.parametrize("threshold_mb,mode", [(1, "multi_processing"), (32, "in_memory")])
def test_beam_mode_follows_the_size_of_the_csv(tmp_path, threshold_mb, mode):
    # The taxi sample is 1.8 MB: above a 1 MB threshold, below the default 100 MB.
    config = load_config(None, home=str(tmp_path), beam__multi_processing_mb=threshold_mb)
    args = create_pipeline(config).beam_pipeline_args
    assert f"--direct_running_mode={mode}" in args
    assert "--sdk_container_image=local-process" in args  # the DirectRunner's workers need nothing shipped
