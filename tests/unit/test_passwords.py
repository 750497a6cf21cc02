"""Password hashing: Argon2id, and a wrong or unusable hash is just "no"."""
import eventlet
import pytest

from services.access.passwords import DEFAULT_PASSWORDS, Passwords
from services.common.errors import ServiceUnavailable

hash_password = DEFAULT_PASSWORDS.hash
verify_password = DEFAULT_PASSWORDS.verify


def test_hash_is_argon2id():
    assert hash_password("correct horse battery").startswith("$argon2id$")


def test_hash_is_salted():
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_hash_does_not_contain_the_password():
    assert "correct horse battery" not in hash_password("correct horse battery")


def test_verify_accepts_the_right_password():
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery") is True


def test_verify_rejects_a_wrong_password():
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery!") is False
    assert verify_password(stored, "Correct horse battery") is False
    assert verify_password(stored, "") is False


def test_unknown_account_path_returns_false():
    # no account: verified against a dummy hash so the miss takes as long as a hit
    assert verify_password(None, "not a real password!") is False
    assert verify_password("", "anything at all") is False


def test_unknown_account_path_returns_false_even_for_the_dummy_password():
    # the dummy hash is of a fixed, readable phrase: it must never count as a match
    assert verify_password(None, "not a real password") is False
    assert verify_password("", "not a real password") is False


def test_an_unreadable_hash_returns_false():
    assert verify_password("not-a-hash", "correct horse battery") is False
    assert verify_password("$argon2id$v=19$m=19456,t=2,p=1$broken", "x") is False


def test_beyond_the_slots_and_as_many_waiting_a_hash_is_refused_at_once():
    passwords = Passwords(slots=1)
    running = [eventlet.spawn(passwords.hash, "correct horse battery") for _ in range(2)]
    eventlet.sleep(0)  # one hashes, one waits for its turn
    with pytest.raises(ServiceUnavailable) as busy:
        passwords.verify(None, "correct horse battery")
    assert (busy.value.code, busy.value.retry_after) == ("sign_in_busy", 1)
    assert all(thread.wait().startswith("$argon2id$") for thread in running)
    assert passwords.verify(None, "correct horse battery") is False  # free again
