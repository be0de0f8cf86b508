"""`tollgate run` and `tollgate runs`."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.cli.common import config_from_args
from pipeline.cli.render import finish


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.data.check import check_run_data
    from pipeline.definition.user_module import load_user_module
    from pipeline.lineage.store import check_store, columns_for_run
    from pipeline.local.runner import run_pipeline

    config = config_from_args(args)
    data = check_run_data(config.data_dir, config.span, columns_for_run(config))
    load_user_module(config.model)  # a module that can't serve is refused before anything is written
    check_store(config)  # a store that can't be used is refused before anything starts
    if config.no_encoder:
        print("tollgate: embeddings are off: [model] names no embedding_signature and [embeddings] encoder "
              "is empty; set one of them for `tollgate search`", file=sys.stderr)
    span = "" if data.span is None else f" span {data.span}"
    print(
        f"tollgate: running '{config.pipeline_name}' on {config.data_dir}{span} "
        f"({data.rows:,} rows in {len(data.files)} file(s)); state in {config.home_dir}",
        file=sys.stderr,
    )
    return finish(lambda: run_pipeline(config, checked=data), args.json, config.ui.base_url)


def cmd_runs(args: argparse.Namespace) -> int:
    from pipeline.lineage.runs import list_runs
    from pipeline.lineage.store import store_for

    config = config_from_args(args)
    runs = list_runs(store_for(config), config.pipeline_name)
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return 0
    print(f"{'RUN':<28} {'START (UTC)':<26} {'SECS':>7} {'STATUS':<17} {'MODEL':>6}  PUSHED")
    for r in runs:
        model = "-" if r.model_id is None else str(r.model_id)
        print(f"{r.run_id:<28} {r.started:<26} {r.seconds:>7.1f} {r.status:<17} {model:>6}  {r.pushed or '-'}")
    return 0


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
    run = add("run", "run the pipeline end to end")
    run.add_argument("--data", help="CSV file or folder of CSV files (default: taxi sample)")
    run.add_argument("--span", type=int, help="with span-N folders under the data: read this span (default: the newest)")
    run.add_argument("--train-steps", type=int, dest="train_steps", help="training steps")
    run.add_argument(
        "--signoff-timeout", type=int, dest="signoff_timeout",
        help="seconds to wait for a sign-off decision (0: record the request and stop)",
    )
    run.set_defaults(handler=cmd_run)
    add("runs", "list runs, one line each").set_defaults(handler=cmd_runs)
