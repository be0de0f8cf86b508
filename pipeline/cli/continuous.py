"""Continuous training on one machine: `tollgate data`, `schedule` and `backfill`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from pipeline.cli.common import config_from_args
from pipeline.cli.render import print_failure, print_summary
from pipeline.config import default_data_root
from pipeline.errors import TollgateError


def cmd_split_spans(args: argparse.Namespace) -> int:
    from pipeline.data.spans import split_spans

    config = config_from_args(args)
    source = Path(args.source or Path(default_data_root()) / "data.csv")
    if not source.is_file():
        raise TollgateError(f"{source} does not exist; pass --source with a CSV file")
    made = split_spans(source, Path(args.out_dir), config.data.time_column, args.count)
    for number, label, rows in made:
        print(f"span-{number:<4} {label:<17} {rows:>6} rows")
    print(f"{len(made)} spans in {args.out_dir}")
    return 0


def cmd_infer_schema(args: argparse.Namespace) -> int:
    from pipeline.data.schema import infer_schema

    print(infer_schema(Path(args.data or default_data_root()).resolve(), Path(args.out)))
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from pipeline.schedule.scheduler import Scheduler, Timetable, install_signal_handlers

    config = config_from_args(args)  # a bad config fails now, not at the first run
    timetable = Timetable(cron=args.cron, every=args.every)
    # Each run is `tollgate run` with the same config and data, as absolute
    # paths, so a run does not depend on where the scheduler was started.
    run_args = []
    for flag, value in (("--config", args.config), ("--data", args.data)):
        if value:
            run_args += [flag, str(Path(value).resolve())]
    scheduler = Scheduler(timetable, run_args, config.home_dir, config.pipeline_name, args.catch_up)
    install_signal_handlers(scheduler)
    return scheduler.serve()


def cmd_backfill(args: argparse.Namespace) -> int:
    from pipeline.data.check import check_run_data
    from pipeline.lineage.store import columns_for_run
    from pipeline.data.spans import parse_spans, ranges_text
    from pipeline.local.runner import run_pipeline
    from pipeline.local.summary import RunFailed

    config = config_from_args(args)
    spans = parse_spans(args.spans)
    # Every span's data is checked before the first run starts.
    columns = columns_for_run(config)  # may read the store: once, not per span
    checked = {n: check_run_data(config.data_dir, n, columns) for n in spans}
    summaries = []
    for index, number in enumerate(spans, start=1):
        print(f"tollgate: backfill span {number} ({index}/{len(spans)}, {checked[number].rows:,} rows)",
              file=sys.stderr)
        try:
            summary = run_pipeline(dataclasses.replace(config, span=number), checked=checked[number])
        except RunFailed as failure:
            print_failure(failure)
            rest = ranges_text(spans[index - 1:])
            print(f"tollgate: backfill stopped at span {number}; fix it, then resume with --spans {rest}",
                  file=sys.stderr)
            return 1
        summaries.append(summary)
        if not args.json:
            print_summary(summary)
    if args.json:
        print(json.dumps([s.to_json() for s in summaries], indent=2))
    return 0


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
    data = sub.add_parser("data", help="prepare data: spans, a curated schema")
    actions = data.add_subparsers(dest="data_command", required=True)
    split = actions.add_parser("split-spans", help="cut a CSV into span-N folders by its [data] time_column")
    split.add_argument("out_dir", help="where the span-N folders go (must hold none yet)")
    split.add_argument("--count", type=int, help="this many equal spans, in time order (default: one per month)")
    split.add_argument("--source", help="the CSV to split (default: the taxi sample)")
    split.add_argument("--config", help="TOML config file, for [data] time_column (default: $TOLLGATE_CONFIG)")
    split.set_defaults(handler=cmd_split_spans)
    infer = actions.add_parser("infer-schema", help="write a schema inferred from data, to curate and check in")
    infer.add_argument("out", help="the .pbtxt file to write")
    infer.add_argument("--data", help="CSV file, folder, or folder of span-N folders (default: the taxi sample)")
    infer.set_defaults(handler=cmd_infer_schema)

    schedule = add("schedule", "run the pipeline on a schedule, in the foreground, until SIGTERM")
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help="five fields, read in UTC, e.g. '30 2 * * *'")
    when.add_argument("--every", type=float, help="instead: every this many seconds")
    schedule.add_argument("--data", help="CSV file, folder, or folder of span-N folders (default: taxi sample)")
    schedule.add_argument("--catch-up", action="store_true", help="run every missed time, oldest first")
    schedule.set_defaults(handler=cmd_schedule)

    backfill = add("backfill", "run the pipeline once per span, in order")
    backfill.add_argument("--data", required=True, help="a folder of span-N folders")
    backfill.add_argument("--spans", required=True, help="which spans: 1-6, 3 or 1,3,5-7")
    backfill.add_argument("--train-steps", type=int, dest="train_steps", help="training steps")
    backfill.set_defaults(handler=cmd_backfill)
