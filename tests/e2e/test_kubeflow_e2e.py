"""The compiled Kubeflow pipeline end to end: `tollgate kubeflow run-local` runs
the file `compile` writes with kfp.local, each task in its own process, against
a real store, on real span folders.

What a real cluster adds, which no test here can cover: pods (each task here
is a process on this machine), volumes (state is a local folder rather than
a volume every pod mounts) and the image (tasks run this checkout in this
virtual environment, not the image kubeflow/Dockerfile builds).
"""

import csv
import json
import os
from pathlib import Path

import pytest

from pipeline.config_file import load_config
from pipeline.lineage.model import audit, model_lineage
from pipeline.lineage.store import store_for
from tests.conftest import taxi_rows, write_csv
from tests.e2e.project import tollgate_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
CONFIG = """
[trainer]
train_steps = 50
[embeddings]
enabled = false
[ui]
base_url = "https://desk.example.com"
"""


def tollgate(root: Path, *args, user="carol"):
    return tollgate_in(root / "home", *args, user=user, timeout=900)


def run_local(root: Path):
    return tollgate(root, "kubeflow", "run-local", "--config", str(root / "tollgate.toml"),
                    "--data", str(root / "spans"), "--json")


def _add_span(root: Path, number: int, rows: list, header: list) -> None:
    write_csv(root / "spans" / f"span-{number}" / "data.csv", header, rows)


def _ui(root: Path, run_dir: Path, task: str, artifact: str) -> tuple[dict, Path]:
    """(metadata, path) of one of a task's KFP output artifacts, as kfp.local recorded it."""
    output = json.loads((run_dir / task / "executor_output.json").read_text())
    [found] = output["artifacts"][artifact]["artifacts"]
    return found["metadata"], Path(found["uri"])


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """span 1: a run that stops at sign-off; alice approves; the next run pushes;
    span 2 arrives: a run compares with span 1 and with the approved model."""
    root = tmp_path_factory.mktemp("kubeflow")
    (root / "tollgate.toml").write_text(CONFIG)
    header, rows = taxi_rows(1200)
    _add_span(root, 1, rows[:600], header)
    runs = {"first": run_local(root)}
    assert runs["first"].returncode == 0, runs["first"].stderr
    m1 = json.loads(runs["first"].stdout)["model_id"]
    runs["approve"] = tollgate(root, "approve", str(m1), "--by", "alice", user="alice")
    runs["release"] = run_local(root)
    _add_span(root, 2, rows[600:], header)
    runs["second span"] = run_local(root)
    kfp_runs = sorted((root / "home" / "kfp").iterdir())
    return root, runs, m1, kfp_runs


def test_the_first_run_stops_at_sign_off_and_launches_nothing_after_it(story):
    _, runs, m1, _ = story
    first = json.loads(runs["first"].stdout)
    assert first["status"] == "awaiting sign-off" and first["pushed"] is None
    lines = runs["first"].stderr.splitlines()
    assert any(line.startswith("[") and "SignOff" in line and "WAITS" in line for line in lines)
    for step in ("Pusher", "Publish"):
        assert any(step in line and "skipped" in line for line in lines), step
    states = {s["node"]: s["state"] for s in first["steps"]}
    assert "Pusher" not in states and "Publish" not in states  # never launched, so never recorded
    assert first["signoff"]["triggered_by"] == "carol"
    assert "kubeflow run-local" in first["signoff"]["release_command"]


def test_after_approval_the_next_run_pushes_with_finished_steps_from_the_cache(story):
    _, runs, m1, _ = story
    assert runs["approve"].returncode == 0, runs["approve"].stderr
    release = json.loads(runs["release"].stdout)
    assert release["model_id"] == m1 and release["status"] == "succeeded"
    assert release["pushed"] and os.path.exists(os.path.join(release["pushed"], "saved_model.pb"))
    states = {s["node"]: s["state"] for s in release["steps"]}
    assert states["Trainer"] == states["Evaluator"] == states["CsvExampleGen"] == "cached"
    assert states["SignOff"] == states["Publish"] == "done"


