import json
import stat

import pytest

from pipeline.errors import TollgateError
from pipeline.ui.accounts import Accounts, Throttle


def test_a_password_is_kept_as_an_argon2_hash_that_only_its_owner_reads(tmp_path):
    accounts = Accounts(tmp_path / "ui" / "accounts.json")
    assert accounts.add("alice", "a long enough secret") is True
    text = accounts.path.read_text()
    assert "a long enough secret" not in text and "$argon2id$" in text
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600
    assert accounts.check("alice", "a long enough secret")
    assert not accounts.check("alice", "a long enough secreT")
    assert not accounts.check("mallory", "a long enough secret")


def test_adding_a_name_again_changes_its_password(tmp_path):
    accounts = Accounts(tmp_path / "accounts.json")
    accounts.add("alice", "the first password")
    assert accounts.add("alice", "the second password") is False
    assert list(json.loads(accounts.path.read_text())) == ["alice"]
    assert accounts.check("alice", "the second password") and not accounts.check("alice", "the first password")


@pytest.mark.parametrize("name, password, words", [
    ("alice", "short", "shorter than 12 characters"),
    ("../alice", "a long enough secret", "is not a user name"),
    ("", "a long enough secret", "is not a user name"),
])
def test_a_bad_account_is_one_line_and_nothing_is_written(tmp_path, name, password, words):
    accounts = Accounts(tmp_path / "accounts.json")
    with pytest.raises(TollgateError, match=words):
        accounts.add(name, password)
    assert not accounts.path.exists()


def test_an_unreadable_accounts_file_is_one_line(tmp_path):
    (tmp_path / "accounts.json").write_text("{not json")
    with pytest.raises(TollgateError, match="cannot be read"):
        Accounts(tmp_path / "accounts.json").check("alice", "anything at all")


def test_the_throttle_holds_a_name_or_an_address_after_five_failures_for_its_window():
    now = [1000.0]
    throttle = Throttle(limit=5, window=300, clock=lambda: now[0])
    for _ in range(5):
        assert throttle.attempt("name:alice", "address:a") == 0  # each one fails
    assert throttle.attempt("name:alice", "address:b") == 300
    assert throttle.attempt("name:bob", "address:a") == 300  # the same address, another name
    assert throttle.attempt("name:bob", "address:b") == 0
    now[0] += 299.5
    assert throttle.attempt("name:alice") == 1
    now[0] += 1
    assert throttle.attempt("name:alice", "address:a") == 0


def test_guesses_sent_at_once_each_count_before_any_is_checked():
    throttle = Throttle(limit=5, window=300, clock=lambda: 0.0)
    let_in = [throttle.attempt("name:alice", "address:a") == 0 for _ in range(20)]
    assert let_in.count(True) == 5


def test_a_login_that_succeeds_clears_the_name_and_no_longer_counts_against_the_address():
    throttle = Throttle(limit=2, window=300, clock=lambda: 0.0)
    for _ in range(4):  # an office behind one address, each person logging in right
        assert throttle.attempt("name:alice", "address:office") == 0
        throttle.passed("name:alice", "address:office")
    assert throttle.attempt("name:alice", "address:office") == 0
