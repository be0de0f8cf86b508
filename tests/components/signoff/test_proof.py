"""Signed statements and manifests, checked with standard tools where there are some."""

import base64
import json
import os
import subprocess

import pytest

from components.model_digest import folder_files, manifest, root_digest
from components.signoff import keys, proof


@pytest.fixture
def signer(tmp_path):
    keys.generate(tmp_path / "alice.pem", "alice")
    (tmp_path / "keyring").write_text((tmp_path / "alice.pem.pub").read_text())
    return keys.load_private(tmp_path / "alice.pem"), keys.load_keyring(tmp_path / "keyring", False)


def model(tmp_path):
    folder = tmp_path / "model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"graph")
    (folder / "variables" / "variables.index").write_bytes(b"index")
    (folder / "model.tflite").write_bytes(b"flat")
    return folder


def test_the_manifest_is_what_sha256sum_prints(tmp_path):
    folder = model(tmp_path)
    found = manifest(folder_files(str(folder)))
    listing = subprocess.run("find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum",
                             shell=True, cwd=folder, capture_output=True, text=True, check=True).stdout
    assert {line.split("  ")[1]: line.split("  ")[0] for line in listing.splitlines()} == found
    whole = subprocess.run(["sha256sum"], input=listing, capture_output=True, text=True, check=True).stdout
    assert root_digest(found) == "sha256:" + whole.split()[0]


def test_a_signed_statement_opens_with_the_keyring_and_names_its_signer(tmp_path, signer):
    private, keyring = signer
    facts = {"model_id": 7, "approver": "alice", "key_id": keys.key_id(private.public_key())}
    signed = proof.statement(facts, {"saved_model.pb": "ab"}, {"metric": "auc"})
    envelope = json.loads(proof.envelope(signed, private))
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    opened, name = proof.open_envelope(json.dumps(envelope), keyring)
    assert name == "alice" and opened == signed
    assert opened["_type"] == "https://in-toto.io/Statement/v1"
    assert opened["subject"][0]["digest"]["sha256"] == root_digest({"saved_model.pb": "ab"})[7:]


def test_the_pre_authentication_encoding_is_dsses():
    """DSSE v1's PAE, written out from the specification's definition."""
    assert proof.pae("application/vnd.in-toto+json", b"{}") == b"DSSEv1 28 application/vnd.in-toto+json 2 {}"


def test_another_dsse_envelope_by_the_same_key_is_not_a_decision(tmp_path, signer):
    """The approver's key also signs model-signing bundles: those must not pass as decisions."""
    private, keyring = signer
    other = {"_type": proof.STATEMENT_TYPE, "predicateType": "https://model_signing/signature/v1.0",
             "predicate": {"key_id": keys.key_id(private.public_key())}, "subject": []}
    with pytest.raises(proof.ProofFailed, match="is not a Tollgate sign-off decision"):
        proof.open_envelope(proof.envelope(other, private), keyring)


@pytest.mark.parametrize("damage,words", [
    ("payload", "changed after signing"), ("truncate", "unreadable"), ("key", "does not list")])
def test_a_damaged_envelope_does_not_open(tmp_path, signer, damage, words):
    private, keyring = signer
    facts = {"model_id": 7, "key_id": keys.key_id(private.public_key())}
    envelope = json.loads(proof.envelope(proof.statement(facts, {}, {}), private))
    text = json.dumps(envelope)
    if damage == "payload":
        payload = json.loads(base64.b64decode(envelope["payload"]))
        payload["predicate"]["model_id"] = 8
        envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
        text = json.dumps(envelope)
    elif damage == "truncate":
        text = text[: len(text) // 2]
    else:
        keys.generate(tmp_path / "other.pem", "alice")
        text = proof.envelope(proof.statement({"model_id": 7}, {}, {}), keys.load_private(tmp_path / "other.pem"))
    with pytest.raises(proof.ProofFailed, match=words):
        proof.open_envelope(text, keyring)


def test_a_model_signing_bundle_of_the_served_layout_verifies_the_served_folder(tmp_path, signer):
    private, keyring = signer
    folder = model(tmp_path)
    # Signed before release, from where the files lie then: the target elsewhere.
    (tmp_path / "targets").mkdir()
    (folder / "model.tflite").rename(tmp_path / "targets" / "model.tflite")
    files = {**folder_files(str(folder)), "model.tflite": str(tmp_path / "targets" / "model.tflite")}
    bundle = tmp_path / "model.sig"
    bundle.write_text(proof.sign_folder(files, tmp_path / "alice.pem", 7))
    (tmp_path / "targets" / "model.tflite").rename(folder / "model.tflite")
    proof.verify_folder(folder, bundle, private.public_key())
    (folder / "extra.bin").write_bytes(b"")
    with pytest.raises(proof.ProofFailed, match="model signing"):
        proof.verify_folder(folder, bundle, private.public_key())


def test_the_bundle_is_checked_against_hashes_already_taken_and_against_its_key(tmp_path, signer):
    private, _ = signer
    folder = model(tmp_path)
    bundle = tmp_path / "model.sig"
    bundle.write_text(proof.sign_folder(folder_files(str(folder)), tmp_path / "alice.pem", 7))
    found = manifest(folder_files(str(folder)))
    proof.verify_folder(folder, bundle, private.public_key(), found)
    # The hashes handed in are the ones compared: a file changed after they were taken is not re-read.
    changed = {**found, "saved_model.pb": "0" * 64}
    with pytest.raises(proof.ProofFailed, match="model signing: saved_model.pb .* changed"):
        proof.verify_folder(folder, bundle, private.public_key(), changed)
    with pytest.raises(proof.ProofFailed, match="model signing: model.onnx .* never signed off"):
        proof.verify_folder(folder, bundle, private.public_key(), {**found, "model.onnx": "0" * 64})
    keys.generate(tmp_path / "bob.pem", "bob")
    with pytest.raises(proof.ProofFailed, match="model signing: Key mismatch"):
        proof.verify_folder(folder, bundle, keys.load_private(tmp_path / "bob.pem").public_key(), found)


def test_a_link_or_a_pipe_in_a_served_folder_is_refused_not_followed(tmp_path):
    folder = model(tmp_path)
    signed = proof.statement({"model_id": 7}, manifest(folder_files(str(folder))), {})
    # TF Serving reads warm-up requests from assets.extra: a link to one elsewhere is not signed off.
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "tf_serving_warmup_requests").write_bytes(b"requests")
    (folder / "assets.extra").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(proof.ProofFailed, match="assets.extra in .* was never signed off"):
        proof.check_files(signed, folder_files(str(folder)), str(folder))
    (folder / "assets.extra").unlink()
    # A pipe where a signed file was would block a reader: it is refused unread.
    (folder / "saved_model.pb").unlink()
    os.mkfifo(folder / "saved_model.pb")
    with pytest.raises(proof.ProofFailed, match="saved_model.pb in .* is a link or not a regular file"):
        proof.check_files(signed, folder_files(str(folder)), str(folder))
    # A link to a file with the signed bytes: what it points at can change after the check.
    (folder / "saved_model.pb").unlink()
    (tmp_path / "elsewhere" / "graph").write_bytes(b"graph")
    (folder / "saved_model.pb").symlink_to(tmp_path / "elsewhere" / "graph")
    with pytest.raises(proof.ProofFailed, match="saved_model.pb in .* is a link or not a regular file"):
        proof.check_files(signed, folder_files(str(folder)), str(folder))
