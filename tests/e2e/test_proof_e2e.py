"""Proof of sign-off against the attacks it exists for, on SQLite and on the
suite's MariaDB: each ends with nothing released, one readable line naming
what failed, and a non-zero exit. The story is tests/e2e/proof_story.py's:
alice approved and released model A; model B awaits sign-off.
"""

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.model_digest import SERVING_SUBDIR
from components.signoff import decisions, keys, records
from tests.e2e.proof_story import Story

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900), pytest.mark.usefixtures("mysql_password")]


@pytest.fixture
def fresh(proof_story):
    proof_story.restore()
    return proof_story


def refused(story: Story, model: int, words: str) -> None:
    """`verify` names the failure; `release` refuses in one line; nothing new is served."""
    served = story.project.served()
    checked = story.project.tollgate("verify", str(model), expect=1)
    assert words in checked and "verdict  NOT VERIFIED" in checked, checked
    release = story.project.start("release", str(model))
    out, err = release.communicate(timeout=600)
    assert release.returncode == 2, err
    [line] = err.strip().splitlines()
    assert line.startswith("tollgate: error:") and "Traceback" not in err
    assert story.project.served() == served


def test_a_release_verifies_with_tollgate_and_with_model_signing_alone(fresh, tmp_path):
    a = fresh.models["A"]
    checked = fresh.project.tollgate("verify", "serving")
    _, decision = fresh.request_and_decision(a)
    assert f"signed by alice, key {decision.key_id}" in checked and checked.endswith("verdict  VERIFIED\n")
    [folder] = [r["serving_path"] for r in fresh.project.tollgate("lineage", str(a), "--json")["releases"]]
    # The auditor's public key comes from the reviewed keyring, with standard tools.
    [line] = [l for l in (fresh.project.root / "keyring").read_text().splitlines() if l.startswith("alice ")]
    pem = tmp_path / "alice.pub"
    subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-out", str(pem)],
                   input=base64.b64decode(line.split()[2]), check=True)
    upstream = [sys.executable, "-m", "model_signing", "verify", "key", folder,
                "--signature", f"{folder}.sig", "--public_key", str(pem)]
    assert subprocess.run(upstream, capture_output=True).returncode == 0
    with open(f"{folder}/variables/variables.data-00000-of-00001", "ab") as handle:
        handle.write(b"\0")
    assert subprocess.run(upstream, capture_output=True).returncode == 1
    after = fresh.project.tollgate("verify", folder, expect=1)
    assert "variables/variables.data-00000-of-00001" in after and "NOT VERIFIED" in after


@pytest.mark.parametrize("attack", ["a key not in the keyring", "another name than the key's",
                                    "a key readable by others", "approving one's own run"])
def test_an_approval_that_does_not_prove_its_approver_is_refused(fresh, attack):
    b = str(fresh.models["B"])
    if attack == "a key not in the keyring":
        keys.generate(fresh.project.root / "mallory.pem", "alice")
        args, words = ("--key", str(fresh.project.root / "mallory.pem")), "is not in keyring"
    elif attack == "another name than the key's":
        args, words = ("--key", fresh.key("alice"), "--by", "bob"), "but the key"
    elif attack == "a key readable by others":
        shutil.copy(fresh.key("alice"), fresh.project.root / "open.pem")
        (fresh.project.root / "open.pem").chmod(0o644)
        args, words = ("--key", str(fresh.project.root / "open.pem")), "is readable by others"
    else:
        args, words = ("--key", fresh.key("carol")), "four eyes"
    process = fresh.project.start("approve", b, *args, user="carol")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert [r.model_id for r in records.pending_requests(fresh.project.store())] == [fresh.models["B"]]


@pytest.mark.parametrize("field,value", [("approver", "mallory"), ("comment", "rubber stamp"),
                                         ("model_digest", "sha256:0000")])
def test_a_decision_edited_in_the_store_is_caught(fresh, field, value):
    a = fresh.models["A"]
    _, decision = fresh.request_and_decision(a)
    fresh.sql(f"UPDATE ArtifactProperty SET string_value = '{value}' "
              f"WHERE artifact_id = {decision.id} AND name = '{field}'")
    assert "NOT VERIFIED" in fresh.project.tollgate("show", str(a))
    refused(fresh, a, "the record was changed")


def test_a_verdict_edited_in_the_store_is_caught(fresh):
    b = fresh.models["B"]
    fresh.as_("bob", "reject", str(b), "--comment", "worse on cash trips")
    _, decision = fresh.request_and_decision(b)
    fresh.sql(f"UPDATE ArtifactProperty SET string_value = 'approve' WHERE artifact_id = {decision.id} "
              "AND name = 'decision'")
    refused(fresh, b, "the record was changed")


