"""The real pipeline, end to end, on the taxi sample with few training steps.

Real TFX components, real Beam (in-process DirectRunner) and a real SQLite
MLMD store; the assertions read the store, not the runner's return value.
"""

import json
import os
import re

import pytest
import tensorflow as tf
from ml_metadata.proto import metadata_store_pb2

from pipeline.cli.main import main
from pipeline.local.runner import run_pipeline
from pipeline.lineage.runs import list_runs
from tests.conftest import taxi_rows

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
INPUT, OUTPUT = metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.OUTPUT


def producer(store, artifact_id):
    """The execution that made `artifact_id`.

    Resolvers re-output what they pick, and cached executions re-output what
    they reuse; the maker is the first execution that was neither.
    """
    outputs = [e.execution_id for e in store.get_events_by_artifact_ids([artifact_id]) if e.type == OUTPUT]
    executions = store.get_executions_by_id(outputs)
    made = [e for e in executions if not e.type.endswith("Resolver") and e.last_known_state != e.CACHED]
    return min(made, key=lambda e: e.id)


def inputs_of(store, execution_id, type_name):
    events = [e for e in store.get_events_by_execution_ids([execution_id]) if e.type == INPUT]
    artifacts = store.get_artifacts_by_id([e.artifact_id for e in events])
    return [a for a in artifacts if a.type == type_name]


def test_run_blesses_and_publishes_the_model(first_run):
    config, summary, _ = first_run
    assert summary.run.status == "succeeded"
    assert summary.blessed is True
    assert summary.overall["auc"] > config.metrics[0].threshold
    assert summary.overall["example_count"] > 4000
    pushed = summary.run.pushed
    assert os.path.dirname(pushed) == str(config.serving_dir)
    assert os.path.exists(os.path.join(pushed, "saved_model.pb"))
    # Nothing is left half-copied in the staging area.
    assert os.listdir(config.serving_dir / ".staging") == []


def test_pushed_model_lineage_reaches_the_input_file(first_run):
    config, summary, store = first_run
    [release] = [
        a for a in store.get_artifacts_by_type("tollgate.Release")
        if a.custom_properties["serving_path"].string_value == summary.run.pushed
    ]
    publish = producer(store, release.id)
    [pushed_model] = inputs_of(store, publish.id, "PushedModel")
    pusher = producer(store, pushed_model.id)
    [model] = inputs_of(store, pusher.id, "Model")
    assert model.id == summary.run.model_id
    # Pusher acted on the human sign-off, which acted on the Evaluator's verdict.
    [signoff_blessing] = inputs_of(store, pusher.id, "ModelBlessing")
    sign_off = producer(store, signoff_blessing.id)
    assert sign_off.type.endswith("SignOff")
    assert signoff_blessing.custom_properties["approver"].string_value == "auditor"
    [evaluator_blessing] = inputs_of(store, sign_off.id, "ModelBlessing")
    assert producer(store, evaluator_blessing.id).type.endswith("Evaluator")
    trainer = producer(store, model.id)
    assert trainer.type.endswith("Trainer")
    [examples] = inputs_of(store, trainer.id, "Examples")
    example_gen = producer(store, examples.id)
    assert example_gen.type.endswith("FileBasedExampleGen")  # with the Arrow executor
    props = example_gen.custom_properties
    assert props["input_base"].string_value == str(config.data_dir.parent)
    assert json.loads(props["input_config"].string_value)["splits"][0]["pattern"] == "taxi.csv"
    size = os.path.getsize(config.data_dir)
    assert f"num_files:1,total_bytes:{size}," in props["input_fingerprint"].string_value


