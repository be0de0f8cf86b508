"""The Kubeflow compile, checked on the compiled spec (no cluster exists here;
tests/e2e/test_kubeflow_e2e.py runs the same spec with kfp.local)."""

import dataclasses
import json

import pytest

from kubeflow.compiler import image_reference
from pipeline.config_file import load_config
from pipeline.errors import TollgateError
from tests.kubeflow.golden import CONFIG, GOLDEN, normalized

NODES = {
    "CsvExampleGen", "ExampleCountGate", "StatisticsGen", "SchemaGen", "ExampleValidator", "previous_span_resolver",
    "DriftCheck",
    "AnomalyGate", "Transform", "Trainer", "baseline_model_resolver", "Evaluator", "ServingCheck", "SignOff",
    "Pusher", "Publish", "EmbeddingExporter", "VectorIndexPusher",
}


def tasks_by_node(spec) -> dict:
    pipeline, _ = spec
    return {t["taskInfo"]["name"]: t for t in pipeline["root"]["dag"]["tasks"].values()}


def node_ir(task) -> dict:
    return task["inputs"]["parameters"]["node"]["runtimeValue"]["constant"]


def test_compiled_spec_matches_the_golden_file(golden_spec_path):
    # On a difference: `make golden`, then review the diff of the golden file.
    assert normalized(golden_spec_path) == GOLDEN.read_text()


def test_kfp_loads_the_compiled_file(golden_spec_path):
    from kfp import components

    loaded = components.load_component_from_file(golden_spec_path)
    assert loaded.name == "tollgate"
    assert set(loaded.component_spec.inputs) == {"data_root", "triggered_by", "command_prefix", "release_command"}


def test_one_task_per_node_and_no_executor_oss_kfp_refuses(golden_spec):
    pipeline, _ = golden_spec
    executors = pipeline["deploymentSpec"]["executors"]
    assert set(tasks_by_node(golden_spec)) == NODES
    # Open-source KFP refuses resolver and importer executors; only containers here.
    assert all(set(e) == {"container"} for e in executors.values())
    assert {e["container"]["image"] for e in executors.values()} == {"ghcr.io/tollgate/tollgate:1.0.0"}
    for task in tasks_by_node(golden_spec).values():
        [node] = node_ir(task)["nodes"]
        assert node["pipelineNode"]["nodeInfo"]["id"] == task["taskInfo"]["name"]  # its own node only


def test_every_beam_step_carries_the_configured_beam_settings(golden_spec):
    config = load_config(CONFIG)
    beam = {}
    for node, task in tasks_by_node(golden_spec).items():
        spec = node_ir(task)["deploymentConfig"].get("executorSpecs", {}).get(node, {})
        if spec.get("@type", "").endswith("BeamExecutableSpec"):
            beam[node] = spec["beamPipelineArgs"]
    assert {"CsvExampleGen", "StatisticsGen", "Transform", "EmbeddingExporter", "Evaluator"} <= set(beam)
    assert config.beam_runner == "DataflowRunner"
    for node, args in beam.items():
        assert args == config.beam_args and "--sdk_container_image=local-process" not in args, node


def test_kfp_only_orders_the_tasks(golden_spec):
    tasks = tasks_by_node(golden_spec)
    names = {t["taskInfo"]["name"]: key for key, t in golden_spec[0]["root"]["dag"]["tasks"].items()}
    for node, task in tasks.items():
        [ir] = node_ir(task)["nodes"]
        upstream = {names[u] for u in ir["pipelineNode"].get("upstreamNodes", [])}
        assert upstream <= set(task.get("dependentTasks", [])), node
        assert task["cachingOptions"].get("enableCache", False) is False  # TFX's cache decides
    assert names["DriftCheck"] in tasks["ExampleValidator"]["dependentTasks"]  # one page for the data gate


def test_the_run_binds_its_own_facts(golden_spec):
    for task in tasks_by_node(golden_spec).values():
        parameters = task["inputs"]["parameters"]
        assert parameters["run_id"]["runtimeValue"]["constant"] == "{{$.pipeline_job_uuid}}"
        for fact in ("data_root", "triggered_by", "command_prefix", "release_command"):
            assert parameters[fact] == {"componentInputParameter": fact}
    [signoff] = node_ir(tasks_by_node(golden_spec)["SignOff"])["nodes"]
    properties = signoff["pipelineNode"]["parameters"]["parameters"]
    assert properties["triggered_by"]["runtimeParameter"]["name"] == "triggered_by"
    [example_gen] = node_ir(tasks_by_node(golden_spec)["CsvExampleGen"])["nodes"]
    assert example_gen["pipelineNode"]["parameters"]["parameters"]["input_base"]["runtimeParameter"]["name"] == "data_root"


def test_every_task_reaches_tollgates_own_store_with_the_password_from_a_secret(golden_spec):
    _, platform = golden_spec
    for task in tasks_by_node(golden_spec).values():
        store = json.loads(task["inputs"]["parameters"]["store"]["runtimeValue"]["constant"])
        assert store == {"backend": "mysql", "host": "mysql.kubeflow", "port": 3306,
                         "database": "tollgate", "user": "tollgate"}
    secrets = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert len(secrets) == len(NODES)
    for executor in secrets.values():
        [secret] = executor["secretAsEnv"]
        assert secret["secretName"] == "tollgate-mysql"
        assert secret["keyToEnv"] == [{"secretKey": "password", "envVar": "TOLLGATE_MYSQL_PASSWORD"}]


