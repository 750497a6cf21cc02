"""Failed sign-ins are rate limited per email: 429 with Retry-After."""
from datetime import timedelta

import pytest

from services.access import accounts
from services.common.errors import NotAuthenticated, TooManyAttempts

PASSWORD = "correct horse battery"
EMAIL = "dana@cass.example.org"


@pytest.fixture
def dana(access_store, clock):
    return accounts.create_account(access_store, clock, EMAIL, "Dana", PASSWORD)


def fail(store, clock, email=EMAIL, times=1):
    for _ in range(times):
        with pytest.raises(NotAuthenticated) as refused:
            accounts.sign_in(store, clock, email, "not the password")
        assert refused.value.code == "invalid_credentials"


def test_four_failures_still_let_the_right_password_in(access_store, clock, dana):
    fail(access_store, clock, times=4)
    assert accounts.sign_in(access_store, clock, EMAIL, PASSWORD)["token"]


def test_five_failures_in_a_row_hold_off_even_the_right_password(access_store, clock, dana):
    fail(access_store, clock, times=5)
    with pytest.raises(TooManyAttempts) as held:
        accounts.sign_in(access_store, clock, EMAIL, PASSWORD)
    assert held.value.code == "too_many_sign_in_attempts"
    assert 0 < held.value.retry_after <= 15 * 60
    with pytest.raises(TooManyAttempts):  # wrong ones too, and in another spelling
        accounts.sign_in(access_store, clock, " DANA@cass.example.org", "not the password")


def test_the_hold_ends_after_retry_after_seconds(access_store, clock, dana):
    fail(access_store, clock, times=5)
    with pytest.raises(TooManyAttempts) as held:
        accounts.sign_in(access_store, clock, EMAIL, PASSWORD)
    clock.frozen_at += timedelta(seconds=held.value.retry_after - 2)
    with pytest.raises(TooManyAttempts):
        accounts.sign_in(access_store, clock, EMAIL, PASSWORD)
    clock.frozen_at += timedelta(seconds=2)
    assert accounts.sign_in(access_store, clock, EMAIL, PASSWORD)["token"]


def test_tries_during_the_hold_do_not_extend_it(access_store, clock, dana):
    fail(access_store, clock, times=5)
    for _ in range(3):
        clock.frozen_at += timedelta(minutes=4)
        with pytest.raises(TooManyAttempts):
            accounts.sign_in(access_store, clock, EMAIL, "not the password")
    clock.frozen_at += timedelta(minutes=3)  # 15 minutes after the fifth failure
    assert accounts.sign_in(access_store, clock, EMAIL, PASSWORD)["token"]


def test_a_success_resets_the_count(access_store, clock, dana):
    fail(access_store, clock, times=4)
    accounts.sign_in(access_store, clock, EMAIL, PASSWORD)
    fail(access_store, clock, times=4)
    assert accounts.sign_in(access_store, clock, EMAIL, PASSWORD)["token"]


def test_the_hold_is_per_email(access_store, clock, dana):
    accounts.create_account(access_store, clock, "pat@cass.example.org", "Pat", PASSWORD)
    fail(access_store, clock, times=5)
    assert accounts.sign_in(access_store, clock, "pat@cass.example.org", PASSWORD)["token"]


def test_unknown_emails_are_held_off_the_same_way(access_store, clock):
    fail(access_store, clock, email="nobody@cass.example.org", times=5)
    with pytest.raises(TooManyAttempts):
        accounts.sign_in(access_store, clock, "nobody@cass.example.org", "anything at all")
