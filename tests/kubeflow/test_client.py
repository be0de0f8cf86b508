"""Client calls against a local stand-in for the KFP API (no cluster exists here).

The stand-in (fake_kfp.py) only records requests and answers with ids; these
tests check what Tollgate asked for, in the bodies kfp.Client sent.
"""

import json

import kfp_server_api
import pytest

from kubeflow import client as kfp_client
from pipeline.cli.main import main
from pipeline.config_file import load_config
from tests.kubeflow.fake_kfp import FakeKfp


@pytest.fixture
def kfp_api():
    fake = FakeKfp()
    yield fake
    fake.close()


@pytest.fixture
def job(golden_spec_path):
    return golden_spec_path


def _config():
    return load_config(None, kubeflow__tag="1.0.0")


def test_schedule_creates_one_recurring_run_without_catch_up(kfp_api, job):
    client = kfp_client.connect(_config(), kfp_api.host)
    kfp_client.schedule(client, _config(), job, "30 2 * * *", data="gs://b/taxi/[[ScheduledTime.2006-01-02]]")
    [upload] = kfp_api.bodies("POST", "/pipelines/upload")
    assert b"pipelineInfo:" in upload and b"data_root:" in upload  # kfp's compiled YAML, as compiled
    [body] = kfp_api.bodies("POST", "/recurringruns")
    kfp_server_api.V2beta1RecurringRun(**body)  # the API's own model accepts it
    assert body["trigger"]["cron_schedule"]["cron"] == "0 30 2 * * *"
    assert int(body["max_concurrency"]) == 1
    assert body["no_catchup"] is True
    assert body["runtime_config"]["parameters"]["data_root"] == "gs://b/taxi/[[ScheduledTime.2006-01-02]]"
    # KFP keeps its own UI artifacts where the cluster says; TFX's root is in the IR.
    assert not body["runtime_config"].get("pipeline_root")
    assert body["pipeline_version_reference"] == {"pipeline_id": "p-1", "pipeline_version_id": "v-1"}
    assert body["experiment_id"] == "e-1"


def test_a_second_upload_is_a_new_version_of_the_same_pipeline(kfp_api, job):
    client = kfp_client.connect(_config(), kfp_api.host)
    kfp_client.schedule(client, _config(), job, "@daily")
    kfp_client.schedule(client, _config(), job, "@daily", catch_up=True)
    assert len(kfp_api.bodies("POST", "/pipelines/upload")) == 1
    assert len(kfp_api.bodies("POST", "/pipelines/upload_version")) == 1
    first, second = kfp_api.bodies("POST", "/recurringruns")
    assert second["pipeline_version_reference"]["pipeline_version_id"] == "v-2"
    assert first["no_catchup"] is True and second["no_catchup"] is False


def test_submit_starts_one_run_with_the_data_parameter(kfp_api, job):
    client = kfp_client.connect(_config(), kfp_api.host)
    run = kfp_client.submit(client, _config(), job, data="gs://b/taxi/2026-11-22")
    [body] = kfp_api.bodies("POST", "/apis/v2beta1/runs")
    assert run.run_id == "r-1"
    assert body["runtime_config"]["parameters"]["data_root"] == "gs://b/taxi/2026-11-22"
    assert body["pipeline_version_reference"]["pipeline_id"] == "p-1"


def test_each_run_binds_who_triggered_it_and_how_to_release(kfp_api, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOLLGATE_USER", "dana")
    config = tmp_path / "team.toml"
    config.write_text("[kubeflow]\ntag = '1.0.0'\n")
    host = ["--host", kfp_api.host, "--config", str(config)]
    assert main(["kubeflow", "schedule", "--cron", "0 3 * * *", "--data", "gs://b/taxi", *host]) == 0
    assert main(["kubeflow", "submit", "--data", "gs://b/taxi", *host]) == 0
    [scheduled] = kfp_api.bodies("POST", "/recurringruns")
    [submitted] = kfp_api.bodies("POST", "/apis/v2beta1/runs")
    assert scheduled["runtime_config"]["parameters"]["triggered_by"] == f"schedule {scheduled['display_name']}"
    assert submitted["runtime_config"]["parameters"]["triggered_by"] == "dana"
    for body in (scheduled, submitted):
        parameters = body["runtime_config"]["parameters"]
        assert parameters["command_prefix"] == f"TOLLGATE_CONFIG={config} tollgate"
        assert parameters["release_command"] == "{prefix} kubeflow submit --data gs://b/taxi"
    # KFP's cache is off in every task, whatever the data location: TFX's cache
    # decides, and it sees new files in the same folder by their fingerprint.
    for upload in kfp_api.bodies("POST", "/pipelines/upload") + kfp_api.bodies("POST", "/pipelines/upload_version"):
        assert b"enableCache: true" not in upload


def test_list_pause_resume_and_delete(kfp_api, job, capsys):
    client = kfp_client.connect(_config(), kfp_api.host)
    kfp_client.schedule(client, _config(), job, "@hourly")
    host = ["--host", kfp_api.host]
    capsys.readouterr()
    assert main(["kubeflow", "list", "--json", *host]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["cron"] == "0 0 * * * *" and int(listed["max_concurrency"]) == 1
    assert main(["kubeflow", "pause", listed["id"], *host]) == 0
    assert kfp_api.recurring[listed["id"]]["status"] == "DISABLED"
    assert main(["kubeflow", "resume", listed["id"], *host]) == 0
    assert kfp_api.recurring[listed["id"]]["status"] == "ENABLED"
    assert main(["kubeflow", "delete", listed["id"], *host]) == 0
    assert kfp_api.recurring == {}
