"""Approvers' keys and the keyring that names them.

A private key is an EC key (P-256, P-384 or P-521, as OpenSSF model signing
takes) in a PEM file in its owner's home, mode 0600. The keyring is a text
file, one approver's key per line, in the form `tollgate keygen` prints:

    alice ec-p256 MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE...   # optional comment

The last field is the public key, DER SubjectPublicKeyInfo in base64, so
`base64 -d | openssl pkey -pubin -inform DER` turns it into a PEM file.
A passkey registered on the review desk has a line of its own, with its
credential id and the site (WebAuthn's relying party) it signs for:

    alice passkey MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE... CREDENTIAL_ID localhost

A team keeps its keyring in its repository and reviews changes to it like code.
With none configured, a single user's state folder holds a local keyring to
which a key is added the first time it signs (trust on first use).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_ENV = "TOLLGATE_KEY"
PASSPHRASE_ENV = "TOLLGATE_KEY_PASSPHRASE"
PASSKEY = "passkey"
CURVES = {"ec-p256": (ec.SECP256R1, hashes.SHA256), "ec-p384": (ec.SECP384R1, hashes.SHA384),
          "ec-p521": (ec.SECP521R1, hashes.SHA512)}


class KeyProblem(Exception):
    """A key or keyring that cannot be used; the message says what to do."""


def default_key_path(person: str) -> Path:
    """$TOLLGATE_KEY, else the person's key in their home."""
    return Path(os.environ.get(KEY_ENV) or Path.home() / ".tollgate" / "keys" / f"{person}.pem")


def _kind(public_key) -> str:
    return next(k for k, (curve, _) in CURVES.items() if isinstance(public_key.curve, curve))


