"""Lineage and audit answers, read back from the real run in conftest's first_run."""

import json
import os
import subprocess
import sys

import pytest

from pipeline.errors import TollgateError
from pipeline.lineage.model import audit, model_lineage, resolve_model
from pipeline.lineage.text import render_text

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_lineage_names_the_input_file_and_the_executions(first_run):
    config, summary, store = first_run
    lineage = model_lineage(store, summary.run.model_id)
    assert lineage.data.input_base == str(config.data_dir.parent)
    assert lineage.data.input_patterns == ["taxi.csv"]
    assert sum(lineage.data.rows.values()) == 15002  # every CSV row, over both splits
    size = os.path.getsize(config.data_dir)
    assert f"total_bytes:{size}," in lineage.data.input_fingerprint
    assert store.get_executions_by_id([lineage.trainer.execution_id])[0].type.endswith("Trainer")
    assert lineage.trainer.train_args == {"num_steps": config.trainer.train_steps}
    assert lineage.trainer.code_version.startswith("sha256:")
    assert lineage.anomalies.found == []
    assert lineage.evaluation.blessed is True
    assert lineage.signoff["approver"] == "auditor"
    assert [r.serving_path for r in lineage.releases] == [summary.run.pushed]
    assert "approve by auditor" in render_text(lineage)


def test_lineage_names_exactly_the_executions_that_made_the_model(first_run):
    _, summary, store = first_run
    lineage = model_lineage(store, summary.run.model_id)
    made = {e.type.rsplit(".", 1)[-1] for e in store.get_executions_by_id(lineage.execution_ids)}
    # ExampleGen is TFX's FileBasedExampleGen, with Tollgate's Arrow executor.
    assert made == {
        "FileBasedExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "DriftCheck", "Transform", "Trainer",
        "Evaluator", "ServingCheck", "TollgateRequestSignOff", "TollgateDecide", "SignOff", "Pusher", "Publish",
        "EmbeddingExporter", "VectorIndexPusher",
    }
    # The release replayed the run from the cache: no cache hit stands in for a maker.
    states = {e.last_known_state for e in store.get_executions_by_id(lineage.execution_ids)}
    assert store.get_executions_by_id(lineage.execution_ids)[0].CACHED not in states


def test_lineage_shows_every_slice_and_the_thresholds(first_run):
    config, summary, store = first_run
    evaluation = model_lineage(store, summary.run.model_id).evaluation
    names = {s.slice for s in evaluation.slices}
    assert "overall" in names
    assert any(n.startswith("payment_type=") for n in names)
    assert any(n.startswith("trip_start_hour=") for n in names)
    [auc] = [t for t in evaluation.thresholds if t.metric == "AUC"]
    [configured] = config.metrics
    assert auc.lower_bound == configured.threshold and auc.change_absolute == -configured.max_change
    assert auc.slices == []  # gated on the overall slice only


def test_model_specs_resolve(first_run):
    _, summary, store = first_run
    model_id = summary.run.model_id
    assert resolve_model(store, str(model_id)) == model_id
    assert resolve_model(store, "latest") == model_id
    assert resolve_model(store, "serving") == model_id
    assert resolve_model(store, summary.run.pushed) == model_id
    with pytest.raises(TollgateError, match="no model 424242"):
        resolve_model(store, "424242")
    with pytest.raises(TollgateError, match="no released model matches"):
        resolve_model(store, "/not/a/serving/path")


def test_audit_lists_the_release(first_run):
    _, summary, store = first_run
    [entry] = audit(store)
    assert entry.model_id == summary.run.model_id
    assert entry.serving_path == summary.run.pushed
    assert entry.approver == "auditor"
    assert entry.metrics["auc"] > 0.7
    assert audit(store, since="2999-01-01") == []


def test_lineage_command_never_imports_tensorflow(first_run):
    config, summary, _ = first_run
    probe = (
        "import sys, json; from pipeline.cli.main import main; main(['lineage', 'serving', '--json']); "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True,
        env={**os.environ, "TOLLGATE_HOME": str(config.home_dir)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"]["id"] == summary.run.model_id


def test_reverse_query_finds_the_model_from_its_data(first_run):
    from pipeline.lineage.model import models_trained_on

    config, summary, store = first_run
    for data in (str(config.data_dir), str(config.data_dir.parent), "0"):
        [entry] = models_trained_on(store, data)
        assert entry.model_id == summary.run.model_id
        assert entry.released is True
        assert entry.releases[0].serving_path == summary.run.pushed
        assert entry.signoff == "approve"
    assert models_trained_on(store, str(config.data_dir.parent / "other.csv")) == []


def test_graph_formats_draw_the_whole_lineage(first_run, tmp_path):
    from pipeline.lineage.graph import model_graph
    from pipeline.reports.model_card import to_dot, to_svg, write_model_report

    _, summary, store = first_run
    model_id = summary.run.model_id
    lineage = model_lineage(store, model_id)
    nodes, edges = model_graph(store, lineage)
    labels = {label.split()[0] for label, _, _ in nodes.values()}
    # From the CSV's examples to the release, with the person's decision on the way.
    for kind in ("Examples", "FileBasedExampleGen", "Trainer", "Evaluator", "TollgateDecide",
                 "SignOff", "Pusher", "Publish", "tollgate.Release"):
        assert kind in labels, kind
    assert (f"a{model_id}", next(n for n, (l, *_) in nodes.items() if l == "Evaluator")) in edges
    assert nodes[f"a{model_id}"][2] == lineage.model.uri  # where each node is
    dot = to_dot(nodes, edges)
    assert dot.startswith("digraph lineage {") and "rankdir=TB" in dot and f"a{model_id} -> " in dot
    svg = to_svg(nodes, edges)  # laid out by Graphviz
    assert svg.count('class="node"') == len(nodes) and svg.count('class="edge"') == len(edges)
    assert svg.count(f'xlink:href="#a{model_id}"') == 1  # each node links to its facts
    page = write_model_report(tmp_path / "m.html", lineage, nodes, svg).read_text()
    assert "<svg" in page and "approved by auditor" in page and "<td>fare</td>" in page
    assert f"id='a{model_id}'" in page and "<script" not in page
