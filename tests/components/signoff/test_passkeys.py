"""Decisions signed with a passkey, checked offline against the keyring.

An authenticator is played here with a real P-256 key, signing what the
WebAuthn specification says one signs: its authenticator data followed by
the sha256 of the client data. The review desk's tests use Chromium's
virtual authenticator instead (tests/e2e/test_review_desk_e2e.py).
"""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from components.signoff import keys, passkeys, proof

SITE = "localhost"


def authenticator_data(site: str = SITE, flags: int = 0x05) -> bytes:
    return hashlib.sha256(site.encode()).digest() + bytes([flags]) + (1).to_bytes(4, "big")


def assertion(private, signed: dict, origin="http://localhost:8765", data=None, kind="webauthn.get") -> dict:
    """What navigator.credentials.get() gives for the statement's challenge (base64url fields)."""
    message = proof.pae(proof.PAYLOAD_TYPE, proof.canonical(signed))
    client = json.dumps({"type": kind, "challenge": passkeys.b64url(passkeys.challenge(message)),
                         "origin": origin}).encode()
    data = data if data is not None else authenticator_data()
    signature = keys.sign(private, data + hashlib.sha256(client).digest())
    return {k: passkeys.b64url(v) for k, v in
            (("authenticatorData", data), ("clientDataJSON", client), ("signature", signature))}


@pytest.fixture
def alice(tmp_path):
    private = ec.generate_private_key(ec.SECP256R1())
    passkey = keys.Passkey("alice", keys.public_text(private.public_key()), "Y3JlZA", SITE)
    (tmp_path / "keyring").write_text(f"# the team\n{passkey.line()}  # alice's laptop\n")
    return private, passkey, keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)


def statement(passkey: keys.Passkey, decision: str = "approve") -> dict:
    return proof.statement({"decision": decision, "approver": passkey.name, "key_id": passkey.key_id,
                            "model_id": 7}, {"saved_model.pb": "ab" * 32}, {"metric": "auc"})


def test_a_passkey_line_is_read_back_from_the_keyring(alice):
    _, passkey, keyring = alice
    assert keyring.passkeys == (passkey,) and keyring.entries == ()
    assert keyring.passkey_for(passkey.key_id) == passkey and keyring.passkeys_of("alice") == [passkey]
    assert keyring.key_for(passkey.key_id) == (None, None)  # never taken for a key file's signature


def test_a_passkey_decision_opens_with_the_keyring_alone(alice):
    private, passkey, keyring = alice
    signed = statement(passkey)
    opened, name = proof.open_envelope(proof.passkey_envelope(signed, passkey, assertion(private, signed)), keyring)
    assert opened == signed and name == "alice"


@pytest.mark.parametrize("attack, words", [
    ("the statement changed after signing", "signed another statement"),
    ("signed on another site", "not for localhost"),
    ("the authenticator's site differs", "another site than localhost"),
    ("no person was present", "no person was present"),
    ("the owner was not verified", "did not verify its owner"),
    ("an unreadable origin", "origin is unreadable"),
    ("a registration, not an assertion", "not a WebAuthn assertion"),
    ("signed by a key the keyring does not list", "does not list"),
    ("the signature bytes changed", "does not verify"),
])
def test_a_forged_passkey_decision_is_refused(alice, attack, words):
    private, passkey, keyring = alice
    signed = statement(passkey)
    given = assertion(private, signed)
    if attack == "the statement changed after signing":
        signed = statement(passkey, "reject")
    elif attack == "signed on another site":
        given = assertion(private, signed, origin="https://evil.example")
    elif attack == "the authenticator's site differs":
        given = assertion(private, signed, data=authenticator_data("evil.example"))
    elif attack == "no person was present":
        given = assertion(private, signed, data=authenticator_data(flags=0x04))
    elif attack == "the owner was not verified":
        given = assertion(private, signed, data=authenticator_data(flags=0x01))
    elif attack == "an unreadable origin":
        given = assertion(private, signed, origin="http://[x")
    elif attack == "a registration, not an assertion":
        given = assertion(private, signed, kind="webauthn.create")
    elif attack == "signed by a key the keyring does not list":
        mallory = ec.generate_private_key(ec.SECP256R1())
        passkey = keys.Passkey("alice", keys.public_text(mallory.public_key()), "bWFs", SITE)
        signed = statement(passkey)
        given = assertion(mallory, signed)
    else:
        raw = bytearray(passkeys.from_b64url(given["signature"]))
        raw[-1] ^= 1
        given["signature"] = passkeys.b64url(bytes(raw))
    with pytest.raises(proof.ProofFailed, match=words):
        proof.open_envelope(proof.passkey_envelope(signed, passkey, given), keyring)


def test_the_assertion_checks_with_openssl_alone(alice, tmp_path):
    """What an auditor without Tollgate runs: the key from the keyring, the signed bytes, openssl."""
    import subprocess

    private, passkey, keyring = alice
    signed = statement(passkey)
    envelope = json.loads(proof.passkey_envelope(signed, passkey, assertion(private, signed)))
    sig = envelope["signatures"][0]
    data, client = (base64.b64decode(sig["webauthn"][k]) for k in ("authenticatorData", "clientDataJSON"))
    (tmp_path / "signed.bin").write_bytes(data + hashlib.sha256(client).digest())
    (tmp_path / "sig.der").write_bytes(base64.b64decode(sig["sig"]))
    (tmp_path / "key.der").write_bytes(base64.b64decode(passkey.key))
    subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", "key.der", "-out", "key.pem"],
                   cwd=tmp_path, check=True)
    checked = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "key.pem", "-signature", "sig.der",
                              "signed.bin"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.stdout.strip() == "Verified OK"
    # The challenge the passkey signed is the sha256 of the statement's DSSE encoding.
    message = proof.pae(proof.PAYLOAD_TYPE, base64.b64decode(envelope["payload"]))
    assert json.loads(client)["challenge"] == passkeys.b64url(hashlib.sha256(message).digest())


def test_a_local_keyring_takes_a_persons_first_passkey_only(tmp_path):
    keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=True)
    first = keys.Passkey("alice", keys.public_text(ec.generate_private_key(ec.SECP256R1()).public_key()), "b25l", SITE)
    keys.save(keys.with_passkey(keyring, first))
    saved = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=True)
    assert saved.passkeys == (first,)
    other = keys.public_text(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(keys.KeyProblem, match="already lists a key for 'alice'"):
        keys.with_passkey(saved, keys.Passkey("alice", other, "dHdv", SITE))
    with pytest.raises(keys.KeyProblem, match="already lists another key as 'alice'"):  # nor a key file after it
        keys.with_key(saved, "alice", ec.generate_private_key(ec.SECP256R1()).public_key())


def test_a_name_with_a_key_file_takes_no_passkey_on_first_use(tmp_path):
    keys.generate(tmp_path / "alice.pem", "alice")
    (tmp_path / "keyring").write_text((tmp_path / "alice.pem.pub").read_text())
    keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=True)
    mallory = keys.public_text(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(keys.KeyProblem, match="already lists a key for 'alice'"):
        keys.with_passkey(keyring, keys.Passkey("alice", mallory, "bWFs", SITE))


def test_one_key_listed_twice_is_refused(tmp_path):
    """bob's key file's public key registered as mallory's passkey would let the weaker check choose."""
    keys.generate(tmp_path / "bob.pem", "bob")
    line = (tmp_path / "bob.pem.pub").read_text()
    (tmp_path / "keyring").write_text(line + f"mallory passkey {line.split()[2]} bWFs {SITE}\n")
    with pytest.raises(keys.KeyProblem, match="lists one public key twice"):
        keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)