def public_text(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def key_id(public_key) -> str:
    """sha256 of the public key's DER form: what a signature names its key by."""
    return "sha256:" + hashlib.sha256(base64.b64decode(public_text(public_key))).hexdigest()


def keyring_line(name: str, public_key) -> str:
    return f"{name} {_kind(public_key)} {public_text(public_key)}"


def generate(path: Path, name: str, passphrase: bytes | None = None) -> str:
    """Makes a key pair: the private key at `path` (0600), the keyring line at `path`.pub; returns the line."""
    if not name or any(c.isspace() for c in name):
        raise KeyProblem(f"a key's name is one word (got {name!r})")
    if path.exists():
        raise KeyProblem(f"{path} already exists; remove it first, or set ${KEY_ENV} to another path")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = ec.generate_private_key(ec.SECP256R1())
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    # Created 0600, never briefly readable by others.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(pem)
    line = keyring_line(name, private.public_key())
    Path(f"{path}.pub").write_text(line + "\n")
    return line


def passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None


def load_private(path: Path):
    """The private key at `path`, refused (as ssh refuses) when others may read it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyProblem(f"no signing key at {path}; make one with `tollgate keygen`") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(f"signing key {path} is readable by others (mode {stat.filemode(mode)}); "
                         f"run `chmod 600 {path}`")
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), passphrase())
    except TypeError:
        raise KeyProblem(f"signing key {path} has a passphrase; set ${PASSPHRASE_ENV}") from None
    except ValueError:
        raise KeyProblem(f"signing key {path} is not a readable EC key, or ${PASSPHRASE_ENV} is wrong") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not _supported(private.public_key()):
        raise KeyProblem(f"signing key {path} is not an EC key on P-256, P-384 or P-521")
    return private


def _supported(public_key) -> bool:
    return isinstance(public_key, ec.EllipticCurvePublicKey) and any(
        isinstance(public_key.curve, curve) for curve, _ in CURVES.values())


def sign(private_key, data: bytes) -> bytes:
    return private_key.sign(data, ec.ECDSA(CURVES[_kind(private_key.public_key())][1]()))


def verifies(public_key, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data, ec.ECDSA(CURVES[_kind(public_key)][1]()))
        return True
    except InvalidSignature:
        return False


@dataclasses.dataclass(frozen=True)
class Passkey:
    """A WebAuthn credential on a P-256 key (COSE ES256, as passkeys make them)."""
    name: str
    key: str  # DER SubjectPublicKeyInfo in base64, as an EC key's line holds it
    credential_id: str  # base64url, as WebAuthn names it
    rp_id: str  # the site it signs for: "localhost", "tollgate.example.com"

    @property
    def key_id(self) -> str:
        return key_id(_public(self.key))

    def public_key(self):
        return _public(self.key)

    def line(self) -> str:
        return f"{self.name} {PASSKEY} {self.key} {self.credential_id} {self.rp_id}"


@dataclasses.dataclass(frozen=True)
class Keyring:
    path: Path
    entries: tuple[tuple[str, str], ...]  # (name, public key in base64)
    trusted_on_first_use: bool
    sha256: str
    passkeys: tuple[Passkey, ...] = ()

    def passkey_for(self, wanted_id: str) -> Passkey | None:
        return next((p for p in self.passkeys if p.key_id == wanted_id), None)

    def passkeys_of(self, name: str) -> list[Passkey]:
        return [p for p in self.passkeys if p.name == name]

    def describe(self) -> str:
        if self.trusted_on_first_use:
            return f"local keyring {self.path}, trusted on first use"
        return f"keyring {self.path}, sha256 {self.sha256}"

    def name_for(self, public_key) -> str | None:
        text = public_text(public_key)
        return next((name for name, key in self.entries if key == text), None)

    def key_for(self, wanted_id: str):
        """The public key with id `wanted_id`, and its name; (None, None) if it is not listed."""
        for name, text in self.entries:
            public = _public(text)
            if key_id(public) == wanted_id:
                return public, name
        return None, None


def _public(text: str):
    return serialization.load_der_public_key(base64.b64decode(text, validate=True))


def _readable(text: str, kind: str) -> bool:
    """A public key in base64 DER, on the curve its line names."""
    try:
        public = _public(text)
    except ValueError:
        return False
    return _supported(public) and _kind(public) == kind


def _entries(text: str, path: Path) -> tuple[tuple, tuple]:
    """(name, key) pairs of EC keys, and the passkeys."""
    entries, passkeys = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) == 5 and fields[1] == PASSKEY and _readable(fields[2], "ec-p256"):
            passkeys.append(Passkey(fields[0], *fields[2:]))
            continue
        if len(fields) != 3 or fields[1] not in CURVES or not _readable(fields[2], fields[1]):
            raise KeyProblem(f"keyring {path} line {number} is not `NAME ec-p256 PUBLICKEY` (as `tollgate keygen` "
                             "prints it) nor `NAME passkey PUBLICKEY CREDENTIAL SITE` (as the review desk does)")
        entries.append((fields[0], fields[2]))
    listed = [key for _, key in entries] + [p.key for p in passkeys]
    if len(set(listed)) != len(listed):
        # One key under two names, or as a key file and a passkey, would let
        # one of them speak for the other, or a check choose the weaker path.
        raise KeyProblem(f"keyring {path} lists one public key twice; each key belongs to one person, once")
    return tuple(entries), tuple(passkeys)


def load_keyring(path: Path, trusted_on_first_use: bool) -> Keyring:
    try:
        text = path.read_text()
    except FileNotFoundError:
        if not trusted_on_first_use:
            raise KeyProblem(f"keyring {path} does not exist; check signoff.keyring") from None
        text = ""
    digest = hashlib.sha256(text.encode()).hexdigest()
    entries, passkeys = _entries(text, path)
    return Keyring(path, entries, trusted_on_first_use, digest, passkeys)


def with_key(keyring: Keyring, name: str, public_key) -> Keyring:
    """A local keyring with a key it has not seen; a name keeps its first key."""
    if any(listed == name for listed, _ in keyring.entries) or keyring.passkeys_of(name):
        raise KeyProblem(f"{keyring.describe()} already lists another key as {name!r}; "
                         f"sign with {name}'s key, or use another name")
    return dataclasses.replace(keyring, entries=keyring.entries + ((name, public_text(public_key)),))


def with_passkey(keyring: Keyring, passkey: Passkey) -> Keyring:
    """A local keyring with a person's first passkey; a name keeps its first key of either kind."""
    if keyring.passkeys_of(passkey.name) or any(listed == passkey.name for listed, _ in keyring.entries):
        raise KeyProblem(f"{keyring.describe()} already lists a key for {passkey.name!r}")
    _entries(passkey.line(), keyring.path)  # the line must read back, as the next reader will read it
    return dataclasses.replace(keyring, passkeys=keyring.passkeys + (passkey,))


def save(keyring: Keyring) -> None:
    """Writes the keys a local keyring took on first use; a reviewed keyring is never written."""
    if not keyring.trusted_on_first_use:
        return
    listed = load_keyring(keyring.path, trusted_on_first_use=True)
    new = [keyring_line(name, _public(key)) for name, key in keyring.entries if (name, key) not in listed.entries]
    new += [p.line() for p in keyring.passkeys if p not in listed.passkeys]
    if new:
        keyring.path.parent.mkdir(parents=True, exist_ok=True)
        with open(keyring.path, "a") as handle:
            handle.writelines(line + "\n" for line in new)
