"""`tollgate verify`: is what is (or will be) served exactly what a listed
approver signed off, under this config's keyring and policy (never the
store's, which anyone who can write to it may edit)? One line per check, then a verdict.

MODEL (an id, 'latest' or 'serving') is checked from the store: its signed
decision, its files as a release serves them, and each of its served folders
with the proof beside it. A served folder's PATH needs no store: the signed
decision and the model-signing bundle beside it, and the config's keyring.
"""

from __future__ import annotations

import os
import types
from pathlib import Path

from components.model_digest import folder_files
from components.signoff import decisions, keys, proof, records
from pipeline.config import TollgateConfig
from pipeline.lineage.model import releases_of, resolve_model
from pipeline.lineage.proof import trust_of
from pipeline.lineage.signoff import latest_request
from pipeline.lineage.store import store_for

DECISION_SUFFIX, SIGNATURE_SUFFIX = ".decision.json", ".sig"


class Report:
    """Collects (check, ok, detail) lines; `failed` once any check fails."""

    def __init__(self):
        self.lines: list[tuple[str, bool, str]] = []

    def held(self, check: str, detail: str) -> None:
        self.lines.append((check, True, detail))

    def run(self, check: str, step) -> object:
        """Runs one step; a failure is recorded under `check` and ends the report."""
        try:
            return step()
        except (decisions.ProofFailed, keys.KeyProblem, OSError) as failed:
            self.lines.append((check, False, str(failed)))
            raise StopChecking from None

    @property
    def failed(self) -> bool:
        return any(not ok for _, ok, _ in self.lines)


class StopChecking(Exception):
    """A check failed: the checks after it cannot be trusted to mean anything."""


def verify(config: TollgateConfig, target: str) -> Report:
    report = Report()
    try:
        # A bare name ('3', 'serving') is a model even where a folder has that name.
        if os.sep in target and os.path.isdir(target):
            _served_folder(config, Path(target), report)
        else:
            _model(config, target, report)
    except StopChecking:
        pass
    return report


def _model(config: TollgateConfig, target: str, report: Report) -> None:
    store = store_for(config)
    model_id = resolve_model(store, target)
    request = latest_request(store, model_id)
    decision = records.decision_for(store, request.id)
    if decision is None or decision.decision != records.APPROVE:
        what = f"{decision.decision}ed by {decision.approver}" if decision else "not decided"
        report.run("decision", lambda: _fail(f"model {model_id} is {what}; nothing approved it"))
    trusted = report.run("keyring", lambda: trust_of(config))
    report.run("proof", lambda: decisions.prove(request, decision, trusted, report=report.held))
    for release in releases_of(store, model_id):
        if os.path.isdir(release.serving_path):  # a pruned old version serves nothing
            _served_folder(config, Path(release.serving_path), report)


def _served_folder(config: TollgateConfig, folder: Path, report: Report) -> None:
    trusted = report.run("keyring", lambda: trust_of(config))
    keyring = trusted.keyring
    if folder.is_symlink():  # what it points at can change after the check
        report.run("served", lambda: _fail(f"{folder} is a link; give the served folder itself"))
    envelope = report.run("served", lambda: Path(f"{folder}{DECISION_SUFFIX}").read_text())
    signed, name = report.run("signature", lambda: proof.open_envelope(envelope, keyring))
    said = signed["predicate"]
    if said.get("decision") != records.APPROVE:
        report.run("decision", lambda: _fail(f"{folder} carries a {said.get('decision')} decision"))
    report.held("signature", f"{folder.name}{DECISION_SUFFIX} signed by {name} ({keyring.describe()})")
    # The policy needs only what was signed: who approved, and who triggered the run.
    asked = types.SimpleNamespace(triggered_by=said.get("triggered_by"), model_id=said.get("model_id"))
    report.run("policy", lambda: _allowed(trusted, name, asked))
    report.held("policy", f"{name} may approve model {said.get('model_id')}, triggered by {asked.triggered_by}")
    found = report.run("files", lambda: proof.check_files(signed, folder_files(str(folder)), str(folder)))
    report.held("files", f"{len(said['files'])} files in {folder} match the signed manifest")
    if proof.signed_with_passkey(envelope):
        # A passkey signs WebAuthn's form only: what was approved is the manifest it signed, checked above.
        report.held("model signing", f"none: {name} approved with a passkey, whose signature covers the manifest")
        return
    public, _ = keyring.key_for(said["key_id"])
    report.run("model signing", lambda: proof.verify_folder(folder, Path(f"{folder}{SIGNATURE_SUFFIX}"), public, found))
    report.held("model signing", f"OpenSSF model signing verifies {folder} with {name}'s key")


def _allowed(trusted, name: str, asked) -> None:
    try:
        trusted.policy.check(name, asked)
    except records.SignOffRefused as refused:
        raise decisions.ProofFailed(f"policy: {refused}") from None


def _fail(message: str):
    raise decisions.ProofFailed(message)
