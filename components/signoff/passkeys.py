"""A decision signed with a passkey (WebAuthn), checked offline against the keyring.

The review desk asks the browser to sign a challenge that is the sha256 of
the decision's DSSE pre-authentication encoding. The authenticator signs
its authenticator data followed by the sha256 of the client data, which
holds that challenge. So anyone with the keyring checks a passkey decision
without the desk: the signature with the listed key, the challenge against
the statement, the site against the passkey's, and that its owner was there
and verified by the authenticator (user presence and verification flags).
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

from components.signoff import keys

USER_PRESENT, USER_VERIFIED = 0x01, 0x04


def challenge(message: bytes) -> bytes:
    """What the authenticator is asked to sign for `message` (a statement's PAE)."""
    return hashlib.sha256(message).digest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assertion_problem(passkey: keys.Passkey, message: bytes, signature: bytes, webauthn: dict) -> str | None:
    """What is wrong with a WebAuthn assertion over `message`; None if it holds."""
    try:
        authenticator = base64.b64decode(webauthn["authenticatorData"], validate=True)
        client_json = base64.b64decode(webauthn["clientDataJSON"], validate=True)
        client = json.loads(client_json)
    except (KeyError, TypeError, ValueError):
        return "its WebAuthn data is unreadable"
    if not isinstance(client, dict) or client.get("type") != "webauthn.get":
        return "it is not a WebAuthn assertion"
    if client.get("challenge") != b64url(challenge(message)):
        return "the passkey signed another statement than this decision"
    try:
        host = urllib.parse.urlparse(str(client.get("origin", ""))).hostname or ""
    except ValueError:
        return "its origin is unreadable"
    if host != passkey.rp_id and not host.endswith("." + passkey.rp_id):
        return f"it was signed on {client.get('origin')}, not for {passkey.rp_id}"
    if len(authenticator) < 37 or authenticator[:32] != hashlib.sha256(passkey.rp_id.encode()).digest():
        return f"the authenticator signed for another site than {passkey.rp_id}"
    if not authenticator[32] & USER_PRESENT:
        return "the authenticator says no person was present"
    if not authenticator[32] & USER_VERIFIED:
        return "the authenticator did not verify its owner (PIN or biometric)"
    if not keys.verifies(passkey.public_key(), signature, authenticator + hashlib.sha256(client_json).digest()):
        return "the passkey's signature does not verify: the decision was changed after signing"
    return None
