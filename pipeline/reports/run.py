"""The page of one run: the verdict, how the model compares with the last
release, what data it was trained on, every step, and the data's statistics."""

from __future__ import annotations

from pathlib import Path

from components.statistics import read_statistics
from pipeline.lineage.data import json_prop, prop
from pipeline.lineage.runs import RunRecord, step_outputs
from pipeline.reports.comparison import comparison_section
from pipeline.reports.evaluation import Evaluated
from pipeline.reports.page import badge, facts, page, section, table, write_page
from pipeline.reports.serving import serving_html
from pipeline.reports.statistics import statistics_table

_STATUS = {"succeeded": "ok", "awaiting sign-off": "wait", "stopped at sign-off": "wait", "failed": "bad"}


def _data(store, record: RunRecord) -> list[tuple[str, object]]:
    """Where the run's examples came from, and how many per split."""
    step = next((s for s in record.steps if s.node.endswith("ExampleGen")), None)
    if step is None:
        return [("data", "not read")]
    [example_gen] = store.get_executions_by_id([step.execution_id])
    examples = step_outputs(store, record, step.node).get("Examples")
    patterns = [s.get("pattern") for s in json_prop(example_gen, "input_config").get("splits", [])]
    statistics = step_outputs(store, record, "StatisticsGen").get("ExampleStatistics")
    rows = {split: sum(d.num_examples for d in s.datasets)
            for split, s in read_statistics(statistics.uri).items()} if statistics else {}
    span = prop(examples, "span") if examples is not None else None
    return [("data", f"{prop(example_gen, 'input_base')} ({', '.join(patterns)})"),
            ("span", span if span else "-"), ("rows", ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) or "-")]


def _state(step, summary: dict) -> str:
    """The step's state; a sign-off still awaited is a stop, not a failure."""
    if step.node == "SignOff" and step.state == "failed" and "sign-off" in summary["status"]:
        return "waits for a decision"
    return step.state


def _badges(summary: dict) -> list[str]:
    signoff = summary.get("signoff") or {}
    verdict = {True: ("blessed", "ok"), False: ("not blessed", "bad"), None: ("not evaluated", "plain")}
    found = [badge(summary["status"], _STATUS.get(summary["status"], "plain")),
             badge(*verdict[summary["blessed"]])]
    if signoff:
        found.append(badge(f"sign-off: {signoff['status']}", {"approve": "ok", "reject": "bad"}.get(signoff["status"], "wait")))
    found.append(badge("released" if summary["pushed"] else "not released", "ok" if summary["pushed"] else "plain"))
    return found


def write_run_report(path: Path, summary: dict, store, record: RunRecord, found: Evaluated | None) -> Path:
    """`summary` is RunSummary.to_json(); `found` what the Evaluator found (None: it did not run)."""
    signoff = summary.get("signoff") or {}
    comparison = (comparison_section(found.slices, found.baseline, found.thresholds, found.baseline_id, found.metric)
                  if found else "<p>The run stopped before the Evaluator.</p>")
    about = facts([
        ("run", summary["run_id"]), ("started", summary["started"]), ("took", f"{summary['seconds']:.1f} s"),
        ("model", summary["model_id"]), *_data(store, record),
        ("sign-off", signoff.get("status")), ("approver", signoff.get("approver")),
        ("released to", summary["pushed"]), ("log", summary["log"]),
    ])
    steps = table(["step", "state", "seconds"], [[s.node, _state(s, summary), f"{s.seconds:.1f}"]
                                                 for s in record.steps], numeric=(2,))
    statistics = step_outputs(store, record, "StatisticsGen").get("ExampleStatistics")
    sections = [
        section("Against the last release", comparison, "comparison"),
        section("Serving targets", serving_html(summary.get("serving")), "serving"),
        section("This run", about, "run"),
        section("Steps", steps, "steps"),
        section("Training data", statistics_table(statistics.uri if statistics else None), "data"),
    ]
    lede = (f"Model {summary['model_id']}, trained in run {summary['run_id']}."
            if summary["model_id"] else f"Run {summary['run_id']} made no model.")
    return write_page(path, page("Run report", f"Run {summary['run_id']}", lede, sections, _badges(summary)))
