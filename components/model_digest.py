"""A content digest of a SavedModel folder."""

import hashlib
import os

class ModelChanged(RuntimeError):
    """A model's files differ from those that were signed off."""


# Where the Trainer puts the servable model inside its Model artifact; Pusher
# copies exactly this folder.
SERVING_SUBDIR = "Format-Serving"
# Other runtimes' copies that a release puts beside the SavedModel
# (components/serving_check): not part of what was signed off.
BESIDE_SAVED_MODEL = ("model.tflite", "model.onnx")


def folder_digest(path: str) -> str:
    """sha256 over every file's relative path and bytes, in a fixed order:
    the SavedModel's files only, whatever lies beside it."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        if root == path:
            files = [f for f in files if f not in BESIDE_SAVED_MODEL]
        for name in sorted(files):
            full = os.path.join(root, name)
            digest.update(os.path.relpath(full, path).encode() + b"\0")
            with open(full, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def model_digest(model_uri: str) -> str:
    return folder_digest(os.path.join(model_uri, SERVING_SUBDIR))
