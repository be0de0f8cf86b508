"""`tollgate compile` and `tollgate kubeflow ...`: the cluster side of the CLI.

The `tollgate` command loads this module by name (pipeline/cli/main.py);
nothing in pipeline/ imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from pipeline.config import TollgateConfig, current_user
from pipeline.config_file import load_config

DEFAULT_OUTPUT = "tollgate-pipeline.yaml"


def _config(args: argparse.Namespace) -> TollgateConfig:
    return load_config(args.config)


def _compile(config: TollgateConfig, path: str, image: str | None) -> str:
    from kubeflow.compiler import compile_pipeline, image_reference

    image_reference(config, image)  # refuse a bad tag before importing TFX
    return compile_pipeline(config, path, image)


def cmd_compile(args: argparse.Namespace) -> int:
    print(_compile(_config(args), args.output, args.image))
    return 0


def _run_facts(args: argparse.Namespace, prefix: str, rerun: str, triggered_by: str) -> dict:
    """The run's facts, bound when it starts: who started it, how a person
    reaches its store (`prefix`), and the command that runs it again (`rerun`),
    which after an approval releases the model."""
    if args.config:
        prefix = f"TOLLGATE_CONFIG={os.path.abspath(args.config)} {prefix}"
    return {"triggered_by": triggered_by, "command_prefix": prefix, "release_command": f"{{prefix}} kubeflow {rerun}"}


def _data_flag(data: str | None) -> str:
    return f" --data {data}" if data else ""


def cmd_submit(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client

    config = _config(args)
    client = kfp_client.connect(config, args.host)
    facts = _run_facts(args, "tollgate", f"submit{_data_flag(args.kfp_data)}", current_user())
    with tempfile.TemporaryDirectory() as folder:
        spec = _compile(config, os.path.join(folder, f"{config.pipeline_name}.yaml"), args.image)
        run = kfp_client.submit(client, config, spec, args.kfp_data, facts)
    print(f"started run {run.run_id}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client
    from pipeline.schedule.cron import describe

    config = _config(args)
    print(describe(args.cron))  # a bad cron fails here, before anything is uploaded
    client = kfp_client.connect(config, args.host)
    facts = _run_facts(args, "tollgate", f"submit{_data_flag(args.kfp_data)}",
                       f"schedule {kfp_client.schedule_name(config)}")
    with tempfile.TemporaryDirectory() as folder:
        spec = _compile(config, os.path.join(folder, f"{config.pipeline_name}.yaml"), args.image)
        created, _ = kfp_client.schedule(client, config, spec, args.cron, args.kfp_data, args.catch_up, facts)
    print(f"created recurring run {created.recurring_run_id}: at most 1 run at a time, "
          f"{'catching up' if args.catch_up else 'no catch-up'} after downtime")
    return 0


def cmd_run_local(args: argparse.Namespace) -> int:
    from kubeflow.local_run import run_local
    from pipeline.data.check import check_run_data
    from pipeline.definition.backend import LocalBackend
    from pipeline.lineage.store import columns_for_run

    config = args.cli.config_from_args(args)
    data = check_run_data(config.data_dir, config.span, columns_for_run(config))
    print(f"tollgate: running the compiled Kubeflow pipeline '{config.pipeline_name}' here with kfp.local, "
          f"on {config.data_dir} ({data.rows:,} rows); state in {config.home_dir}", file=sys.stderr)
    steps = f" --train-steps {args.train_steps}" if args.train_steps else ""
    facts = _run_facts(args, LocalBackend().command_prefix(config),
                       f"run-local{_data_flag(str(config.data_dir))}{steps}", current_user())
    return args.cli.finish(lambda: run_local(config, facts, args.image), args.json)


def cmd_recurring(args: argparse.Namespace) -> int:
    from kubeflow import client as kfp_client

    config = _config(args)
    client = kfp_client.connect(config, args.host)
    changes = {"pause": (client.disable_recurring_run, "paused"), "resume": (client.enable_recurring_run, "resumed"),
               "delete": (client.delete_recurring_run, "deleted")}
    if args.action in changes:
        change, done = changes[args.action]
        change(args.id)
        print(f"{done} recurring run {args.id}")
        return 0
    rows = [
        {"id": r.recurring_run_id, "name": r.display_name, "status": r.status,
         "cron": r.trigger.cron_schedule.cron if r.trigger and r.trigger.cron_schedule else None,
         "max_concurrency": r.max_concurrency, "no_catchup": r.no_catchup}
        for r in kfp_client.recurring_runs(client, config)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    for row in [] if args.json else rows:
        print(f"{row['id']}  {row['status']:<8}  {row['cron']}  {row['name']}")
    return 0


def register(sub, add, cli) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand,
    and `cli` holds what commands share (the config from flags, a run's summary)."""
    compile_ = add("compile", "compile the pipeline for Kubeflow Pipelines (kfp's YAML)")
    compile_.add_argument("--target", choices=("kubeflow",), required=True)
    compile_.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    compile_.add_argument("--image", help="NAME:TAG for every step (default: kubeflow.image:kubeflow.tag)")
    compile_.set_defaults(handler=cmd_compile)

    kubeflow = sub.add_parser("kubeflow", help="run the pipeline on Kubeflow Pipelines, or try it here first")
    actions = kubeflow.add_subparsers(dest="kubeflow_command", required=True)

    def action(name: str, help_text: str, handler) -> argparse.ArgumentParser:
        command = actions.add_parser(name, help=help_text)
        command.add_argument("--config", help="TOML config file (default: $TOLLGATE_CONFIG)")
        command.add_argument("--json", action="store_true", help="print JSON")
        command.set_defaults(handler=handler, action=name)
        return command

    local = action("run-local", "compile, then run that spec here with kfp.local, against the local store",
                   cmd_run_local)
    local.set_defaults(cli=cli)
    local.add_argument("--data", help="CSV file, folder, or folder of span-N folders (default: taxi sample)")
    local.add_argument("--train-steps", type=int, dest="train_steps", help="training steps")
    local.add_argument("--image", help="NAME:TAG written into the spec (nothing is pulled here)")
    for name, help_text, handler in (
        ("submit", "compile, upload and start one run", cmd_submit),
        ("schedule", "compile, upload and create a recurring run", cmd_schedule),
    ):
        command = action(name, help_text, handler)
        command.add_argument("--host", help="the KFP API URL (default: kubeflow.host)")
        command.add_argument("--image", help="NAME:TAG for every step")
        command.add_argument("--data", dest="kfp_data", help="the data_root parameter for the run(s)")
    schedule = actions.choices["schedule"]
    schedule.add_argument("--cron", required=True, help="five fields, read in UTC, e.g. '30 2 * * *'")
    schedule.add_argument("--catch-up", action="store_true", help="replay runs missed while down")
    for name in ("list", "pause", "resume", "delete"):
        command = action(name, f"{name} this pipeline's recurring runs" if name == "list" else f"{name} a recurring run",
                         cmd_recurring)
        command.add_argument("--host", help="the KFP API URL (default: kubeflow.host)")
        if name != "list":
            command.add_argument("id", help="recurring run id")
