"""Stages of a story, each built once and handed to every test as a fresh copy.

A stage is the whole state folder ($TOLLGATE_HOME: the store, artifacts,
serving folder, vector index) at one point of a story. Artifact URIs in the
store are absolute, so a copy is always restored to the same path; a test
can then change it freely without another test ever seeing the change.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable


class Stages:
    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.facts: dict[str, dict] = {}
        self._builders: dict[str, tuple[str | None, Callable[[], dict]]] = {}

    def define(self, name: str, after: str | None, build: Callable[[], dict]) -> None:
        """`build` turns stage `after` (None: an empty home) into `name`; it returns facts to keep."""
        self._builders[name] = (after, build)

    def enter(self, name: str) -> dict:
        """Makes the home exactly stage `name` (building it the first time); returns its facts."""
        saved = self.root / f"stage-{name}"
        if name not in self.facts:
            after, build = self._builders[name]
            facts = dict(self.enter(after)) if after else self._empty()
            facts.update(build())
            shutil.copytree(self.home, saved)
            self.facts[name] = facts
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.copytree(saved, self.home)
        return self.facts[name]

    def _empty(self) -> dict:
        shutil.rmtree(self.home, ignore_errors=True)
        return {}
