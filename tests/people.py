"""Approvers as the tests play them: each with a key pair in the test session's
home (conftest.py points $HOME at a fresh folder), made on first use."""

from pathlib import Path

from components.signoff import keys
from components.signoff.records import APPROVE


def key_of(name: str) -> Path:
    path = keys.default_key_path(name)
    if not path.exists():
        keys.generate(path, name)
    return path


def approve(config, model_id: int, name: str, comment: str = ""):
    """`name` approves with their own key, as `tollgate approve` does; the decision."""
    from pipeline.lineage.signoff import decide

    return decide(config, model_id, APPROVE, comment, key_path=key_of(name))[1]
