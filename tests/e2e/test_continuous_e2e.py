"""Continuous training on real runs: spans backfilled in order, a drifted span
blocked, a warm start recorded in the lineage, and the scheduler under SIGTERM."""

import csv
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from components.signoff import records
from pipeline.cli.main import main
from pipeline.config_file import load_config
from pipeline.lineage.model import model_lineage
from pipeline.lineage.text import render_text
from pipeline.local.runner import run_pipeline
from pipeline.lineage.store import store_for
from pipeline.lineage.runs import list_runs
from pipeline.local.release import release
from tests import people
from tests.conftest import taxi_rows, write_csv

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
CONFIG = """
home = "{home}"
[trainer]
train_steps = 100
warm_start = true
[embeddings]
enabled = false
"""


def _setup(root: Path, rows: int, spans: int) -> tuple[Path, Path]:
    header, data = taxi_rows(rows)
    source = write_csv(root / "source.csv", header, data)
    assert main(["data", "split-spans", str(root / "spans"), "--count", str(spans), "--source", str(source)]) == 0
    config = root / "tollgate.toml"
    config.write_text(CONFIG.format(home=root / "home"))
    return root / "spans", config


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    root = tmp_path_factory.mktemp("continuous")
    spans, config_path = _setup(root, 2400, 3)
    assert main(["backfill", "--config", str(config_path), "--data", str(spans), "--spans", "1-3"]) == 0
    config = load_config(str(config_path), data_root=str(spans))
    store = store_for(config)
    lineages = [model_lineage(store, run.model_id) for run in list_runs(store, config.pipeline_name)]
    return config, config_path, spans, store, lineages


def test_each_backfilled_run_ingests_its_own_span(backfilled):
    _, _, spans, _, lineages = backfilled
    assert [lineage.data.span for lineage in lineages] == [1, 2, 3]
    assert all(lineage.data.input_base == str(spans) for lineage in lineages)
    assert [lineage.data.input_patterns for lineage in lineages] == [[f"span-{n}/*.csv"] for n in (1, 2, 3)]
    assert len({lineage.data.input_fingerprint for lineage in lineages}) == 3
    assert all(sum(lineage.data.rows.values()) == 800 for lineage in lineages)


def test_each_span_was_compared_with_the_one_before(backfilled):
    lineages = backfilled[4]
    first, second, third = (lineage.drift for lineage in lineages)
    assert first.compared_with is None and first.found == []
    assert (second.compared_with, second.previous_span) == (lineages[0].statistics.id, 1)
    assert (third.compared_with, third.previous_span) == (lineages[1].statistics.id, 2)
    assert {m["feature"] for m in third.measurements} == {"payment_type", "company", "trip_start_hour"}
    assert "drift        against span 2: none" in render_text(lineages[2])


def _drifted_span(spans: Path, number: int) -> None:
    with open(spans / "span-3" / "data.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("payment_type")
    for row in rows[1:]:
        row[column] = "Credit Card"
    write_csv(spans / f"span-{number}" / "data.csv", rows[0], rows[1:])


def _served(config) -> list[str]:
    return sorted(os.listdir(config.serving_dir)) if config.serving_dir.exists() else []


def test_a_drifted_span_is_blocked_with_the_anomaly_named(backfilled):
    config, config_path, spans, store, _ = backfilled
    _drifted_span(spans, 4)
    served = _served(config)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config_path), "--data", str(spans)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert any("AnomalyGate failed" in line and "nothing was trained or pushed" in line for line in lines)
    drift_lines = [line for line in lines if line.strip().startswith("drift ")]
    assert drift_lines and all("payment_type" in line and "Linfty" in line for line in drift_lines)
    report = Path(next(line for line in lines if "report: " in line).split("report: ")[1])
    assert "payment_type" in report.read_text() and "Drift from the previous span" in report.read_text()
    blocked = list_runs(store, config.pipeline_name)[-1]
    assert blocked.status == "failed" and blocked.model_id is None and blocked.pushed is None
    assert not {"Trainer", "Transform", "Pusher"} & {step.node for step in blocked.steps}
    [found] = [a for a in store.get_artifacts_by_type("ExampleAnomalies")
               if a.properties["span"].int_value == 4 and "drift_found" in a.custom_properties]
    assert found.custom_properties["drift_found"].int_value >= 1
    assert _served(config) == served


def test_warm_start_from_the_released_model_is_in_the_lineage(backfilled):
    config, _, _, store, lineages = backfilled
    released = lineages[2].model.id
    assert lineages[2].trainer.base_model is None  # nothing was released before it
    [request] = [r for r in records.pending_requests(store) if r.model_id == released]
    people.approve(config, request.model_id, "auditor")
    assert release(config, released).run.pushed
    warm = run_pipeline(load_config(None, home=str(config.home_dir), data_root=str(config.data_dir), span=3,
                                    trainer__train_steps=100, trainer__warm_start=True,
                                    embeddings__enabled=False))
    lineage = model_lineage(store, warm.run.model_id)
    assert warm.run.model_id != released
    assert lineage.trainer.base_model.id == released
    assert lineage.to_json()["trainer"]["base_model"]["id"] == released
    assert f"warm start   from model {released}" in render_text(lineage)
    assert "Warm start from" in Path(warm.log).read_text()


def test_scheduler_runs_one_at_a_time_and_stops_cleanly_on_sigterm(tmp_path):
    spans, config_path = _setup(tmp_path, 600, 1)
    command = [sys.executable, "-m", "pipeline.cli", "schedule", "--every", "2",
               "--config", str(config_path), "--data", str(spans / "span-1")]
    scheduler = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(480, scheduler.kill)
    watchdog.start()
    output = []
    try:
        for line in scheduler.stdout:
            output.append(line)
            if sum("finished in" in seen for seen in output) == 2:
                scheduler.send_signal(signal.SIGTERM)
                break
        output += scheduler.stdout.readlines()
        code = scheduler.wait()
    finally:
        watchdog.cancel()
    text = "".join(output)
    assert code == 0, text
    assert "SIGTERM: stopping" in text and text.rstrip().endswith("scheduler stopped")
    config = load_config(str(config_path))
    runs = list_runs(store_for(config), config.pipeline_name)
    assert len(runs) >= 2 and all(r.status == "awaiting sign-off" for r in runs)
    for earlier, later in zip(runs, runs[1:]):
        assert later.started >= earlier.started
    assert len(list((config.home_dir / "logs").glob("run-*.log"))) == len(runs)
    assert os.path.exists(config.home_dir / f"schedule-{config.pipeline_name}.json")
