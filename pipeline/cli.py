"""The `tollgate` command."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys

from pipeline.config import TollgateConfig, load_config
from pipeline.errors import TollgateError

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1


def config_from_args(args: argparse.Namespace) -> TollgateConfig:
    return load_config(
        args.config,
        data_root=getattr(args, "data", None),
        span=getattr(args, "span", None),
        trainer__train_steps=getattr(args, "train_steps", None),
        signoff__timeout_seconds=getattr(args, "signoff_timeout", None),
    )


def _fmt_metric(metrics: dict, name: str) -> str:
    value = metrics.get(name)
    return "n/a" if value is None else f"{value:.4f}"


def print_summary(summary) -> None:
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
    signoff = run["signoff"]
    if signoff and signoff["status"] == "pending":
        print(f"sign-off  PENDING (request {signoff['request_id']}); nothing is pushed until approved")
        print(f"          approve: {signoff['approve_command']}")
        print(f"          release: {signoff['release_command']}")
    elif signoff:
        print(f"sign-off  {signoff['status']} by {signoff['approver']} at {signoff['decided_at']}")
    print(f"pushed    {run['pushed'] or '-'}")
    print(f"report    {run['report']}")
    print(f"log       {run['log']}")


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.data_check import check_run_data
    from pipeline.local_runner import run_pipeline

    config = config_from_args(args)
    data = check_run_data(config.data_dir, config.span)
    span = "" if data.span is None else f" span {data.span}"
    print(
        f"tollgate: running '{config.pipeline_name}' on {config.data_dir}{span} "
        f"({data.rows:,} rows in {len(data.files)} file(s)); state in {config.home_dir}",
        file=sys.stderr,
    )
    return _finish(lambda: run_pipeline(config, checked=data), args.json)


def print_failure(failure) -> None:
    print(f"tollgate: run failed: {failure}", file=sys.stderr)
    for line in failure.details:
        print(f"  {line}", file=sys.stderr)


def _finish(run, as_json: bool) -> int:
    from pipeline.local_runner import RunFailed

    try:
        summary = run()
    except RunFailed as failure:
        print_failure(failure)
        return EXIT_RUN_FAILED
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print_summary(summary)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from pipeline.signoff_commands import release

    config = config_from_args(args)
    return _finish(lambda: release(config, args.model), args.json)


def cmd_pending(args: argparse.Namespace) -> int:
    from pipeline.signoff_commands import pending

    requests = pending(config_from_args(args))
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in requests], indent=2))
        return 0
    if not requests:
        print("no sign-off requests are waiting")
    for r in requests:
        auc = (r.eval_summary.get("overall") or {}).get("auc")
        print(
            f"request {r.id}  model {r.model_id}  {r.requested_at}  by {r.triggered_by}  "
            f"auc {auc if auc is None else f'{auc:.4f}'}\n  {r.approve_command}"
        )
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from components.signoff.records import PAST_TENSE
    from pipeline.signoff_commands import decide

    request, decision = decide(config_from_args(args), args.model, args.decision, args.by, args.comment or "")
    past = PAST_TENSE[decision.decision]
    print(f"model {decision.model_id}: {past} by {decision.approver} ({decision.decided_at})")
    if decision.decision == "approve":
        print(f"release it with: {request.release_command}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from pipeline.signoff_commands import show

    state = show(config_from_args(args), args.model)
    if args.json:
        print(json.dumps(state, indent=2))
        return 0
    print(f"model     {state['model_id']}  ({state['state']})")
    print(f"uri       {state['uri']}")
    if state["request"]:
        r = state["request"]
        print(f"request   {r['id']} at {r['requested_at']} by {r['triggered_by']}, digest {r['model_digest']}")
    if state["decision"]:
        d = state["decision"]
        print(f"decision  {d['decision']} by {d['approver']} at {d['decided_at']}: {d['comment'] or '-'}")
    for path in state["released_to"]:
        print(f"released  {path}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from pipeline.metadata import store_for
    from pipeline.runs import list_runs

    config = config_from_args(args)
    runs = list_runs(store_for(config), config.pipeline_name)
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return 0
    print(f"{'RUN':<28} {'START (UTC)':<26} {'SECS':>7} {'STATUS':<17} {'MODEL':>6}  PUSHED")
    for r in runs:
        model = "-" if r.model_id is None else str(r.model_id)
        print(
            f"{r.run_id:<28} {r.started:<26} {r.seconds:>7.1f} {r.status:<17} "
            f"{model:>6}  {r.pushed or '-'}"
        )
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from pipeline.lineage import model_lineage, models_trained_on, render_text, resolve_model
    from pipeline.metadata import store_for

    config = config_from_args(args)
    store = store_for(config)
    if args.data:
        return _print_trained_on(models_trained_on(store, args.data), args.data, args.json)
    if not args.model:
        raise TollgateError("name a MODEL (an id, 'latest', 'serving' or a pushed path), or pass --data")
    lineage = model_lineage(store, resolve_model(store, args.model))
    form = "json" if args.json else args.format
    if form in ("dot", "html"):
        from pipeline.lineage_graph import model_graph, to_dot, to_svg, write_model_report

        nodes, edges = model_graph(store, lineage)
        if form == "dot":
            print(to_dot(nodes, edges))
            return 0
        path = config.home_dir / "reports" / f"model-{lineage.model.id}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        print(write_model_report(str(path), lineage, render_text(lineage), to_svg(nodes, edges)))
        return 0
    print(json.dumps(lineage.to_json(), indent=2) if form == "json" else render_text(lineage))
    return 0


def _print_trained_on(models: list, data: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps([m.to_json() for m in models], indent=2))
    elif not models:
        print(f"no model was trained on {data}")
    for m in models:
        where = ", ".join(r.serving_path for r in m.releases) or "not released"
        print(f"model {m.model_id}  examples {m.examples_id}  sign-off {m.signoff or '-'}  {where}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from pipeline import search

    config = config_from_args(args)
    if args.k <= 0:
        raise TollgateError("-k must be a positive number of results")
    found = search.like(config, args.like, args.k) if args.like is not None else search.by_row(config, args.row, args.k)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for rank, hit in enumerate(found, 1):
        source = "  ".join(f"{k}={v}" for k, v in (hit["source"] or {}).items())
        print(f"{rank:>3}  {hit['key']:>19}  {hit['distance']:9.4f}  {hit['split']:<6} {source}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from pipeline.lineage import audit
    from pipeline.metadata import store_for

    entries = audit(store_for(config_from_args(args)), args.since)
    if args.json:
        print(json.dumps([e.to_json() for e in entries], indent=2))
        return 0
    for e in entries:
        auc = (e.metrics or {}).get("auc")
        print(
            f"{e.released_at}  model {e.model_id}  auc {'-' if auc is None else f'{auc:.4f}'}  "
            f"approved by {e.approver or '-'}  {e.serving_path}  data {e.data}"
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
    run.add_argument("--span", type=int, help="with span-N folders under the data: read this span (default: the newest)")
    run.add_argument("--train-steps", type=int, dest="train_steps", help="training steps")
    run.add_argument(
        "--signoff-timeout", type=int, dest="signoff_timeout",
        help="seconds to wait for a sign-off decision (0: record the request and stop)",
    )
    run.set_defaults(handler=cmd_run)
    add("runs", "list runs, one line each").set_defaults(handler=cmd_runs)
    add("pending", "list sign-off requests awaiting a decision").set_defaults(handler=cmd_pending)
    for name, needs_comment in (("approve", False), ("reject", True)):
        decide = add(name, f"{name} a model that awaits sign-off")
        decide.add_argument("model", type=int, help="model artifact id")
        decide.add_argument("--by", required=True, help="your name, as listed in signoff.approvers")
        decide.add_argument("--comment", required=needs_comment, help="why")
        decide.set_defaults(handler=cmd_decide, decision=name)
    show = add("show", "a model's state: request, decision, releases")
    show.add_argument("model", type=int, help="model artifact id")
    show.set_defaults(handler=cmd_show)
    release = add("release", "push an approved model, replaying its run from the cache")
    release.add_argument("model", type=int, help="model artifact id")
    release.set_defaults(handler=cmd_release)
    lineage = add("lineage", "what made a model, how it did, who approved it, where it went")
    lineage.add_argument("model", nargs="?", help="model id, 'latest', 'serving', or a pushed path")
    lineage.add_argument("--data", help="instead: every model trained on this CSV path or span")
    lineage.add_argument(
        "--format", choices=("text", "json", "html", "dot"), default="text",
        help="html writes a model card with the lineage graph and prints its path",
    )
    lineage.set_defaults(handler=cmd_lineage)
    audit = add("audit", "every release in order: model, data, metrics, approver")
    audit.add_argument("--since", help="only releases at or after this UTC date (YYYY-MM-DD)")
    audit.set_defaults(handler=cmd_audit)
    search = add("search", "nearest examples in the served vector index")
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--like", type=int, help="an example key, as printed by an earlier search")
    query.add_argument("--row", help="an ad-hoc row, 'column=value,...', embedded by the served model")
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    search.set_defaults(handler=cmd_search)
    from kubeflow.commands import register
    from pipeline.continuous import register as register_continuous

    register_continuous(sub, add)
    register(sub, add)
    return top


def main(argv: list[str] | None = None) -> int:
    # `tollgate lineage ... | head` should stop quietly, like any Unix tool.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except TollgateError as error:
        print(f"tollgate: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
