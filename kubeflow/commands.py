"""`tollgate compile` and `tollgate kubeflow ...`: the cluster side of the CLI."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile

from pipeline.config import TollgateConfig, load_config

DEFAULT_OUTPUT = "tollgate-pipeline.json"


def _config(args: argparse.Namespace) -> TollgateConfig:
    return load_config(args.config)


def _compile(config: TollgateConfig, path: str, image: str | None) -> str:
    from kubeflow.runner import compile_pipeline, image_reference

    image_reference(config, image)  # refuse a bad tag before importing TFX
    compile_pipeline(config, path, image)
    return path


def cmd_compile(args: argparse.Namespace) -> int:
    print(_compile(_config(args), args.output, args.image))
    return 0


def _compiled(args: argparse.Namespace, config: TollgateConfig, folder: str) -> str:
    return _compile(config, os.path.join(folder, f"{config.pipeline_name}.json"), args.image)


def cmd_submit(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client

    config = _config(args)
    client = kfp_client.connect(config, args.host)
    with tempfile.TemporaryDirectory() as folder:
        run = kfp_client.submit(client, config, _compiled(args, config, folder), args.kfp_data)
    print(f"started run {run.run_id}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client
    from pipeline.schedule.cron import describe

    config = _config(args)
    print(describe(args.cron))  # a bad cron fails here, before anything is uploaded
    if not kfp_client.data_moves(args.kfp_data):
        config = dataclasses.replace(config, enable_cache=False)
        print("caching is off for these runs: the data location names no time, so a cached "
              "ExampleGen would miss new files there (pass --data with [[ScheduledTime.2006-01-02]])")
    client = kfp_client.connect(config, args.host)
    with tempfile.TemporaryDirectory() as folder:
        job = _compiled(args, config, folder)
        created, _ = kfp_client.schedule(client, config, job, args.cron, args.kfp_data, args.catch_up)
    print(f"created recurring run {created.recurring_run_id}: at most 1 run at a time, "
          f"{'catching up' if args.catch_up else 'no catch-up'} after downtime")
    return 0


def cmd_recurring(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client

    config = _config(args)
    client = kfp_client.connect(config, args.host)
    if args.action == "pause":
        client.disable_recurring_run(args.id)
        print(f"paused recurring run {args.id}")
    elif args.action == "resume":
        client.enable_recurring_run(args.id)
        print(f"resumed recurring run {args.id}")
    elif args.action == "delete":
        client.delete_recurring_run(args.id)
        print(f"deleted recurring run {args.id}")
    else:
        runs = kfp_client.recurring_runs(client, config)
        rows = [
            {"id": r.recurring_run_id, "name": r.display_name, "status": r.status,
             "cron": r.trigger.cron_schedule.cron if r.trigger and r.trigger.cron_schedule else None,
             "max_concurrency": r.max_concurrency, "no_catchup": r.no_catchup}
            for r in runs
        ]
        if args.json:
            print(json.dumps(rows, indent=2))
        for row in [] if args.json else rows:
            print(f"{row['id']}  {row['status']:<8}  {row['cron']}  {row['name']}")
    return 0


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
    compile_ = add("compile", "compile the pipeline for Kubeflow Pipelines (a PipelineJob JSON)")
    compile_.add_argument("--target", choices=("kubeflow",), required=True)
    compile_.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    compile_.add_argument("--image", help="NAME:TAG for every step (default: kubeflow.image:kubeflow.tag)")
    compile_.set_defaults(handler=cmd_compile)

    kubeflow = sub.add_parser("kubeflow", help="submit and schedule runs on a Kubeflow Pipelines cluster")
    actions = kubeflow.add_subparsers(dest="kubeflow_command", required=True)

    def action(name: str, help_text: str, handler) -> argparse.ArgumentParser:
        command = actions.add_parser(name, help=help_text)
        command.add_argument("--config", help="TOML config file (default: $TOLLGATE_CONFIG)")
        command.add_argument("--host", help="the KFP API URL (default: kubeflow.host)")
        command.add_argument("--json", action="store_true", help="print JSON")
        command.set_defaults(handler=handler, action=name)
        return command

    for name, help_text, handler in (
        ("submit", "compile, upload and start one run", cmd_submit),
        ("schedule", "compile, upload and create a recurring run", cmd_schedule),
    ):
        command = action(name, help_text, handler)
        command.add_argument("--image", help="NAME:TAG for every step")
        command.add_argument("--data", dest="kfp_data", help="the data_root parameter for the run(s)")
    schedule = actions.choices["schedule"]
    schedule.add_argument("--cron", required=True, help="five fields, read in UTC, e.g. '30 2 * * *'")
    schedule.add_argument("--catch-up", action="store_true", help="replay runs missed while down")
    action("list", "list this pipeline's recurring runs", cmd_recurring)
    for name in ("pause", "resume", "delete"):
        action(name, f"{name} a recurring run", cmd_recurring).add_argument("id", help="recurring run id")
