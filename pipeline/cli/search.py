"""`tollgate search`: nearest examples in the served vector index."""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.cli.common import config_from_args
from pipeline.errors import TollgateError


def _filled_note(given: list[str], filled: list[str]) -> str:
    return (
        f"tollgate: embedded the row from {', '.join(given)}; the {len(filled)} other column(s) "
        f"were taken as empty cells: {', '.join(filled)}"
    )


def cmd_search(args: argparse.Namespace) -> int:
    from pipeline.search import query

    config = config_from_args(args)
    if args.k <= 0:
        raise TollgateError("-k must be a positive number of results")
    if args.like is not None:
        found = query.like(config, args.like, args.k)
    else:
        results = query.by_row(config, args.row, args.k)
        found = results.hits
        if results.filled:
            print(_filled_note(results.given, results.filled), file=sys.stderr)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for rank, hit in enumerate(found, 1):
        source = "  ".join(f"{k}={v}" for k, v in (hit["source"] or {}).items())
        print(f"{rank:>3}  {hit['key']:>19}  {hit['distance']:9.4f}  {hit['split']:<6} {source}")
    return 0


def register(sub, add) -> None:
    """Adds the command to the `tollgate` parser; `add` makes one subcommand."""
    search = add("search", "nearest examples in the served vector index")
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--like", type=int, help="an example key, as printed by an earlier search")
    query.add_argument(
        "--row", help="an ad-hoc row, 'column=value,...', embedded by the served model; "
        "columns left out are taken as empty cells",
    )
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    search.set_defaults(handler=cmd_search)
