"""Publish's work, without TFX: check the staged copy, then rename it into the
serving folder under an exclusive lock (see component.py for the contract)."""

import contextlib
import fcntl
import os
import shutil

from components.model_digest import ModelChanged, folder_digest, folder_files
from components.signoff.proof import ProofFailed, check_files

# The proof a release carries, beside its version folder: the signed decision
# (DSSE) and the OpenSSF model-signing bundle, `<version>.decision.json` and `<version>.sig`.
PROOF_SUFFIXES = (".decision.json", ".sig")


def served_versions(serving_dir: str) -> list[str]:
    if not os.path.isdir(serving_dir):
        return []
    return sorted((v for v in os.listdir(serving_dir) if v.isdigit()), key=int)


def publish_staged(staged_path: str, serving_dir: str, version: str, proof: tuple[str, str]) -> str:
    """Renames the staged model into the serving folder, its proof written beside
    it first, so a server never sees a version without one; returns its path."""
    os.makedirs(serving_dir, exist_ok=True)
    number = int(version)
    # Two pushes in one second share a timestamp version: take the next free one.
    while os.path.exists(os.path.join(serving_dir, str(number))):
        number += 1
    final = os.path.join(serving_dir, str(number))
    for suffix, text in zip(PROOF_SUFFIXES, proof):
        if text:  # a passkey's decision has no model-signing bundle
            with open(final + suffix, "w") as handle:
                handle.write(text)
    os.rename(staged_path, final)
    return final


def _stage_beside(staged: str, beside: list[str]) -> None:
    for path in beside:
        shutil.copyfile(path, os.path.join(staged, os.path.basename(path)))


def _check_staged(staged: str, signed: dict) -> None:
    try:
        check_files(signed, folder_files(staged), "the staged copy")
    except ProofFailed as failed:
        shutil.rmtree(staged, ignore_errors=True)
        raise ModelChanged(f"{failed}; it was not published") from None


def release_model(staged: str, version: str, serving_dir: str, approved_digest: str,
                  signed: dict, proof: tuple[str, str], beside: list[str] = ()) -> str:
    """Checks the staged copy, with the `beside` files, against the signed
    manifest, then publishes it with its `proof`; returns the serving path."""
    if not os.path.isdir(staged):
        return _published_before(staged, serving_dir, approved_digest)
    digest = folder_digest(staged)
    if approved_digest and digest != approved_digest:
        shutil.rmtree(staged, ignore_errors=True)
        raise ModelChanged(
            f"the model being pushed ({digest}) is not the one signed off "
            f"({approved_digest}); it was not published"
        )
    _stage_beside(staged, beside)
    _check_staged(staged, signed)
    with one_publisher(serving_dir):
        versions = served_versions(serving_dir)
        if versions and folder_digest(os.path.join(serving_dir, versions[-1])) == digest:
            shutil.rmtree(staged, ignore_errors=True)
            return os.path.join(serving_dir, versions[-1])
        return publish_staged(staged, serving_dir, version, proof)


def _published_before(staged: str, serving_dir: str, approved_digest: str) -> str:
    """A run killed after the rename but before TFX recorded the step leaves
    no staged copy; its resume finds the version that rename made."""
    with one_publisher(serving_dir):
        for served in reversed(served_versions(serving_dir)):
            path = os.path.join(serving_dir, served)
            if approved_digest and folder_digest(path) == approved_digest:
                return path
    raise ModelChanged(
        f"the staged copy {staged} is gone and no served version holds the signed-off model "
        f"({approved_digest or 'no digest'}); it was not published: run the release again"
    )


@contextlib.contextmanager
def one_publisher(serving_dir: str):
    """One publisher at a time per serving folder: on this host, and across hosts
    on filesystems with POSIX locks (NFSv4; not object stores)."""
    os.makedirs(serving_dir, exist_ok=True)
    with open(os.path.join(serving_dir, ".publish.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
