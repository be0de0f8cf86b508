"""Approvers' keys and keyrings, on real files."""

import stat

import pytest

from components.signoff import keys


def test_a_made_key_is_private_and_its_line_goes_in_a_keyring(tmp_path):
    line = keys.generate(tmp_path / "home" / "alice.pem", "alice")
    assert stat.S_IMODE((tmp_path / "home" / "alice.pem").stat().st_mode) == 0o600
    assert (tmp_path / "home" / "alice.pem.pub").read_text() == line + "\n"
    (tmp_path / "keyring").write_text(f"# the team's approvers\n{line}  # alice's laptop\n")
    keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)
    private = keys.load_private(tmp_path / "home" / "alice.pem")
    assert keyring.name_for(private.public_key()) == "alice"
    assert keyring.key_for(keys.key_id(private.public_key()))[1] == "alice"
    assert keyring.describe().startswith(f"keyring {tmp_path / 'keyring'}, sha256 ")


def test_a_key_is_never_overwritten(tmp_path):
    keys.generate(tmp_path / "k.pem", "alice")
    with pytest.raises(keys.KeyProblem, match="already exists"):
        keys.generate(tmp_path / "k.pem", "alice")


def test_a_key_others_can_read_is_refused(tmp_path):
    keys.generate(tmp_path / "k.pem", "alice")
    (tmp_path / "k.pem").chmod(0o640)
    with pytest.raises(keys.KeyProblem, match=r"readable by others \(mode -rw-r-----\); run `chmod 600"):
        keys.load_private(tmp_path / "k.pem")


def test_a_passphrase_protects_the_key(tmp_path, monkeypatch):
    keys.generate(tmp_path / "k.pem", "alice", passphrase=b"correct horse")
    with pytest.raises(keys.KeyProblem, match="has a passphrase; set"):
        keys.load_private(tmp_path / "k.pem")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "wrong")
    with pytest.raises(keys.KeyProblem, match="is wrong"):
        keys.load_private(tmp_path / "k.pem")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "correct horse")
    assert keys.load_private(tmp_path / "k.pem")


@pytest.mark.parametrize("bad", ["bob rsa {key}", "bob ec-p256 AAAA", "bob ec-p384 {key}", "bob ec-p256"])
def test_a_bad_keyring_line_is_named(tmp_path, bad):
    """Read when the keyring loads: a wrong kind, a key that is not one, or another curve."""
    good = keys.generate(tmp_path / "alice.pem", "alice")
    (tmp_path / "keyring").write_text(f"{good}\n{bad.format(key=good.split()[2])}\n")
    with pytest.raises(keys.KeyProblem, match="line 2 is not `NAME ec-p256 PUBLICKEY`"):
        keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=False)


def test_a_configured_keyring_must_exist_but_a_local_one_starts_empty(tmp_path):
    with pytest.raises(keys.KeyProblem, match="does not exist"):
        keys.load_keyring(tmp_path / "none", trusted_on_first_use=False)
    assert keys.load_keyring(tmp_path / "none", trusted_on_first_use=True).entries == ()


def test_a_local_keyring_keeps_a_names_first_key(tmp_path):
    keyring = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=True)
    for name in ("alice", "mallory"):
        keys.generate(tmp_path / f"{name}.pem", "alice")
    first = keys.load_private(tmp_path / "alice.pem").public_key()
    keys.save(keys.with_key(keyring, "alice", first))
    saved = keys.load_keyring(tmp_path / "keyring", trusted_on_first_use=True)
    assert saved.name_for(first) == "alice"
    with pytest.raises(keys.KeyProblem, match="already lists another key as 'alice'"):
        keys.with_key(saved, "alice", keys.load_private(tmp_path / "mallory.pem").public_key())
