"""Which tests `make test`'s workers (pytest-xdist, `--dist loadgroup`) keep together.

A module- or session-scoped fixture is built once per worker that asks for
it. A trained run costs minutes, so every test that shares one, directly or
through another shared fixture, goes to one worker as one group, and the
fixture is built once. Tests that share nothing costly are handed out one by
one. Without xdist the marks do nothing.
"""

from __future__ import annotations

import pytest

# Cheap enough to start once per worker: splitting their users is worth more.
PER_WORKER = frozenset({"mariadb", "browser"})
SHARED_SCOPES = frozenset({"session", "package", "module"})


def _ours_and_shared(definition) -> bool:
    """A shared fixture of this suite's, not one of pytest's or a plugin's (tmp_path_factory)."""
    return definition.scope in SHARED_SCOPES and bool(definition.baseid)


def _shared_fixtures(item) -> list[str]:
    """The costly shared fixtures `item` uses, each by where it is defined, a
    parametrized one per parameter."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    params = getattr(getattr(item, "callspec", None), "params", {})
    names = []
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions or name in PER_WORKER or not _ours_and_shared(definitions[-1]):
            continue
        # Two modules may each define their own `story`: the definition's place tells them apart.
        # No brackets: xdist reads a node id ending in "]" as a parametrized test
        # with no group, and hands its tests out one by one.
        key = f"{definitions[-1].baseid}::{name}"
        names.append(f"{key}.{params[name]}" if name in params else key)
    return names


def group_by_shared_fixtures(items) -> None:
    """Marks each test with the group of every test it shares a costly fixture with."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    shared = {item.nodeid: _shared_fixtures(item) for item in items}
    for names in shared.values():
        for other in names[1:]:
            parent[root(other)] = root(names[0])
    for item in items:
        names = shared[item.nodeid]
        if names:
            item.add_marker(pytest.mark.xdist_group(root(names[0])))