def serialize(rows, header, raw_spec):
    """tf.Examples typed as the schema inferred from the CSV says."""
    serialized = []
    for row in rows:
        feature = {}
        for name, value in zip(header, row):
            if value == "" or name == "tips" or name not in raw_spec:
                continue
            dtype = raw_spec[name].dtype
            if dtype == tf.string:
                feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
            elif dtype == tf.int64:
                feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
            else:
                feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
        serialized.append(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return tf.constant(serialized)


def test_saved_model_serves_raw_examples_and_embeds_them(first_run):
    import tensorflow_transform as tft

    config, summary, store = first_run
    [graph] = store.get_artifacts_by_type("TransformGraph")
    header, rows = taxi_rows(8)
    examples = serialize(rows, header, tft.TFTransformOutput(graph.uri).raw_feature_spec())
    loaded = tf.saved_model.load(summary.run.pushed)
    scores = loaded.signatures["serving_default"](examples=examples)["outputs"]
    assert scores.shape == (8, 1)
    assert ((scores >= 0) & (scores <= 1)).numpy().all()
    vectors = loaded.signatures["embed"](examples=examples)["embedding"]
    assert vectors.shape == (8, config.trainer.hidden_units[-1])


def _tfx_artifact(store, artifact):
    from tfx.types import artifact_utils

    [kind] = store.get_artifact_types_by_id([artifact.type_id])
    return artifact_utils.deserialize_artifact(kind, artifact)


def test_the_evaluator_judges_as_tfx_s_own_executor(first_run, tmp_path):
    """Tollgate's Evaluator executor (components/batch_evaluator) against TFX's, on this run's
    examples and model: the taxi model's Transform graph, its transformed label, the raw slices."""
    from tfx.components.evaluator import executor as stock
    from tfx.types import standard_artifacts

    from tests.components.batch_evaluator.data import results

    _, _, store = first_run
    [execution] = [e for e in store.get_executions()
                   if e.type.endswith(".Evaluator") and e.last_known_state == e.COMPLETE]
    events = store.get_events_by_execution_ids([execution.id])
    by_key = {}
    for event in events:
        [artifact] = store.get_artifacts_by_id([event.artifact_id])
        by_key.setdefault((event.type, event.path.steps[0].key), []).append(_tfx_artifact(store, artifact))
    inputs = {key: artifacts for (kind, key), artifacts in by_key.items() if kind == INPUT}
    [ours] = by_key[(OUTPUT, "evaluation")]
    evaluation, blessing = standard_artifacts.ModelEvaluation(), standard_artifacts.ModelBlessing()
    evaluation.uri, blessing.uri = str(tmp_path / "evaluation"), str(tmp_path / "blessing")
    os.makedirs(blessing.uri)
    properties = {name: execution.custom_properties[name].string_value for name in ("eval_config", "example_splits")}
    stock.Executor().Do(inputs, {"evaluation": [evaluation], "blessing": [blessing]}, properties)
    assert results(ours.uri) == results(evaluation.uri)
    [our_blessing] = by_key[(OUTPUT, "blessing")]
    assert our_blessing.get_int_custom_property("blessed") == blessing.get_int_custom_property("blessed") == 1


def test_unchanged_rerun_executes_nothing_and_releases_nothing_new(first_run, caplog):
    config, summary, store = first_run
    before = list_runs(store, config.pipeline_name)
    again = run_pipeline(config)
    # The run logged to its own file without taking the root logger's other handlers away.
    assert "Component Evaluator is running." in caplog.text
    assert "Component Evaluator is running." in open(again.log).read()
    states = {s.node: s.state for s in again.run.steps}
    # Resolvers always look.
    assert states.pop("baseline_model_resolver") == states.pop("previous_span_resolver") == "done"
    assert set(states.values()) == {"cached"}, states
    assert again.run.model_id == summary.run.model_id
    # One version, with its proof beside it (the signed decision and the model-signing bundle).
    version = os.path.basename(summary.run.pushed)
    entries = sorted(p for p in os.listdir(config.serving_dir) if not p.startswith("."))
    assert entries == [version, f"{version}.decision.json", f"{version}.sig"]
    runs = list_runs(store, config.pipeline_name)
    assert runs[:len(before)] == before and [r.status for r in runs[len(before):]] == ["succeeded"]
    assert [r.status for r in runs[:2]] == ["stopped at sign-off", "succeeded"]  # the run, its release


def test_runs_command_prints_one_line_per_run(first_run, capsys, monkeypatch):
    config, summary, store = first_run
    monkeypatch.setenv("TOLLGATE_HOME", str(config.home_dir))
    runs = list_runs(store, config.pipeline_name)
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + len(runs) >= 3  # header; awaiting sign-off, release (and any re-runs)
    assert lines[0].split() == ["RUN", "START", "(UTC)", "SECS", "STATUS", "MODEL", "PUSHED"]
    assert summary.run.run_id in lines[2] and summary.run.pushed in lines[2]
    assert main(["runs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in listed] == [r.run_id for r in runs]
    assert {r["model_id"] for r in listed} == {summary.run.model_id}


def test_run_report_is_a_readable_page(first_run):
    _, summary, _ = first_run
    page = open(summary.report).read()
    assert summary.run.run_id in page
    assert "payment_type=Cash" in page and "trip_start_hour=" in page  # every slice
    assert "<td>fare</td>" in page and "<td>company</td>" in page  # training-data statistics
    # Empty in all but one of 15,002 rows: CsvExampleGen writes empty cells as empty lists.
    assert re.search(r'<td>pickup_census_tract</td><td>\w+</td><td class="num">[01]</td><td class="num">100\.0%</td>',
                     page)
    assert re.search(r'<td>fare</td><td>number</td><td class="num">\d+</td><td class="num">0\.0%</td>', page)
    assert "<script" not in page  # self-contained: opens offline