def test_lineage_and_audit_answer_as_after_a_local_run(story):
    root, runs, m1, _ = story
    store = store_for(load_config(None, home=str(root / "home")))
    lineage = model_lineage(store, m1)
    made = {e.type.rsplit(".", 1)[-1] for e in store.get_executions_by_id(lineage.execution_ids)}
    assert made == {"FileBasedExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "DriftCheck", "Transform",
                    "Trainer", "Evaluator", "ServingCheck", "TollgateRequestSignOff", "TollgateDecide", "SignOff",
                    "Pusher", "Publish"}
    assert lineage.data.span == 1 and lineage.signoff["approver"] == "alice"
    [entry] = audit(store)
    assert (entry.model_id, entry.approver, entry.span) == (m1, "alice", 1)
    assert entry.serving_path == json.loads(runs["release"].stdout)["pushed"]
    listed = tollgate(root, "lineage", str(m1))
    assert "sign-off     approve by alice" in listed.stdout and "data         " in listed.stdout


def test_the_next_span_is_compared_with_the_previous_span_and_the_approved_model(story):
    root, runs, m1, _ = story
    second = json.loads(runs["second span"].stdout)
    assert runs["second span"].returncode == 0, runs["second span"].stderr
    store = store_for(load_config(None, home=str(root / "home")))
    lineage = model_lineage(store, second["model_id"])
    first = model_lineage(store, m1)
    assert second["model_id"] != m1 and lineage.data.span == 2
    assert (lineage.drift.previous_span, lineage.drift.compared_with) == (1, first.statistics.id)
    assert lineage.evaluation.baseline_model_id == m1  # the latest model a person approved


def test_each_gate_writes_what_the_kfp_ui_draws(story):
    root, runs, m1, kfp_runs = story
    first, release, _ = kfp_runs
    metrics, _ = _ui(root, first, "evaluator", "metrics")
    assert {"auc", "binary_accuracy", "example_count", "blessed", "baseline model id"} <= set(metrics)
    curves, _ = _ui(root, first, "evaluator", "curves")
    assert curves["confidenceMetrics"] and set(curves["confusionMatrix"]) == {"annotationSpecs", "rows"}
    for task, artifact in (("evaluator", "evaluation"), ("examplevalidator", "data_gate")):
        _, page = _ui(root, first, task, artifact)
        assert page.is_file() and page.read_text().startswith("<!doctype html>") and "<script" not in page.read_text()
    counts, _ = _ui(root, first, "examplevalidator", "data_gate_counts")
    assert counts["passed"] == 1
    figures, _ = _ui(root, first, "servingcheck", "serving_figures")
    assert figures["passed"] == 1 and figures["tflite p99 ms"] > 0 and "saved_model examples per s" in figures
    _, serving = _ui(root, first, "servingcheck", "serving")
    assert serving.read_text().startswith("## Serving check: within budget") and "| tflite |" in serving.read_text()
    _, waiting = _ui(root, first, "signoff", "signoff")
    assert waiting.read_text().startswith("## Sign-off: awaiting a decision") and f"approve {m1}" in waiting.read_text()
    assert f"(https://desk.example.com/models/{m1})" in waiting.read_text()  # the review desk's page
    _, decided = _ui(root, release, "signoff", "signoff")
    assert decided.read_text().startswith("## Sign-off: approved by alice")
    _, published = _ui(root, release, "publish", "release")
    assert published.read_text().startswith("## Released") and json.loads(runs["release"].stdout)["pushed"] in (
        published.read_text())


def test_a_drifted_span_stops_the_run_at_the_data_gate(story, tmp_path):
    root, *_ = story
    with open(root / "spans" / "span-2" / "data.csv", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    column = header.index("payment_type")
    _add_span(root, 3, [[*r[:column], "Credit Card", *r[column + 1:]] for r in rows], header)
    blocked = run_local(root)
    assert blocked.returncode == 1 and "Traceback" not in blocked.stderr
    lines = blocked.stderr.splitlines()
    assert any("AnomalyGate failed" in line and "nothing was trained or pushed" in line for line in lines)
    assert any(line.strip().startswith("drift ") and "payment_type" in line for line in lines)
    blocked_run = sorted((root / "home" / "kfp").iterdir())[-1]
    counts, _ = _ui(root, blocked_run, "examplevalidator", "data_gate_counts")
    assert counts["passed"] == 0 and counts["drift anomalies"] >= 1
    _, page = _ui(root, blocked_run, "examplevalidator", "data_gate")
    assert "data blocked" in page.read_text() and "payment_type" in page.read_text()
    assert not (blocked_run / "transform").exists()  # no task ran after the gate
