"""What every Tollgate page shares: one page shell, one look, and the pieces pages are made of.

Pages are one self-contained HTML file each: styles inline, charts as inline
SVG, no scripts, no fonts or images from the network. They open from disk,
in the KFP UI's sandboxed frame and on air-gapped clusters, years later.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from typing import Iterable

STYLE = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--wash:#f5f7fa;--head:#102a43;
--ok:#1f7a45;--ok-bg:#e3f9e5;--bad:#b42318;--bad-bg:#fdecea;--wait:#8d5a00;--wait-bg:#fff4d6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--wash)}
header.top{background:var(--head);color:#fff;padding:.55rem 1.5rem;display:flex;gap:1rem;align-items:baseline}
header.top b{letter-spacing:.03em}header.top span{color:#bcccdc;font-size:.9rem}
main{max-width:1180px;margin:0 auto;padding:.5rem 1.5rem 2rem}
h1{font-size:1.55rem;margin:.9rem 0 .2rem}.lede{color:var(--muted);margin:0 0 .6rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.9rem 1.2rem;margin:1rem 0}
h2{font-size:1.12rem;margin:0 0 .5rem}h3{font-size:.98rem;margin:.8rem 0 .3rem}
p{margin:.3rem 0 .6rem}.muted{color:var(--muted)}
.badges{display:flex;flex-wrap:wrap;gap:.45rem;margin:.2rem 0 .4rem}
.badge{border-radius:999px;padding:.1rem .7rem;font-size:.85rem;font-weight:600;border:1px solid}
.ok{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.bad{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
.wait{color:var(--wait);background:var(--wait-bg);border-color:var(--wait)}
.plain{color:var(--muted);background:#fff;border-color:var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1.2rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.3rem 0 .6rem}
th{font-weight:600;color:var(--muted);border-bottom:2px solid var(--line)}
th,td{padding:.3rem .5rem;text-align:left;vertical-align:middle;border-bottom:1px solid var(--line);
overflow-wrap:break-word}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wrap{overflow-wrap:anywhere}.spark{width:150px}
tr.worse td{background:var(--bad-bg)}tr.muted td{color:var(--muted)}
svg{max-width:100%;height:auto;display:block}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:.5rem}
a{color:#1d4ed8}
footer{color:var(--muted);font-size:.8rem;text-align:center;padding:0 1rem 1.5rem}
"""


def esc(value) -> str:
    return html.escape(str(value))


def fmt(value, places: int = 4) -> str:
    return f"{value:.{places}f}" if isinstance(value, float) else str(value)


def badge(text: str, tone: str = "plain") -> str:
    """tone: ok, bad, wait or plain."""
    return f'<span class="badge {tone}">{esc(text)}</span>'


def facts(pairs: Iterable[tuple[str, object]]) -> str:
    """Label and value, one per line, in a two-column grid; None shows as -."""
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc('-' if v is None else v)}</dd>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>'


def table(header: list[str], rows: list[list], classes: list[str] | None = None,
          numeric: Iterable[int] = (), raw: Iterable[int] = (), wrap: Iterable[int] = ()) -> str:
    """A table; columns in `numeric` align right, cells in `raw` columns are HTML
    already, and `wrap` columns (paths, URIs) may break anywhere to fit the page."""
    numeric, raw, wrap = set(numeric), set(raw), set(wrap)

    def cell(tag: str, index: int, value) -> str:
        kind = ' class="num"' if index in numeric else ' class="wrap"' if index in wrap else ""
        return f"<{tag}{kind}>{value if index in raw else esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{classes[n]}"' if classes and classes[n] else ""
        body.append(f"<tr{cls}>{''.join(cell('td', i, c) for i, c in enumerate(row))}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(title: str, body: str, anchor: str = "") -> str:
    name = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{name}><h2>{esc(title)}</h2>{body}</section>"


def page(kind: str, title: str, lede: str, sections: Iterable[str], badges: Iterable[str] = ()) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tags = "".join(badges)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<header class='top'><b>Tollgate</b><span>{esc(kind)}</span></header><main>"
        f"<h1>{esc(title)}</h1>{f'<div class=badges>{tags}</div>' if tags else ''}"
        f"<p class='lede'>{esc(lede)}</p>{''.join(sections)}</main>"
        f"<footer>Written by Tollgate at {stamp}. One self-contained file: no scripts, nothing from the network."
        "</footer></body></html>"
    )


def write_page(path: Path, text: str) -> Path:
    """Writes the page beside its final name and renames it: no reader sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text)
    scratch.replace(path)
    return path
