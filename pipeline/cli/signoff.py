"""`tollgate pending | approve | reject | show | release`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from components.metrics import summary_metric
from pipeline.cli.common import config_from_args
from pipeline.cli.render import finish, metric_text
from pipeline.lineage import serving


def _metric_text(summary: dict) -> str:
    """The configured metric overall, and on the worst slice: 'accuracy 0.9571 (worst digit=8: 0.8596)'."""
    metric = summary_metric(summary)
    text = f"{metric.name} {metric_text(summary.get('overall') or {}, metric.key)}"
    worst = summary.get("worst_slice")
    return text + (f" (worst {worst['slice']}: {metric_text(worst['metrics'], metric.key)})" if worst else "")


def cmd_pending(args: argparse.Namespace) -> int:
    from pipeline.lineage.signoff import pending

    requests = pending(config_from_args(args))
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in requests], indent=2))
        return 0
    if not requests:
        print("no sign-off requests are waiting")
    for r in requests:
        print(
            f"request {r.id}  model {r.model_id}  {r.requested_at}  by {r.triggered_by}  "
            f"{_metric_text(r.eval_summary)}\n  {r.approve_command}"
        )
        for line in serving.lines(r.eval_summary.get("serving")):
            print(f"  serving {line}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from components.signoff.records import PAST_TENSE
    from pipeline.lineage.signoff import decide

    request, decision = decide(config_from_args(args), args.model, args.decision, args.comment or "",
                               by=args.by, key_path=args.key)
    print(f"model {decision.model_id}: {PAST_TENSE[decision.decision]} by {decision.approver} "
          f"({decision.decided_at}), signed with key {decision.key_id}")
    if decision.decision == "approve":
        print(f"release it with: {request.release_command}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from pipeline.lineage.signoff import show

    state = show(config_from_args(args), args.model)
    if args.json:
        print(json.dumps(state, indent=2))
        return 0
    print(f"model     {state['model_id']}  ({state['state']})")
    print(f"uri       {state['uri']}")
    if state["request"]:
        r = state["request"]
        print(f"request   {r['id']} at {r['requested_at']} by {r['triggered_by']}, digest {r['model_digest']}")
        print(f"metric    {_metric_text(r['eval_summary'])}")
        for line in serving.lines(r["eval_summary"].get("serving")):
            print(f"serving   {line}")
    if state["decision"]:
        d = state["decision"]
        print(f"decision  {d['decision']} by {d['approver']} at {d['decided_at']}: {d['comment'] or '-'}")
        print(f"proof     {state['proof']}")
    for path in state["released_to"]:
        print(f"released  {path}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from pipeline.local.release import release

    config = config_from_args(args)
    return finish(lambda: release(config, args.model), args.json)


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
    add("pending", "list sign-off requests awaiting a decision").set_defaults(handler=cmd_pending)
    for name, needs_comment in (("approve", False), ("reject", True)):
        decide = add(name, f"{name} a model that awaits sign-off")
        decide.add_argument("model", type=int, help="model artifact id")
        decide.add_argument("--by", help="a check: the keyring's name for your key must be this")
        decide.add_argument("--key", type=Path, help="your private key (default: $TOLLGATE_KEY, "
                                                     "else ~/.tollgate/keys/<you>.pem)")
        decide.add_argument("--comment", required=needs_comment, help="why")
        decide.set_defaults(handler=cmd_decide, decision=name)
    show = add("show", "a model's state: request, decision, releases")
    show.add_argument("model", type=int, help="model artifact id")
    show.set_defaults(handler=cmd_show)
    release = add("release", "push an approved model, replaying its run from the cache")
    release.add_argument("model", type=int, help="model artifact id")
    release.set_defaults(handler=cmd_release)
