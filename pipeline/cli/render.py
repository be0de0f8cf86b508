"""How results look in a terminal: run summaries and failures."""

from __future__ import annotations

import json
import sys

from pipeline.cli.common import EXIT_RUN_FAILED
from components.signoff.records import review_link
from pipeline.lineage import serving


def metric_text(metrics: dict, name: str) -> str:
    value = metrics.get(name)
    return "n/a" if value is None else f"{value:.4f}"


def _verdict(blessed: bool | None) -> str:
    if blessed is None:
        return "not evaluated"
    return "BLESSED" if blessed else "NOT BLESSED: below the evaluation thresholds, so nothing was pushed"


def _signoff_lines(signoff: dict | None, review: str) -> list[str]:
    if not signoff:
        return []
    if signoff["status"] == "pending":
        return [
            f"sign-off  PENDING (request {signoff['request_id']}); nothing is pushed until approved",
            f"          approve: {signoff['approve_command']}",
            f"          release: {signoff['release_command']}",
            *([f"          review:  {review}"] if review else []),
        ]
    return [f"sign-off  {signoff['status']} by {signoff['approver']} at {signoff['decided_at']}"]


def print_summary(summary, base_url: str = "") -> None:
    run = summary.to_json()
    overall = run["metrics"]["overall"]
    worst = run["metrics"]["worst_slice"]
    metric = summary.metric
    lines = [
        f"run       {run['run_id']}  ({run['status']}, {run['seconds']:.1f}s)",
        f"model     {run['model_id']}",
        f"overall   {metric.name} {metric_text(overall, metric.key)}  examples {int(overall.get('example_count', 0))}",
    ]
    if worst:
        lines.append(
            f"worst     {worst['slice']}: {metric.name} {metric_text(worst['metrics'], metric.key)} "
            f"({int(worst['metrics'].get('example_count', 0))} examples)"
        )
    lines += [f"verdict   {_verdict(summary.blessed)}"]
    lines += [f"serving   {line}" for line in serving.lines(run["serving"])]
    lines += _signoff_lines(run["signoff"], review_link(base_url, run["model_id"]))
    lines += [f"pushed    {run['pushed'] or '-'}", f"report    {run['report']}", f"log       {run['log']}"]
    print("\n".join(lines))


def print_failure(failure) -> None:
    print(f"tollgate: run failed: {failure}", file=sys.stderr)
    for line in failure.details:
        print(f"  {line}", file=sys.stderr)


def finish(run, as_json: bool, base_url: str = "") -> int:
    """Runs `run` (a run or a replay), then prints its summary (with a link to
    the review desk at `base_url`, if a sign-off waits) or its failure."""
    from pipeline.local.summary import RunFailed

    try:
        summary = run()
    except RunFailed as failure:
        print_failure(failure)
        return EXIT_RUN_FAILED
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print_summary(summary, base_url)
    return 0
