"""The Kubeflow compile, checked on the compiled spec: no cluster exists here."""

import json

import pytest

from kubeflow.runner import image_reference, pipeline_spec
from pipeline.config import load_config
from pipeline.errors import TollgateError
from tests.kubeflow.golden import GOLDEN, normalized


def test_compiled_spec_matches_the_golden_file(golden_job):
    # On a difference: `make golden`, then review the diff of the golden file.
    assert normalized(golden_job) == GOLDEN.read_text()


def test_kfp_sdk_loads_the_compiled_pipeline(golden_job, tmp_path):
    from kfp import components

    path = tmp_path / "job.json"
    path.write_text(json.dumps(golden_job))
    loaded = components.load_component_from_text(json.dumps(pipeline_spec(str(path))))
    assert loaded.name == "tollgate"
    assert "data_root" in loaded.component_spec.inputs
    assert {"CsvExampleGen", "Trainer", "SignOff", "Publish"} <= set(loaded.pipeline_spec.root.dag.tasks)


def test_trainer_gets_the_configured_accelerator_and_limits(golden_job):
    executors = golden_job["pipelineSpec"]["deploymentSpec"]["executors"]
    resources = executors["Trainer_executor"]["container"]["resources"]
    assert resources["accelerator"] == {"type": "nvidia.com/gpu", "count": "2"}
    assert resources["cpuLimit"] == 8.0 and resources["memoryLimit"] == 32.0
    assert executors["Evaluator_executor"]["container"]["resources"] == {"cpuLimit": 4.0, "memoryLimit": 8.0}
    assert "resources" not in executors["Transform_executor"]["container"]


def test_every_component_runs_the_configured_image(golden_job):
    containers = [
        e["container"] for e in golden_job["pipelineSpec"]["deploymentSpec"]["executors"].values()
        if "container" in e
    ]
    assert len(containers) == 14  # every step but the resolver queries
    assert {c["image"] for c in containers} == {"ghcr.io/tollgate/tollgate:1.0.0"}


def test_data_root_is_a_runtime_parameter_of_example_gen(golden_job):
    spec = golden_job["pipelineSpec"]
    assert spec["root"]["inputDefinitions"]["parameters"]["data_root"]["parameterType"] == "STRING"
    example_gen = spec["root"]["dag"]["tasks"]["CsvExampleGen"]
    assert example_gen["inputs"]["parameters"]["input_base"] == {"componentInputParameter": "data_root"}
    assert golden_job["runtimeConfig"]["parameterValues"]["data_root"].endswith("/data/simple")
    assert golden_job["runtimeConfig"]["gcsOutputDirectory"] == "gs://tollgate-golden/pipelines"


def test_sign_off_reaches_the_cluster_metadata_service(golden_job):
    task = golden_job["pipelineSpec"]["root"]["dag"]["tasks"]["SignOff"]
    metadata = json.loads(task["inputs"]["parameters"]["metadata"]["runtimeValue"]["constant"])
    assert metadata == {"backend": "grpc", "host": "metadata-grpc-service.kubeflow", "port": 8080}


def test_drift_check_compares_with_the_latest_statistics_on_the_cluster(golden_job):
    spec = golden_job["pipelineSpec"]
    queries = spec["deploymentSpec"]["executors"]["previous_span_resolver_executor"]["resolver"]
    assert "tfx.ExampleStatistics" in queries["outputArtifactQueries"]["statistics"]["filter"]
    drift = spec["root"]["dag"]["tasks"]["DriftCheck"]["inputs"]["artifacts"]
    assert drift["previous"]["taskOutputArtifact"]["producerTask"] == "previous_span_resolver"
    gate = spec["root"]["dag"]["tasks"]["AnomalyGate"]["inputs"]["artifacts"]
    assert gate["drift"]["taskOutputArtifact"]["producerTask"] == "DriftCheck"


@pytest.mark.parametrize("override, message", [
    (None, "has no tag"),
    ("ghcr.io/x/tollgate:latest", "'latest' is refused"),
    ("ghcr.io/x/tollgate", "has no tag"),
])
def test_image_without_a_fixed_tag_is_refused(override, message):
    with pytest.raises(TollgateError, match=message):
        image_reference(load_config(None), override)


def test_image_flag_overrides_the_configured_one():
    config = load_config(None, kubeflow__tag="1.0.0")
    assert image_reference(config) == "ghcr.io/tollgate/tollgate:1.0.0"
    assert image_reference(config, "registry:5000/team/tg:2.1") == "registry:5000/team/tg:2.1"


def test_accelerator_without_a_count_is_a_config_error():
    with pytest.raises(TollgateError, match="kubeflow.trainer: set accelerator and accelerator_count together"):
        load_config(None, kubeflow__trainer__accelerator="nvidia.com/gpu")


def test_warm_start_and_curated_schema_compile_for_the_cluster(tmp_path):
    from kubeflow.runner import compile_pipeline

    config = load_config(
        None, kubeflow__tag="1.0.0", trainer__warm_start=True, validation__schema_file="trainer/schemas/taxi.pbtxt"
    )
    spec = compile_pipeline(config, str(tmp_path / "job.json"))["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    base = tasks["Trainer"]["inputs"]["artifacts"]["base_model"]["taskOutputArtifact"]
    assert base["producerTask"].startswith("base_model_resolver")
    schema_gen = tasks["ImportSchemaGen"]["inputs"]["parameters"]["schema_file"]["runtimeValue"]["constant"]
    assert schema_gen == "/opt/tollgate/trainer/schemas/taxi.pbtxt"  # the image's copy of the repo
    assert "SchemaGen" not in tasks
