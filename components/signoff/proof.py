"""A decision as a signed statement, and the checks that prove it.

The statement is an in-toto Statement v1 in a DSSE envelope, signed with the
approver's key. Its subject is the root digest of the manifest of every file
a release serves (components/model_digest.py); its predicate holds the
decision, the approver's key id and the time, the pipeline, run and request,
the evaluation summary's digest and headline figures, the policy in force
and the hash of the pipeline's previous audit record.

The same key also signs the served files with OpenSSF model signing, so that
`model_signing verify key` checks a served folder on a machine without Tollgate.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import pathlib
import tempfile

from components.model_digest import folder_files
from components.model_digest import manifest as files_manifest
from components.model_digest import root_digest
from components.signoff import keys, passkeys

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://tollgate.dev/signoff-decision/v1"


class ProofFailed(Exception):
    """A decision whose proof does not hold; the message names the check."""


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def sha256_of(value) -> str:
    return "sha256:" + hashlib.sha256(canonical(value)).hexdigest()


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def policy_in_force(run_config: dict, policy, keyring: keys.Keyring) -> dict:
    """Who may approve (the signer's policy) and what the gates held the model to (the run's config)."""
    return {
        "approvers": list(policy.approvers),
        "allow_self_approval": policy.allow_self_approval,
        "keyring": keyring.describe(),
        "metrics": run_config.get("evaluator", {}).get("metrics", []),
        "serving": {k: v for k, v in run_config.get("serving", {}).items() if k.startswith(("max_", "min_"))},
        "validation": {k: v for k, v in run_config.get("validation", {}).items() if k.startswith("max_")},
    }


def statement(facts: dict, files: dict[str, str], eval_summary: dict) -> dict:
    """The in-toto statement of a decision. `facts` holds the decision's fields;
    `files` is the manifest of what a release serves."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"model-{facts['model_id']}", "digest": {"sha256": root_digest(files)[7:]}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            **facts,
            "files": files,
            "evaluation": {
                "sha256": sha256_of(eval_summary),
                "metric": eval_summary.get("metric"),
                "overall": eval_summary.get("overall"),
            },
        },
    }


def envelope(signed: dict, private_key) -> str:
    payload = canonical(signed)
    signature = keys.sign(private_key, pae(PAYLOAD_TYPE, payload))
    return json.dumps({
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": keys.key_id(private_key.public_key()), "sig": base64.b64encode(signature).decode()}],
    }, indent=2)


def passkey_envelope(signed: dict, passkey: keys.Passkey, assertion: dict) -> str:
    """The statement, signed by a passkey: `assertion` is the browser's
    (authenticatorData, clientDataJSON, signature; base64url, as WebAuthn gives them)."""
    as_base64 = {k: base64.b64encode(passkeys.from_b64url(assertion[k])).decode()
                 for k in ("authenticatorData", "clientDataJSON", "signature")}
    return json.dumps({
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(canonical(signed)).decode(),
        "signatures": [{"keyid": passkey.key_id, "sig": as_base64.pop("signature"), "webauthn": as_base64}],
    }, indent=2)


def open_envelope(text: str, keyring: keys.Keyring) -> tuple[dict, str]:
    """The statement and the keyring's name for its signer; ProofFailed if the
    envelope is unreadable, its key is not listed, or its signature is wrong."""
    try:
        found = json.loads(text)
        payload = base64.b64decode(found["payload"], validate=True)
        [signature] = found["signatures"]
        keyid, sig = signature["keyid"], base64.b64decode(signature["sig"], validate=True)
        signed = json.loads(payload)
    except (ValueError, KeyError, TypeError):
        raise ProofFailed("the signed decision is unreadable (corrupted or truncated)") from None
    message = pae(PAYLOAD_TYPE, payload)
    if "webauthn" in signature:
        name = _passkey_signer(keyring, keyid, message, sig, signature["webauthn"])
    else:
        public, name = keyring.key_for(keyid)
        if public is None:
            raise ProofFailed(f"the decision is signed by key {keyid}, which {keyring.describe()} does not list")
        if not keys.verifies(public, sig, message):
            raise ProofFailed(f"the signature by {name}'s key does not verify: the decision was changed after signing")
    # The key also signs model-signing bundles, DSSE envelopes of another predicate.
    if (found.get("payloadType") != PAYLOAD_TYPE or not isinstance(signed, dict)
            or signed.get("_type") != STATEMENT_TYPE or signed.get("predicateType") != PREDICATE_TYPE
            or signed["predicate"].get("key_id") != keyid):
        raise ProofFailed(f"what {name}'s key signed is not a Tollgate sign-off decision")
    return signed, name


