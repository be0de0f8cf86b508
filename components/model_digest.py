"""What a release serves, and digests of it: one over a SavedModel folder,
and a manifest of every served file (the SavedModel and each runtime target)."""

import hashlib
import os

class ModelChanged(RuntimeError):
    """A model's files differ from those that were signed off."""


# Where the Trainer puts the servable model inside its Model artifact; Pusher
# copies exactly this folder.
SERVING_SUBDIR = "Format-Serving"
# Other runtimes' copies that a release puts beside the SavedModel
# (components/serving_check): not part of what was signed off.
TARGET_FILES = {"tflite": "model.tflite", "onnx": "model.onnx"}
BESIDE_SAVED_MODEL = tuple(TARGET_FILES.values())


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


def folder_files(path: str) -> dict[str, str]:
    """Every file under `path`, by its path relative to it. A link to a folder
    is listed as itself, not walked, so that a check against a manifest names
    it; a folder that cannot be listed raises, rather than being passed over."""
    found = {}
    for root, dirs, files in os.walk(path, onerror=_unlistable):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            found[os.path.relpath(full, path)] = full
    return found


def _unlistable(error: OSError):
    raise error


def served_files(model_uri: str, serving_uri: str, targets: list[str]) -> dict[str, str]:
    """The files a release of the model serves, by their path in the served
    folder: the SavedModel's, and each runtime target's beside them."""
    files = folder_files(os.path.join(model_uri, SERVING_SUBDIR))
    for target in targets:
        if target in TARGET_FILES:
            files[TARGET_FILES[target]] = os.path.join(serving_uri, TARGET_FILES[target])
    return files


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(files: dict[str, str]) -> dict[str, str]:
    """sha256 of each file, by served path: what `sha256sum` prints for it."""
    return {name: file_sha256(files[name]) for name in sorted(files)}


def root_digest(found: dict[str, str]) -> str:
    """sha256 of the manifest as `sha256sum` lists it, paths in byte order:
    `find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum`."""
    listing = "".join(f"{found[name]}  {name}\n" for name in sorted(found))
    return "sha256:" + hashlib.sha256(listing.encode()).hexdigest()
