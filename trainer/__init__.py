"""Tollgate's model code: the Transform preprocessing_fn and the Keras trainer."""

import hashlib
from pathlib import Path


def code_version(package_dir: Path | None = None) -> str:
    """A hash of this package's source files.

    Transform and Trainer name their code by import path, which TFX's cache
    cannot see into; passing this hash as a parameter makes a code change
    re-run them, and records in MLMD exactly which code made each model.
    """
    digest = hashlib.sha256()
    for path in sorted((package_dir or Path(__file__).parent).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]
