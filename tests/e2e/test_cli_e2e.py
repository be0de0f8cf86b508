"""The `tollgate` command as a user runs it: a separate process, exit codes, stderr."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import taxi_rows, write_csv

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TOLLGATE = [sys.executable, "-m", "pipeline.cli"]


def tollgate(*args, home: Path, **env):
    return subprocess.run(
        [*TOLLGATE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TOLLGATE_HOME": str(home), **env},
        timeout=600,
    )


def assert_clean_failure(result, home: Path, *words):
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tollgate: error: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
    # Nothing was run, so nothing can have been pushed.
    assert not (home / "serving").exists()


def test_missing_data_path(tmp_path):
    result = tollgate("run", "--data", str(tmp_path / "nope"), home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "does not exist", "--data")


def test_csv_missing_a_column(tmp_path):
    header, rows = taxi_rows(20)
    i = header.index("payment_type")
    path = write_csv(tmp_path / "d.csv", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    result = tollgate("run", "--data", str(path), home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "missing column(s) payment_type")


def test_csv_with_wrong_types(tmp_path):
    header, rows = taxi_rows(20)
    rows[7][header.index("trip_miles")] = "far"
    path = write_csv(tmp_path / "d.csv", header, rows)
    result = tollgate("run", "--data", str(path), home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "column 'trip_miles'", "'far'", "line 9")


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    result = tollgate("run", "--data", str(tmp_path / "empty.csv"), home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "is empty")


def test_unknown_config_key(tmp_path):
    config = tmp_path / "tollgate.toml"
    config.write_text("[trainer]\nsteps = 10\n")
    result = tollgate("run", "--config", str(config), home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "unknown config key 'trainer.steps'")


@pytest.mark.parametrize("command", [["runs"], ["runs", "--json"]])
def test_runs_on_an_empty_store(tmp_path, command):
    result = tollgate(*command, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    if "--json" in command:
        assert json.loads(result.stdout) == []


def test_unblessed_model_exits_zero_and_pushes_nothing(tmp_path):
    """Not blessed is a result, not a failure: said plainly, with exit code 0."""
    header, rows = taxi_rows(3000)
    data = write_csv(tmp_path / "data" / "taxi.csv", header, rows)
    config = tmp_path / "strict.toml"
    config.write_text('[[evaluator.metrics]]\nname = "auc"\nthreshold = 0.999\n')
    home = tmp_path / "home"
    result = tollgate(
        "run", "--data", str(data), "--config", str(config), "--train-steps", "50", "--json",
        home=home,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    assert summary["blessed"] is False
    assert summary["pushed"] is None
    # Every step ran to the end; Publish and the index pusher released nothing.
    assert re.search(r"\[\d+/18\] Publish +done", result.stderr)
    assert re.search(r"\[\d+/18\] VectorIndexPusher +done", result.stderr)
    assert not (home / "milvus").exists()
    serving = home / "serving" / "tollgate"
    assert [p for p in os.listdir(serving) if not p.startswith(".")] == [] if serving.exists() else True


def test_backfill_of_a_span_that_does_not_exist(tmp_path, small_csv):
    from pipeline.data.spans import split_spans

    split_spans(small_csv, tmp_path / "spans", "trip_start_timestamp", count=2)
    result = tollgate("backfill", "--data", str(tmp_path / "spans"), "--spans", "1-3", home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "no span 3", "spans 1-2")
    assert not (tmp_path / "home" / "metadata.sqlite").exists()


def test_schedule_with_a_bad_cron(tmp_path):
    result = tollgate("schedule", "--cron", "0 25 * * *", home=tmp_path / "home")
    assert_clean_failure(result, tmp_path / "home", "hour", "outside 0-23")