def test_an_approved_request_edited_in_the_store_is_caught(fresh):
    a = fresh.models["A"]
    request, _ = fresh.request_and_decision(a)
    fresh.sql(f"UPDATE ArtifactProperty SET string_value = 'sha256:{'0' * 64}' "
              f"WHERE artifact_id = {request.id} AND name = 'model_digest'")
    refused(fresh, a, "the request was changed")


def test_a_policy_relaxed_in_the_store_does_not_let_the_trigger_approve(fresh):
    """The run's config in the store says self-approval is allowed; the checkers' own configs say not."""
    b = fresh.models["B"]
    request, _ = fresh.request_and_decision(b)
    relaxed = request.config.replace('"allow_self_approval": false', '"allow_self_approval": true')
    assert relaxed != request.config
    fresh.sql(f"UPDATE ArtifactProperty SET string_value = '{relaxed}' WHERE artifact_id = {request.id} "
              "AND name = 'config'")
    process = fresh.project.start("approve", str(b), "--key", fresh.key("carol"), user="carol")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "four eyes" in err, err
    # Recorded anyway, as a writer of the store could: still refused everywhere.
    forged_trust = decisions.Trust(keys.load_keyring(fresh.project.root / "keyring", False), records.Policy((), True))
    carol = decisions.Signer("carol", Path(fresh.key("carol")), keys.load_private(Path(fresh.key("carol"))))
    store = fresh.project.store()
    decisions.decide(store, records.requests_for_model(store, b)[-1], records.APPROVE, carol, "", forged_trust,
                     forged_trust.keyring)
    refused(fresh, b, "four eyes")


def test_a_run_replayed_past_the_release_check_still_serves_nothing_forged(fresh):
    """SignOff and Publish prove the decision themselves: a run that finds a
    forged approval fails at SignOff, whatever `release` would have said."""
    b = fresh.models["B"]
    store = fresh.project.store()
    records.record_decision(store, records.requests_for_model(store, b)[-1], records.APPROVE, "alice", "",
                            records.Policy((), True))
    served = fresh.project.served()
    process = fresh.project.start("run", "--data", str(fresh.project.data), "--train-steps", "120", "--json")
    out, err = process.communicate(timeout=600)
    assert process.returncode != 0 and "unsigned" in err, err
    assert fresh.project.served() == served


def test_a_deleted_decision_leaves_nothing_to_release(fresh):
    a = fresh.models["A"]
    _, decision = fresh.request_and_decision(a)
    for table in ("ArtifactProperty", "Event", "Attribution"):
        fresh.sql(f"DELETE FROM {table} WHERE artifact_id = {decision.id}")
    fresh.sql(f"DELETE FROM Artifact WHERE id = {decision.id}")
    refused(fresh, a, "not decided")


@pytest.mark.parametrize("forgery", ["unsigned", "signed by a key not in the keyring",
                                     "model A's approval copied onto model B"])
def test_a_forged_decision_is_caught(fresh, forgery):
    b, store = fresh.models["B"], fresh.project.store()
    request = records.requests_for_model(store, b)[-1]
    anyone = records.Policy((), True)
    if forgery == "unsigned":
        records.record_decision(store, request, records.APPROVE, "alice", "", anyone)
        words = "unsigned"
    elif forgery == "signed by a key not in the keyring":
        keys.generate(fresh.project.root / "forger.pem", "alice")
        keyring = keys.load_keyring(fresh.project.root / "keyring", trusted_on_first_use=False)
        forger = decisions.Signer("alice", fresh.project.root / "forger.pem",
                                  keys.load_private(fresh.project.root / "forger.pem"))
        decisions.decide(store, request, records.APPROVE, forger, "", decisions.Trust(keyring, anyone), keyring)
        words = "does not list"
    else:
        _, approval = fresh.request_and_decision(fresh.models["A"])
        copied = {k: getattr(approval, k) for k in ("decided_at", "envelope", "model_signature", "key_id", "previous")}
        # The same comment too: only what binds the statement to A's request and model can tell.
        records.record_decision(store, request, records.APPROVE, "alice", approval.comment, anyone, signed=copied)
        words = "the record was changed"
    refused(fresh, b, words)


def test_a_model_decided_before_signing_needs_a_new_signed_decision(fresh):
    """An older store: B's request names no runtime targets and its approval is
    unsigned, as Tollgate recorded them before signing existed. It is never
    verified or released; a run on the same data asks anew, and that signed
    approval releases it."""
    b = fresh.models["B"]
    old, _ = fresh.request_and_decision(b)
    for name in ("serving_uri", "targets", "previous"):
        fresh.sql(f"DELETE FROM ArtifactProperty WHERE artifact_id = {old.id} AND name = '{name}'")
    store = fresh.project.store()
    records.record_decision(store, records.get_request(store, old.id), records.APPROVE, "alice", "",
                            records.Policy((), True))
    refused(fresh, b, f"{decisions.UNSIGNED}; {decisions.RENEW}")
    again = fresh.project.tollgate("run", "--data", str(fresh.project.data), "--train-steps", "120", "--json")
    assert again["model_id"] == b and again["status"] == "awaiting sign-off", again
    renewed, decision = fresh.request_and_decision(b)
    assert renewed.id > old.id and renewed.serving_uri and decision is None
    fresh.as_("alice", "approve", str(b))
    pushed = fresh.project.tollgate("release", str(b), "--json")["pushed"]
    assert "verdict  VERIFIED" in fresh.project.tollgate("verify", pushed)


