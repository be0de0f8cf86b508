"""Talks to a Kubeflow Pipelines API through `kfp.Client`: upload, run, schedule.

Each call uploads the compiled pipeline as a new version of one KFP pipeline
named after the config's pipeline, so the UI lists every version that ever
ran. Recurring runs default to one run at a time and no catch-up: a cluster
that was down for a week should not start seven training runs at once.
Every run gets its own facts as parameters: its data, who or what triggered
it, and the commands a person types to approve and release its model.
"""

from __future__ import annotations

import dataclasses
import datetime

from kubeflow.backend import DATA_PARAMETER
from kubeflow.compiler import parameter_defaults
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.schedule.cron import to_kfp


@dataclasses.dataclass(frozen=True)
class Uploaded:
    pipeline_id: str
    version_id: str
    experiment_id: str
    defaults: dict


def connect(config: TollgateConfig, host: str | None):
    import kfp

    host = host or config.kubeflow.host
    if not host:
        raise TollgateError("no KFP API to talk to; pass --host URL or set kubeflow.host in the config")
    return kfp.Client(host=host)


def upload(client, config: TollgateConfig, spec_path: str) -> Uploaded:
    """The compiled pipeline as a new version of the config's KFP pipeline."""
    defaults = parameter_defaults(spec_path)
    name = config.pipeline_name
    version = datetime.datetime.now(datetime.timezone.utc).strftime(f"{name}-%Y%m%d-%H%M%S")
    pipeline_id = client.get_pipeline_id(name)
    if pipeline_id is None:
        pipeline_id = client.upload_pipeline(spec_path, pipeline_name=name).pipeline_id
        versions = client.list_pipeline_versions(pipeline_id).pipeline_versions or []
        version_id = versions[0].pipeline_version_id
    else:
        version_id = client.upload_pipeline_version(
            spec_path, pipeline_version_name=version, pipeline_id=pipeline_id
        ).pipeline_version_id
    experiment = client.create_experiment(config.kubeflow.experiment)
    return Uploaded(pipeline_id, version_id, experiment.experiment_id, defaults)


def _parameters(uploaded: Uploaded, data: str | None, facts: dict) -> dict:
    return {**uploaded.defaults, **facts, **({DATA_PARAMETER: data} if data else {})}


def submit(client, config: TollgateConfig, spec_path: str, data: str | None = None, facts: dict | None = None):
    uploaded = upload(client, config, spec_path)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return client.run_pipeline(
        experiment_id=uploaded.experiment_id,
        job_name=f"{config.pipeline_name}-{stamp}",
        params=_parameters(uploaded, data, facts or {}),
        pipeline_id=uploaded.pipeline_id,
        version_id=uploaded.version_id,
    )


def schedule_name(config: TollgateConfig) -> str:
    """The recurring run's name; its runs say they were triggered by it."""
    return f"{config.pipeline_name}-schedule"


def schedule_arguments(config: TollgateConfig, uploaded: Uploaded, cron: str,
                       data: str | None = None, catch_up: bool = False, facts: dict | None = None) -> dict:
    """Everything `create_recurring_run` is given, decided in one place."""
    return {
        "experiment_id": uploaded.experiment_id,
        "job_name": schedule_name(config),
        "cron_expression": to_kfp(cron),
        "max_concurrency": 1,
        "no_catchup": not catch_up,
        "params": _parameters(uploaded, data, facts or {}),
        "pipeline_id": uploaded.pipeline_id,
        "version_id": uploaded.version_id,
    }


def schedule(client, config: TollgateConfig, spec_path: str, cron: str,
             data: str | None = None, catch_up: bool = False, facts: dict | None = None):
    arguments = schedule_arguments(config, upload(client, config, spec_path), cron, data, catch_up, facts)
    return client.create_recurring_run(**arguments), arguments


def recurring_runs(client, config: TollgateConfig) -> list:
    experiment = client.get_experiment(experiment_name=config.kubeflow.experiment)
    found = client.list_recurring_runs(experiment_id=experiment.experiment_id, page_size=100)
    return found.recurring_runs or []