def test_trainer_gets_the_configured_accelerator_and_limits(golden_spec):
    pipeline, _ = golden_spec
    executors = pipeline["deploymentSpec"]["executors"]
    tasks = tasks_by_node(golden_spec)
    resources = {node: executors[t["componentRef"]["name"].replace("comp-", "exec-", 1)]["container"].get("resources")
                 for node, t in tasks.items()}
    # kfp writes each limit twice: the fields of KFP 2.0 backends, and the newer ones.
    assert resources["Trainer"]["accelerator"] == {"resourceType": "nvidia.com/gpu", "resourceCount": "2",
                                                   "type": "nvidia.com/gpu", "count": "2"}
    assert resources["Trainer"]["resourceCpuLimit"] == "8" and resources["Trainer"]["resourceMemoryLimit"] == "32G"
    assert resources["Evaluator"] == {"resourceCpuLimit": "4", "resourceMemoryLimit": "8G",
                                      "cpuLimit": 4.0, "memoryLimit": 8.0}
    assert resources["Transform"] is None


def test_the_gates_write_what_the_kfp_ui_draws(golden_spec):
    pipeline, _ = golden_spec
    components = pipeline["components"]
    tasks = tasks_by_node(golden_spec)

    def outputs(node):
        artifacts = components[tasks[node]["componentRef"]["name"]].get("outputDefinitions", {}).get("artifacts", {})
        return {name: a["artifactType"]["schemaTitle"] for name, a in artifacts.items()}

    assert outputs("ExampleValidator") == {"data_gate": "system.HTML", "data_gate_counts": "system.Metrics"}
    assert outputs("Evaluator") == {"evaluation": "system.HTML", "metrics": "system.Metrics",
                                    "curves": "system.ClassificationMetrics"}
    assert outputs("ServingCheck") == {"serving": "system.Markdown", "serving_figures": "system.Metrics"}
    assert outputs("SignOff") == {"signoff": "system.Markdown"}
    assert outputs("Publish") == {"release": "system.Markdown"}
    assert outputs("Trainer") == {}


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


def test_warm_start_spans_and_a_curated_schema_compile_for_the_cluster(tmp_path):
    from kubeflow.compiler import compile_pipeline
    from tests.kubeflow.golden import load, readable

    config = load_config(
        None, kubeflow__tag="1.0.0", kubeflow__span_folders=True, trainer__warm_start=True,
        validation__schema_file="trainer/schemas/taxi.pbtxt",
    )
    spec = readable(load(compile_pipeline(config, str(tmp_path / "p.yaml")))[0])
    tasks = tasks_by_node((spec, None))
    assert "SchemaGen" not in tasks and "base_model_resolver" in tasks
    [trainer] = node_ir(tasks["Trainer"])["nodes"]
    assert "base_model" in trainer["pipelineNode"]["inputs"]["inputs"]
    [schema_gen] = node_ir(tasks["ImportSchemaGen"])["nodes"]
    value = schema_gen["pipelineNode"]["parameters"]["parameters"]["schema_file"]["fieldValue"]["stringValue"]
    assert value == "/opt/tollgate/trainer/schemas/taxi.pbtxt"  # the image's copy of the repo
    [example_gen] = node_ir(tasks["CsvExampleGen"])["nodes"]
    assert "span-{SPAN}/*.csv" in json.dumps(example_gen["pipelineNode"]["parameters"])


def test_a_spec_named_json_is_refused_before_anything_is_written(tmp_path):
    from kubeflow.compiler import compile_pipeline

    with pytest.raises(TollgateError, match="name the output .yaml"):
        compile_pipeline(load_config(None, kubeflow__tag="1.0.0"), str(tmp_path / "p.json"))
    assert list(tmp_path.iterdir()) == []


def test_a_module_file_is_refused_for_the_cluster_before_anything_is_written(tmp_path):
    from kubeflow.compiler import compile_pipeline

    module = tmp_path / "churn.py"
    module.write_text("def preprocessing_fn(inputs):\n    return inputs\n\ndef run_fn(fn_args):\n    pass\n")
    config = load_config(None, kubeflow__tag="1.0.0", model__module=str(module), model__label_key="churned",
                         model__problem="binary", data_root="churn.csv")
    with pytest.raises(TollgateError, match="must be a module path in the image"):
        compile_pipeline(config, str(tmp_path / "p.yaml"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["churn.py"]


def test_a_module_without_cluster_data_is_refused_before_anything_is_written(tmp_path):
    from kubeflow.compiler import compile_pipeline

    config = load_config(None, kubeflow__tag="1.0.0", model__module="trainer.digits.model", model__label_key="digit",
                         model__problem="multiclass", data_root="digits.csv")
    with pytest.raises(TollgateError, match=r"set \[kubeflow\] data_root to your module's data"):
        compile_pipeline(config, str(tmp_path / "p.yaml"))
    assert list(tmp_path.iterdir()) == []
    digits = dataclasses.replace(config, kubeflow=dataclasses.replace(config.kubeflow, data_root="gs://team/digits"))
    assert compile_pipeline(digits, str(tmp_path / "p.yaml")) and (tmp_path / "p.yaml").exists()
