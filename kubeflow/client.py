"""Talks to a Kubeflow Pipelines API through `kfp.Client`: upload, run, schedule.

Each call uploads the compiled pipeline as a new version of one KFP pipeline
named after the config's pipeline, so the UI lists every version that ever
ran. Recurring runs default to one run at a time and no catch-up: a cluster
that was down for a week should not start seven training runs at once.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile

from kubeflow.backend import DATA_PARAMETER
from kubeflow.runner import load_job
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.schedule.cron import to_kfp

# KFP expands these in recurring runs' parameters on backends that support it.
_MACROS = ("[[ScheduledTime", "[[CurrentTime", "[[Index]]")


@dataclasses.dataclass(frozen=True)
class Uploaded:
    pipeline_id: str
    version_id: str
    experiment_id: str
    pipeline_root: str
    defaults: dict


def connect(config: TollgateConfig, host: str | None):
    import kfp

    host = host or config.kubeflow.host
    if not host:
        raise TollgateError("no KFP API to talk to; pass --host URL or set kubeflow.host in the config")
    return kfp.Client(host=host)


def upload(client, config: TollgateConfig, job_path: str) -> Uploaded:
    """The compiled pipeline as a new version of the config's KFP pipeline."""
    job = load_job(job_path)
    spec = job["pipelineSpec"]
    name = config.pipeline_name
    version = datetime.datetime.now(datetime.timezone.utc).strftime(f"{name}-%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{name}.json")
        with open(path, "w") as handle:
            json.dump(spec, handle)
        pipeline_id = client.get_pipeline_id(name)
        if pipeline_id is None:
            pipeline_id = client.upload_pipeline(path, pipeline_name=name).pipeline_id
            versions = client.list_pipeline_versions(pipeline_id).pipeline_versions or []
            version_id = versions[0].pipeline_version_id
        else:
            version_id = client.upload_pipeline_version(
                path, pipeline_version_name=version, pipeline_id=pipeline_id
            ).pipeline_version_id
    experiment = client.create_experiment(config.kubeflow.experiment)
    runtime = job.get("runtimeConfig", {})
    return Uploaded(
        pipeline_id=pipeline_id,
        version_id=version_id,
        experiment_id=experiment.experiment_id,
        pipeline_root=runtime.get("gcsOutputDirectory", ""),
        defaults=dict(runtime.get("parameterValues", {})),
    )


def submit(client, config: TollgateConfig, job_path: str, data: str | None = None):
    uploaded = upload(client, config, job_path)
    params = {**uploaded.defaults, **({DATA_PARAMETER: data} if data else {})}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return client.run_pipeline(
        experiment_id=uploaded.experiment_id,
        job_name=f"{config.pipeline_name}-{stamp}",
        params=params,
        pipeline_id=uploaded.pipeline_id,
        version_id=uploaded.version_id,
        pipeline_root=uploaded.pipeline_root,
    )


def data_moves(data: str | None) -> bool:
    """Whether the data location names the run's time, so each run's differs.

    The location is ExampleGen's only input: if it stays the same, every
    scheduled run looks the same to KFP's cache, which would then skip new
    files in the same folder. Such schedules are compiled with caching off.
    (`create_recurring_run(enable_caching=...)` cannot do it: kfp applies
    that only to a pipeline sent inline, not to an uploaded version.)
    """
    return any(macro in (data or "") for macro in _MACROS)


def schedule_arguments(config: TollgateConfig, uploaded: Uploaded, cron: str,
                       data: str | None = None, catch_up: bool = False) -> dict:
    """Everything `create_recurring_run` is given, decided in one place."""
    data = data or uploaded.defaults.get(DATA_PARAMETER, "")
    return {
        "experiment_id": uploaded.experiment_id,
        "job_name": f"{config.pipeline_name}-schedule",
        "cron_expression": to_kfp(cron),
        "max_concurrency": 1,
        "no_catchup": not catch_up,
        "params": {**uploaded.defaults, DATA_PARAMETER: data},
        "pipeline_id": uploaded.pipeline_id,
        "version_id": uploaded.version_id,
        "pipeline_root": uploaded.pipeline_root,
    }


def schedule(client, config: TollgateConfig, job_path: str, cron: str,
             data: str | None = None, catch_up: bool = False):
    arguments = schedule_arguments(config, upload(client, config, job_path), cron, data, catch_up)
    return client.create_recurring_run(**arguments), arguments


def recurring_runs(client, config: TollgateConfig) -> list:
    experiment = client.get_experiment(experiment_name=config.kubeflow.experiment)
    found = client.list_recurring_runs(experiment_id=experiment.experiment_id, page_size=100)
    return found.recurring_runs or []
