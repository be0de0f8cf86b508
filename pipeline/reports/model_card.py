"""The model card: on one page, which data made the model, how it compares with
the last release, on which slices it is worse, who approved it, where it was
shipped, and its whole lineage as a graph.

The graph is laid out by Graphviz (`dot`, from Debian's graphviz package),
top to bottom, so it fits the page; each node links to its row of facts.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from components.signoff.records import PAST_TENSE
from pipeline.errors import TollgateError
from pipeline.lineage.records import ModelLineage
from pipeline.reports.comparison import comparison_section
from pipeline.reports.page import badge, esc, facts, page, section, table, write_page
from pipeline.reports.serving import serving_html
from pipeline.reports.statistics import statistics_table

_SHAPES = {"execution": 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"',
           "artifact": 'shape=note, style=filled, fillcolor="#fdf6e3"'}


def to_dot(nodes: dict, edges: list) -> str:
    """The graph as DOT, top to bottom; every node links to its facts on the model card."""
    lines = ["digraph lineage {", '  rankdir=TB; nodesep=0.25; ranksep=0.35;',
             '  node [fontname="Helvetica", fontsize=11, margin="0.08,0.04"]; edge [color="#7b8794"];']
    for node, (label, kind, _) in sorted(nodes.items()):
        text = _dot_string(label)
        lines.append(f'  {node} [label="{text}", {_SHAPES[kind]}, URL="#{node}", tooltip="{text}"];')
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)


def _dot_string(text: str) -> str:
    """A label from the store inside DOT's quotes: a type name may hold quotes
    (`", URL="javascript:..."`), and must never become an attribute of its own."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def to_svg(nodes: dict, edges: list) -> str:
    """The graph laid out by Graphviz, as an inline <svg>."""
    return _laid_out(to_dot(nodes, edges))


@functools.lru_cache(maxsize=512)
def _laid_out(graph: str) -> str:
    """A pure function of the DOT text, remembered: the review desk draws a model's graph once."""
    dot = shutil.which("dot")
    if dot is None:
        raise TollgateError("Graphviz is not installed, and it draws the lineage graph; `make setup` installs it "
                            "(on Debian: apt-get install graphviz)")
    drawn = subprocess.run([dot, "-Tsvg"], input=graph, capture_output=True, text=True, check=True)
    return drawn.stdout[drawn.stdout.index("<svg"):]


def _decision(lineage: ModelLineage) -> str:
    signoff = lineage.signoff or {}
    about = facts([
        ("sign-off", signoff.get("status") or "not requested"), ("requested", signoff.get("requested_at")),
        ("triggered by", signoff.get("triggered_by")), ("approver", signoff.get("approver")),
        ("proof", signoff.get("proof")),
        ("decided", signoff.get("decided_at")), ("comment", signoff.get("comment")),
        ("digest", signoff.get("model_digest")),
    ])
    releases = (table(["serving path", "version", "targets", "released"],
                      [[r.serving_path, r.version, r.targets or "saved_model", r.released_at]
                       for r in lineage.releases], wrap=(0,))
                if lineage.releases else "<p>Not released.</p>")
    return about + "<h3>Where it was shipped</h3>" + releases


def _data(lineage: ModelLineage) -> str:
    data, drift = lineage.data, lineage.drift
    anomalies = lineage.anomalies.found if lineage.anomalies else None
    about = facts([
        ("input", f"{data.input_base} ({', '.join(data.input_patterns)})"),
        ("span", data.span if data.span else "-"), ("fingerprint", data.input_fingerprint),
        ("rows", ", ".join(f"{k} {v:,}" for k, v in sorted(data.rows.items()))),
        ("schema anomalies", "none" if anomalies == [] else anomalies),
        ("drift", "not checked" if drift is None else "no earlier span" if drift.compared_with is None
         else f"against span {drift.previous_span}: {drift.found or 'none'}"),
    ])
    if drift is None or not drift.measurements:
        return about
    rows = [[m["feature"], m["measure"].replace("_", " "), f"{m['value']:.4f}", f"{m['threshold']:.4f}"]
            for m in drift.measurements if m["split"] == "train"]
    return about + "<h3>Drift measured on the training split</h3>" + table(
        ["feature", "measure", "value", "threshold"], rows, numeric=(2, 3))


def _model(lineage: ModelLineage) -> str:
    trainer = lineage.trainer
    return facts([
        ("model", f"{lineage.model.id}: {lineage.model.uri}"), ("run", lineage.run_id),
        ("trained", trainer.trained_at), ("run_fn", trainer.run_fn), ("training", trainer.train_args),
        ("hyperparameters", trainer.hyperparameters), ("code", trainer.code_version),
        ("warm start", f"from model {trainer.base_model.id}" if trainer.base_model else "no"),
        ("embeddings", f"{lineage.embeddings.count} x {lineage.embeddings.dimension}-d"
         if lineage.embeddings else "none"),
    ])


def _graph(svg: str, nodes: dict) -> str:
    rows = [[f"<a id='{node}'></a>{esc(label)}", esc(kind), esc(where)]
            for node, (label, kind, where) in sorted(nodes.items(), key=lambda n: (n[1][1], n[1][0]))]
    return svg + "<h3>Every node of the graph</h3>" + table(["node", "kind", "where or when"], rows, raw=(0, 1, 2),
                                                           wrap=(2,))


def write_model_report(path: Path, lineage: ModelLineage, nodes: dict, svg: str) -> Path:
    """`nodes` (see `pipeline.lineage.graph`) and `svg` are the lineage graph."""
    lede, badges, sections = model_card(lineage, nodes, svg)
    return write_page(path, page("Model card", f"Model {lineage.model.id}", lede, sections, badges))


def model_card(lineage: ModelLineage, nodes: dict, svg: str) -> tuple[str, list[str], list[str]]:
    """The card's lede, badges and sections (HTML, every value escaped): the
    file, and the review desk's page of the model."""
    evaluation, signoff = lineage.evaluation, lineage.signoff or {}
    blessed = evaluation.blessed if evaluation else None
    badges = [badge({True: "blessed", False: "not blessed", None: "not evaluated"}[blessed],
                    {True: "ok", False: "bad", None: "plain"}[blessed]),
              badge(f"sign-off: {signoff.get('status') or 'none'}",
                    {"approve": "ok", "reject": "bad"}.get(signoff.get("status"), "wait")),
              badge("released" if lineage.releases else "not released", "ok" if lineage.releases else "plain")]
    comparison = (comparison_section(evaluation.slices, evaluation.baseline_slices, evaluation.thresholds,
                                     evaluation.baseline_model_id, evaluation.metric)
                  if evaluation else "<p>Not evaluated.</p>")
    shipped = f"released to {lineage.releases[-1].serving_path}" if lineage.releases else "not released"
    status = signoff.get("status")
    decided = (f"{PAST_TENSE[status]} by {signoff['approver']}" if status in PAST_TENSE
               else "awaiting sign-off" if status else "no sign-off asked")
    span = f" span {lineage.data.span}" if lineage.data.span else ""
    lede = f"Trained on {lineage.data.input_base}{span} in run {lineage.run_id}; {decided}; {shipped}."
    sections = [
        section("Against the last release", comparison, "comparison"),
        section("Serving targets", serving_html(lineage.serving), "serving"),
        section("Decision and release", _decision(lineage), "decision"),
        section("Data", _data(lineage), "data"),
        section("Model", _model(lineage), "model"),
        section("Lineage", _graph(svg, nodes), "lineage"),
        section("Training data", statistics_table(lineage.statistics.uri if lineage.statistics else None),
                "statistics"),
    ]
    return lede, badges, sections

