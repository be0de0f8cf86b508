"""The `tollgate` command."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.config import TollgateConfig, load_config
from pipeline.errors import TollgateError

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1


def _config(args: argparse.Namespace) -> TollgateConfig:
    return load_config(
        args.config,
        data_root=getattr(args, "data", None),
        trainer__train_steps=getattr(args, "train_steps", None),
    )


def _fmt_metric(metrics: dict, name: str) -> str:
    value = metrics.get(name)
    return "n/a" if value is None else f"{value:.4f}"


def _print_summary(summary) -> None:
    run = summary.to_json()
    overall = run["metrics"]["overall"]
    worst = run["metrics"]["worst_slice"]
    if summary.blessed is None:
        verdict = "not evaluated"
    elif summary.blessed:
        verdict = "BLESSED"
    else:
        verdict = "NOT BLESSED: below the evaluation thresholds, so nothing was pushed"
    print(f"run       {run['run_id']}  ({run['status']}, {run['seconds']:.1f}s)")
    print(f"model     {run['model_id']}")
    print(
        f"overall   auc {_fmt_metric(overall, 'auc')}  "
        f"accuracy {_fmt_metric(overall, 'binary_accuracy')}  "
        f"examples {int(overall.get('example_count', 0))}"
    )
    if worst:
        print(
            f"worst     {worst['slice']}: auc {_fmt_metric(worst['metrics'], 'auc')} "
            f"({int(worst['metrics'].get('example_count', 0))} examples)"
        )
    print(f"verdict   {verdict}")
    print(f"pushed    {run['pushed'] or '-'}")
    print(f"log       {run['log']}")


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.data_check import check_data
    from pipeline.local_runner import RunFailed, run_pipeline

    config = _config(args)
    data = check_data(config.data_dir)
    print(
        f"tollgate: running '{config.pipeline_name}' on {config.data_dir} "
        f"({data.rows:,} rows in {len(data.files)} file(s)); state in {config.home_dir}",
        file=sys.stderr,
    )
    try:
        summary = run_pipeline(config)
    except RunFailed as failure:
        print(f"tollgate: run failed: {failure}", file=sys.stderr)
        return EXIT_RUN_FAILED
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        _print_summary(summary)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from pipeline.metadata import connection_config
    from pipeline.runs import list_runs, open_store

    config = _config(args)
    runs = list_runs(open_store(connection_config(config)), config.pipeline_name)
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return 0
    print(f"{'RUN':<28} {'START (UTC)':<26} {'SECS':>7} {'STATUS':<11} {'MODEL':>6}  PUSHED")
    for r in runs:
        model = "-" if r.model_id is None else str(r.model_id)
        print(
            f"{r.run_id:<28} {r.started:<26} {r.seconds:>7.1f} {r.status:<11} "
            f"{model:>6}  {r.pushed or '-'}"
        )
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tollgate", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--config", help="TOML config file (default: $TOLLGATE_CONFIG)")
        command.add_argument("--json", action="store_true", help="print JSON")
        return command

    run = add("run", "run the pipeline end to end")
    run.add_argument("--data", help="CSV file or folder of CSV files (default: taxi sample)")
    run.add_argument("--train-steps", type=int, dest="train_steps", help="training steps")
    run.set_defaults(handler=cmd_run)
    add("runs", "list runs, one line each").set_defaults(handler=cmd_runs)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except TollgateError as error:
        print(f"tollgate: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