def signed_with_passkey(text: str) -> bool:
    """Whether an envelope that opened was signed by a passkey (so it carries no model-signing bundle)."""
    try:
        return "webauthn" in json.loads(text)["signatures"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return False


def _passkey_signer(keyring: keys.Keyring, keyid: str, message: bytes, sig: bytes, webauthn) -> str:
    passkey = keyring.passkey_for(keyid)
    if passkey is None:
        raise ProofFailed(f"the decision is signed by passkey {keyid}, which {keyring.describe()} does not list")
    problem = passkeys.assertion_problem(passkey, message, sig, webauthn if isinstance(webauthn, dict) else {})
    if problem:
        raise ProofFailed(f"the passkey signature by {passkey.name}: {problem}")
    return passkey.name


def compare_files(signed: dict[str, str], found: dict[str, str], where: str) -> None:
    """ProofFailed naming the first file that was changed, added or removed."""
    for name in sorted(set(signed) | set(found)):
        if name not in found:
            raise ProofFailed(f"{name} was signed off but is missing from {where}")
        if name not in signed:
            raise ProofFailed(f"{name} in {where} was never signed off")
        if signed[name] != found[name]:
            raise ProofFailed(f"{name} in {where} changed after it was signed off")


def check_files(signed: dict, files: dict[str, str], where: str) -> dict[str, str]:
    """The manifest of `files`, once it matches the signed one. Names are
    compared before anything is read, and only regular files are read: a
    pipe or a device fails instead of hanging, and a link fails because what
    it points at can change after the check (model signing refuses links too)."""
    listed = signed["predicate"]["files"]
    compare_files(dict.fromkeys(listed, ""), dict.fromkeys(files, ""), where)
    for name in sorted(files):
        if os.path.islink(files[name]) or not os.path.isfile(files[name]):
            raise ProofFailed(f"{name} in {where} is a link or not a regular file; a release serves copies")
    found = files_manifest(files)
    compare_files(listed, found, where)
    return found


def sign_folder(files: dict[str, str], key_path: pathlib.Path, model_id: int) -> str:
    """An OpenSSF model-signing bundle over the served layout: a folder of links
    named as the release will name the files, hashed through the links."""
    import model_signing  # about a second: only a signer pays for it

    with tempfile.TemporaryDirectory() as scratch:
        layout = pathlib.Path(scratch) / f"model-{model_id}"
        for name, path in files.items():
            (layout / name).parent.mkdir(parents=True, exist_ok=True)
            (layout / name).symlink_to(pathlib.Path(path).resolve())
        signature = pathlib.Path(scratch) / "model.sig"
        config = model_signing.signing.Config().use_elliptic_key_signer(
            private_key=str(key_path), password=keys.passphrase())
        config.set_hashing_config(model_signing.hashing.Config().set_allow_symlinks(True))
        config.sign(layout, signature)
        return signature.read_text()


def verify_folder(folder: pathlib.Path, bundle: pathlib.Path, public_key, found: dict[str, str] | None = None) -> None:
    """OpenSSF model signing's check of a served folder: the bundle's signature
    by `public_key`, and its manifest against `found` (the folder's manifest,
    hashed here if not given); ProofFailed if either fails.

    model-signing's public verify() hashes the folder itself, so `tollgate
    verify PATH` would hash every file twice; its own bundle check (pinned in
    the lock) returns the signed manifest, and the folder is hashed once."""
    from cryptography.hazmat.primitives import serialization
    from model_signing._signing import sign_ec_key, sign_sigstore_pb

    with tempfile.NamedTemporaryFile(suffix=".pub") as pem:
        pem.write(public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        pem.flush()
        try:
            signed = sign_ec_key.Verifier(pathlib.Path(pem.name)).verify(sign_sigstore_pb.Signature.read(bundle))
        except Exception as error:  # it raises many kinds; its message says which check failed
            raise ProofFailed(f"model signing: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
    if signed.serialization_type.get("method") != "files" or signed.serialization_type.get("hash_type") != "sha256":
        raise ProofFailed(f"model signing: {bundle} does not list a sha256 of each file, as Tollgate signs")
    listed = {str(item.identifier): item.digest.digest_hex for item in signed.resource_descriptors()}
    try:
        compare_files(listed, found if found is not None else files_manifest(folder_files(str(folder))), str(folder))
    except ProofFailed as failed:
        raise ProofFailed(f"model signing: {failed}") from None


@dataclasses.dataclass(frozen=True)
class Signer:
    """A person about to sign: their private key, and the keyring's name for it."""
    name: str
    key_path: pathlib.Path
    private_key: object
