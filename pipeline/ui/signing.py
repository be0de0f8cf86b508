"""Passkeys on the review desk: registering one, and signing a decision with it.

py_webauthn makes the ceremonies' options and checks the browser's answers.
A decision's challenge is the sha256 of its statement's DSSE encoding
(components/signoff/passkeys.py), so what the person's authenticator signs
is the decision itself, which `tollgate verify` checks later without the desk.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import cbor2
import webauthn
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from components.signoff import decisions, keys, passkeys, proof
from pipeline.errors import TollgateError

CEREMONY_SECONDS = 300.0
ES256 = -7


class Ceremonies:
    """Challenges handed out and not answered yet, one per person, in memory."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._open: dict[str, tuple[str, object, float]] = {}

    def begin(self, holder: str, kind: str, state) -> None:
        self._open[holder] = (kind, state, self.clock() + CEREMONY_SECONDS)

    def finish(self, holder: str, kind: str):
        """The state `begin` kept; a TollgateError when there is none, or it expired."""
        found = self._open.pop(holder, None)
        if not found or found[0] != kind or found[2] < self.clock():
            raise TollgateError("that passkey request expired or was never made; start again from the page")
        return found[1]


def site(base_url: str, origin: str) -> tuple[str, str]:
    """(relying party id, origin): from ui.base_url. Without it, only a desk
    reached as localhost: a Host header from anywhere else could name any site."""
    parsed = urllib.parse.urlparse(base_url or origin)
    if not base_url and parsed.hostname != "localhost":
        raise TollgateError("passkeys belong to the site people reach the desk at: set ui.base_url to it, "
                            "or open the desk as http://localhost:PORT")
    return parsed.hostname or "", f"{parsed.scheme}://{parsed.netloc}"


def registration_options(name: str, rp_id: str, existing: list[keys.Passkey]) -> tuple[str, bytes]:
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name="Tollgate review desk", user_name=name, supported_pub_key_algs=[ES256],
        exclude_credentials=[PublicKeyCredentialDescriptor(id=passkeys.from_b64url(p.credential_id))
                             for p in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED))
    return webauthn.options_to_json(options), options.challenge


def registered(name: str, credential: dict, challenge: bytes, rp_id: str, origin: str) -> keys.Passkey:
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            supported_pub_key_algs=[ES256], require_user_verification=True)
    except (WebAuthnException, KeyError, TypeError, ValueError, AttributeError) as error:
        raise TollgateError(f"the passkey was not registered: {error}") from None
    public = webauthn.helpers.decoded_public_key_to_cryptography(
        webauthn.helpers.decode_credential_public_key(verified.credential_public_key))
    return keys.Passkey(name, keys.public_text(public), passkeys.b64url(verified.credential_id), rp_id)


def decision_options(statement: dict, passkey: keys.Passkey) -> str:
    options = webauthn.generate_authentication_options(
        rp_id=passkey.rp_id, challenge=passkeys.challenge(_message(statement)),
        allow_credentials=[PublicKeyCredentialDescriptor(id=passkeys.from_b64url(passkey.credential_id))],
        user_verification=UserVerificationRequirement.REQUIRED)
    return webauthn.options_to_json(options)


def signed_decision(statement: dict, passkey: keys.Passkey, credential: dict, origin: str,
                    keyring: keys.Keyring) -> str:
    """The decision's envelope, once py_webauthn accepts the browser's answer for
    this origin and the envelope opens with the keyring as `tollgate verify` opens it."""
    try:
        webauthn.verify_authentication_response(
            credential=credential, expected_challenge=passkeys.challenge(_message(statement)),
            expected_rp_id=passkey.rp_id, expected_origin=origin, credential_public_key=_cose(passkey),
            credential_current_sign_count=0, require_user_verification=True)
        envelope = proof.passkey_envelope(statement, passkey, credential["response"])
    except (WebAuthnException, KeyError, TypeError, ValueError, AttributeError) as error:
        raise TollgateError(f"the passkey's answer was refused: {error}") from None
    try:
        proof.open_envelope(envelope, keyring)
    except decisions.ProofFailed as failed:
        raise TollgateError(f"the signed decision does not prove itself: {failed}") from None
    return envelope


def _message(statement: dict) -> bytes:
    return proof.pae(proof.PAYLOAD_TYPE, proof.canonical(statement))


def _cose(passkey: keys.Passkey) -> bytes:
    """The passkey's key as COSE (EC2, ES256, P-256), the form py_webauthn checks with."""
    numbers = passkey.public_key().public_numbers()
    return cbor2.dumps({1: 2, 3: ES256, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


def parse_json(body: bytes) -> dict:
    try:
        found = json.loads(body)
    except ValueError:
        raise TollgateError("the request's body is not JSON") from None
    if not isinstance(found, dict):
        raise TollgateError("the request's body is not a JSON object")
    return found

