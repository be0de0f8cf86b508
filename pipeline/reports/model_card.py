"""The model card: a model's lineage graph (DOT text, or SVG drawn here,
offline) and every fact about it on one self-contained page.

The SVG uses a plain layered layout, so no Graphviz binary is needed to look
at it. The graph itself comes from `pipeline.lineage.graph`.
"""

from __future__ import annotations

import html
from pathlib import Path

from pipeline.lineage.records import ModelLineage
from pipeline.lineage.text import metrics_text
from pipeline.reports.page import statistics_section, table, write_page

_W, _H, _DX, _DY = 190, 34, 230, 52


def to_dot(nodes: dict, edges: list) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;"]
    for node, (label, kind) in sorted(nodes.items()):
        shape = "box" if kind == "execution" else "ellipse"
        lines.append(f'  {node} [label="{label}", shape={shape}];')
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)


def _layers(nodes: dict, edges: list) -> dict:
    """Each node's column: the longest path to it from a source."""
    layer = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    return layer


def to_svg(nodes: dict, edges: list) -> str:
    layer = _layers(nodes, edges)
    rows: dict[int, int] = {}
    position = {}
    for node in sorted(nodes, key=lambda n: (layer[n], n)):
        row = rows.get(layer[node], 0)
        rows[layer[node]] = row + 1
        position[node] = (20 + layer[node] * _DX, 20 + row * _DY)
    width = 40 + (max(layer.values(), default=0) + 1) * _DX
    height = 40 + max(rows.values(), default=1) * _DY
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
    ]
    for a, b in edges:
        (x1, y1), (x2, y2) = position[a], position[b]
        parts.append(
            f'<line x1="{x1 + _W}" y1="{y1 + _H / 2}" x2="{x2}" y2="{y2 + _H / 2}" '
            'stroke="#555" marker-end="url(#arrow)"/>'
        )
    for node, (label, kind) in nodes.items():
        x, y = position[node]
        radius = 4 if kind == "execution" else 16
        fill = "#dbe9f6" if kind == "execution" else "#f6f0db"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="{radius}" fill="{fill}" stroke="#777"/>'
            f'<text x="{x + _W / 2}" y="{y + _H / 2 + 4}" text-anchor="middle">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def write_model_report(path: Path, lineage: ModelLineage, text: str, svg: str) -> Path:
    """One self-contained page per model: the graph, then every fact."""
    signoff = lineage.signoff or {}
    slices = lineage.evaluation.slices if lineage.evaluation else []
    metrics = [[s.slice, metrics_text(s.metrics) or "-"] for s in slices]
    decisions = [[k, signoff.get(k) or "-"] for k in ("status", "approver", "decided_at", "comment", "triggered_by")]
    body = (
        f"{svg}<h2>Facts</h2><pre>{html.escape(text)}</pre>"
        f"<h2>Evaluation, per slice</h2>{table(['slice', 'metrics'], metrics)}"
        f"<h2>Decisions</h2>{table(['', ''], decisions)}"
        + statistics_section(lineage.statistics.uri if lineage.statistics else None, "<h2>Training data</h2>")
    )
    return write_page(Path(path), f"Model {lineage.model.id}: lineage", body)

