"""`tollgate lineage` and `tollgate audit`: answers from the store, no TensorFlow."""

from __future__ import annotations

import argparse
import json

from components.metrics import metric_named
from pipeline.cli.common import config_from_args
from pipeline.cli.render import metric_text
from pipeline.errors import TollgateError


def cmd_lineage(args: argparse.Namespace) -> int:
    from pipeline.lineage.model import model_lineage, models_trained_on, resolve_model
    from pipeline.lineage.proof import trust_of
    from pipeline.lineage.store import store_for
    from pipeline.lineage.text import render_text

    config = config_from_args(args)
    store = store_for(config)
    if args.data:
        return _print_trained_on(models_trained_on(store, args.data), args.data, args.json)
    if not args.model:
        raise TollgateError("name a MODEL (an id, 'latest', 'serving' or a pushed path), or pass --data")
    lineage = model_lineage(store, resolve_model(store, args.model), trust_of(config))
    form = "json" if args.json else args.format
    if form in ("dot", "html"):
        from pipeline.lineage.graph import model_graph
        from pipeline.reports.model_card import to_dot, to_svg, write_model_report

        nodes, edges = model_graph(store, lineage)
        if form == "dot":
            print(to_dot(nodes, edges))
        else:
            path = config.reports_dir / f"model-{lineage.model.id}.html"
            print(write_model_report(path, lineage, nodes, to_svg(nodes, edges)))
        return 0
    print(json.dumps(lineage.to_json(), indent=2) if form == "json" else render_text(lineage))
    return 0


def _print_trained_on(models: list, data: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps([m.to_json() for m in models], indent=2))
        return 0
    if not models:
        print(f"no model was trained on {data}")
    for m in models:
        where = ", ".join(r.serving_path for r in m.releases) or "not released"
        print(f"model {m.model_id}  examples {m.examples_id}  sign-off {m.signoff or '-'}  {where}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from pipeline.lineage.model import audit
    from pipeline.lineage.proof import trust_of
    from pipeline.lineage.store import store_for

    config = config_from_args(args)
    store, trusted = store_for(config), trust_of(config)
    entries = audit(store, args.since, trusted)
    chain = None
    if args.verify:
        from pipeline.lineage.chain import check_chain

        chain = check_chain(store, config.pipeline_name, trusted.keyring)
    if args.json or args.format == "json":
        releases = [e.to_json() for e in entries]
        print(json.dumps({"releases": releases, "chain": chain.to_json()} if chain else releases, indent=2))
    elif args.format == "html":
        from pipeline.reports.audit import write_audit_report

        print(write_audit_report(config.reports_dir / "audit.html", config.pipeline_name, entries))
    else:
        _print_audit(entries)
    if chain and not (args.json or args.format == "json"):
        print(chain.line())
    return 1 if chain and chain.problem else 0


def _print_audit(entries: list) -> None:
    for e in entries:
        key = metric_named(e.metric).key
        print(
            f"{e.released_at}  model {e.model_id}  {e.metric} {metric_text(e.metrics or {}, key)}  "
            f"approved by {e.approver or '-'}  {e.serving_path}  data {e.data}\n  proof {e.proof}"
        )


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
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
    audit.add_argument("--format", choices=("text", "json", "html"), default="text",
                       help="html writes a timeline page, with a chart of the primary metric across releases, "
                            "and prints its path")
    audit.add_argument("--verify", action="store_true",
                       help="walk the audit trail: name the first record changed, removed or inserted (exit 1)")
    audit.set_defaults(handler=cmd_audit)