def test_the_audit_trail_of_the_story_holds(fresh):
    """A's request, alice's signed approval and A's release, then B's request."""
    walked = fresh.project.tollgate("audit", "--verify")
    assert "chain    holds: 4 records of tollgate" in walked and "1 signed decisions verified" in walked, walked


@pytest.mark.parametrize("tampering", ["an approver edited", "a decision deleted", "a request edited"])
def test_audit_verify_names_the_first_record_tampered_with(fresh, tampering):
    a = fresh.models["A"]
    request, decision = fresh.request_and_decision(a)
    if tampering == "an approver edited":
        fresh.sql(f"UPDATE ArtifactProperty SET string_value = 'mallory' "
                  f"WHERE artifact_id = {decision.id} AND name = 'approver'")
        words = f"decision {decision.id} (model {a}): the store says approver 'mallory'"
    elif tampering == "a decision deleted":
        for table in ("ArtifactProperty", "Event", "Attribution"):
            fresh.sql(f"DELETE FROM {table} WHERE artifact_id = {decision.id}")
        fresh.sql(f"DELETE FROM Artifact WHERE id = {decision.id}")
        words = f"request {request.id} was changed, or a record after it was removed"
    else:
        fresh.sql(f"UPDATE ArtifactProperty SET string_value = 'alice' "
                  f"WHERE artifact_id = {request.id} AND name = 'triggered_by'")
        words = f"request {request.id} was changed"
    walked = fresh.project.start("audit", "--verify")
    out, err = walked.communicate(timeout=120)
    assert walked.returncode == 1 and f"chain    BROKEN: {words}" in out, out + err
    assert "Traceback" not in err


@pytest.mark.parametrize("change", ["a SavedModel variable", "the TFLite file", "a file added", "a file removed"])
def test_files_changed_after_approval_are_caught(fresh, change):
    b = fresh.models["B"]
    fresh.as_("bob", "approve", str(b))
    request, _ = fresh.request_and_decision(b)
    model = f"{request.model_uri}/{SERVING_SUBDIR}"
    if change == "a SavedModel variable":
        path, words = f"{model}/variables/variables.index", "variables/variables.index"
        with open(path, "ab") as handle:
            handle.write(b"\0")
    elif change == "the TFLite file":
        with open(f"{request.serving_uri}/model.tflite", "ab") as handle:
            handle.write(b"\0")
        words = "model.tflite"
    elif change == "a file added":
        (fresh.project.root / "x").write_text("")
        shutil.copy(fresh.project.root / "x", f"{model}/assets/extra.txt")
        words = "assets/extra.txt"
    else:
        os.remove(f"{model}/fingerprint.pb")
        words = "fingerprint.pb"
    refused(fresh, b, words)


def test_a_served_copy_changed_after_its_release_is_not_released_again(fresh):
    """Its replay is cached down to the push, which would report it as pushed."""
    a = fresh.models["A"]
    [folder] = [r["serving_path"] for r in fresh.project.tollgate("lineage", str(a), "--json")["releases"]]
    with open(f"{folder}/variables/variables.index", "ab") as handle:
        handle.write(b"\0")
    refused(fresh, a, "variables/variables.index")


@pytest.mark.parametrize("damage", ["truncated decision", "corrupted model signature", "a link to the folder"])
def test_a_damaged_proof_beside_a_served_folder_is_caught(fresh, damage):
    [folder] = [r["serving_path"] for r in fresh.project.tollgate("lineage", str(fresh.models["A"]), "--json")["releases"]]
    if damage == "a link to the folder":
        # Whole proofs beside a link: what the link points at can change after the check.
        os.symlink(folder, f"{folder}-link")
        for suffix in (".decision.json", ".sig"):
            shutil.copy(f"{folder}{suffix}", f"{folder}-link{suffix}")
        folder, words = f"{folder}-link", "is a link"
    elif damage == "truncated decision":
        path, words = f"{folder}.decision.json", "unreadable"
        text = open(path).read()
        open(path, "w").write(text[: len(text) // 2])
    else:
        path, words = f"{folder}.sig", "model signing"
        text = open(path).read()
        assert '"sig":"M' in text  # an ECDSA signature's DER starts 0x30, "M" in base64
        open(path, "w").write(text.replace('"sig":"M', '"sig":"N', 1))
    checked = fresh.project.tollgate("verify", folder, expect=1)
    assert words in checked and "NOT VERIFIED" in checked, checked
