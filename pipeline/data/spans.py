"""Spans: data that arrives in numbered folders, `{data_root}/span-{N}/*.csv`.

CsvExampleGen reads them through TFX's `{SPAN}` pattern and records the span
on the Examples artifact, so lineage can say which span trained a model.
`split_spans` cuts a CSV into such folders by its `[data] time_column`,
for demos and tests.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import shutil
import tempfile
from pathlib import Path

from pipeline.config import LATEST
from pipeline.errors import TollgateError

SPAN_PATTERN = "span-{SPAN}/*.csv"
_FOLDER = re.compile(r"span-(\d+)$")


def spans_in(root: Path) -> dict[int, Path]:
    """The span folders under `root`, by number ({} when it holds none)."""
    if not root.is_dir():
        return {}
    found = {}
    for path in root.iterdir():
        match = _FOLDER.match(path.name)
        if match and path.is_dir():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def chosen_span(root: Path, span: int) -> tuple[int, Path]:
    """The span a run reads: `span`, or the newest when it is LATEST."""
    found = spans_in(root)
    if not found:
        raise TollgateError(f"{root} holds no span-N folders; `tollgate data split-spans` makes some")
    number = max(found) if span == LATEST else span
    if number not in found:
        raise TollgateError(
            f"no span {span} under {root} (it has spans {ranges_text(found)}); pass --span with one of them"
        )
    return number, found[number]


def ranges_text(numbers) -> str:
    numbers = sorted(numbers)
    parts, start = [], numbers[0]
    for previous, current in zip(numbers, numbers[1:] + [None]):
        if current != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = current
    return ",".join(parts)


def parse_spans(text: str) -> list[int]:
    """'1-6', '3' or '1,3,5-7' as an ordered list of span numbers."""
    numbers: list[int] = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise TollgateError(f"spans {text!r}: write them as 3, 1-6 or 1,3,5-7")
        first, last = int(low), int(high or low)
        if last < first:
            raise TollgateError(f"spans {text!r}: {part} runs backwards; write {last}-{first}")
        numbers += [n for n in range(first, last + 1) if n not in numbers]
    return numbers


def _read_rows(source: Path, time_column: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not time_column:
        raise TollgateError("no time column to split by; set [data] time_column to a column of Unix times")
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or time_column not in header:
            raise TollgateError(f"{source} has no {time_column} column to split by; "
                                "set [data] time_column to one of its columns")
        at = header.index(time_column)
        rows = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header) or not row[at].strip().isdigit():
                raise TollgateError(
                    f"{source} line {reader.line_num}: {time_column} must be a Unix time in seconds"
                )
            rows.append((int(row[at]), row))
    if not rows:
        raise TollgateError(f"{source} has no rows to split")
    rows.sort(key=lambda item: item[0])
    return header, rows


def _month(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m")


def _groups(rows: list, count: int | None) -> list[tuple[str, list]]:
    """(label, rows) per span, oldest first: by month, or `count` equal slices."""
    if count is None:
        months: dict[str, list] = {}
        for item in rows:
            months.setdefault(_month(item[0]), []).append(item)
        return list(months.items())
    if not 1 <= count <= len(rows):
        raise TollgateError(f"--count must be between 1 and the number of rows ({len(rows)})")
    edges = [round(i * len(rows) / count) for i in range(count + 1)]
    groups = [rows[a:b] for a, b in zip(edges, edges[1:])]
    return [(f"{_month(g[0][0])}..{_month(g[-1][0])}", g) for g in groups]


def split_spans(source: Path, out_dir: Path, time_column: str, count: int | None = None) -> list[tuple[int, str, int]]:
    """Writes `out_dir/span-N/data.csv` in time order; returns (span, label, rows).

    Everything is written to a scratch folder first, so a failure leaves
    `out_dir` as it was.
    """
    if spans_in(out_dir):
        raise TollgateError(f"{out_dir} already holds span folders; choose an empty folder")
    header, rows = _read_rows(source, time_column)
    groups = _groups(rows, count)
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".split-", dir=out_dir))
    try:
        made = []
        for number, (label, group) in enumerate(groups, start=1):
            folder = scratch / f"span-{number}"
            folder.mkdir()
            with open(folder / "data.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(row for _, row in group)
            made.append((number, label, len(group)))
        for number, _, _ in made:
            os.replace(scratch / f"span-{number}", out_dir / f"span-{number}")
        return made
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
