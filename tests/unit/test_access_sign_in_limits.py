"""Failed sign-ins slow the guesser, never lock the owner out (docs/DECISIONS.md,
"Throttles"): per email and client, per client, per email; back-off doubling; pruning."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.access import accounts, sign_in_limits
from services.access.models import SignInAttempt
from services.common.errors import NotAuthenticated, TooManyAttempts

PASSWORD = "correct horse battery"
EMAIL = "dana@cass.example.org"
GUESSER = "203.0.113.9"
OWNER = "198.51.100.7"


@pytest.fixture
def dana(access_store, clock):
    return accounts.create_account(access_store, clock, EMAIL, "Dana", PASSWORD)


def fail(store, clock, email=EMAIL, times=1, client=GUESSER):
    for _ in range(times):
        with pytest.raises(NotAuthenticated) as refused:
            accounts.sign_in(store, clock, email, "not the password", client)
        assert refused.value.code == "invalid_credentials"


def held_for(store, clock, email=EMAIL, password=PASSWORD, client=GUESSER):
    with pytest.raises(TooManyAttempts) as held:
        accounts.sign_in(store, clock, email, password, client)
    assert held.value.code == "too_many_sign_in_attempts"
    return held.value.retry_after


def signs_in(store, clock, email=EMAIL, client=GUESSER):
    return bool(accounts.sign_in(store, clock, email, PASSWORD, client)["token"])


def test_four_failures_still_let_the_right_password_in(access_store, clock, dana):
    fail(access_store, clock, times=4)
    assert signs_in(access_store, clock)


def test_five_failures_hold_off_that_client_not_the_owner(access_store, clock, dana):
    fail(access_store, clock, times=5)
    assert held_for(access_store, clock) == 60  # even the right password, from the guesser
    assert held_for(access_store, clock, email=" DANA@cass.example.org",
                    password="not the password") == 60
    assert signs_in(access_store, clock, client=OWNER)


def test_each_further_failure_doubles_the_wait(access_store, clock, dana):
    fail(access_store, clock, times=5)
    waits = []
    for _ in range(4):
        wait = held_for(access_store, clock, password="not the password")
        waits.append(wait)
        clock.frozen_at += timedelta(seconds=wait)
        fail(access_store, clock)
    assert waits == [60, 120, 240, 480]
    clock.frozen_at += timedelta(hours=5)  # the day's failures still count ...
    fail(access_store, clock)
    assert held_for(access_store, clock) == 32 * 60
    clock.frozen_at += timedelta(minutes=32)
    fail(access_store, clock)
    assert held_for(access_store, clock) == 3600  # ... up to an hour


def test_the_hold_ends_after_retry_after_seconds(access_store, clock, dana):
    fail(access_store, clock, times=5)
    wait = held_for(access_store, clock)
    clock.frozen_at += timedelta(seconds=wait - 2)
    held_for(access_store, clock)  # tries during the hold neither count nor extend it
    clock.frozen_at += timedelta(seconds=2)
    assert signs_in(access_store, clock)


def test_a_success_resets_the_count(access_store, clock, dana):
    fail(access_store, clock, times=4)
    assert signs_in(access_store, clock)
    fail(access_store, clock, times=4)
    assert signs_in(access_store, clock)


def test_unknown_emails_are_held_off_the_same_way(access_store, clock):
    fail(access_store, clock, email="nobody@cass.example.org", times=5)
    held_for(access_store, clock, email="nobody@cass.example.org", password="anything at all")


def test_a_client_failing_on_many_emails_is_held_off(access_store, clock, dana):
    limit = sign_in_limits.SIGN_IN_PER_CLIENT.allowed
    for n in range(limit):
        fail(access_store, clock, email=f"nobody-{n}@cass.example.org")
    assert held_for(access_store, clock, email="someone-else@cass.example.org",
                    password="anything at all") == 60
    assert signs_in(access_store, clock, client=OWNER)  # other clients are not held off


def test_an_email_failed_on_from_many_clients_holds_off_those_not_the_owners_typos(
        access_store, clock, dana):
    """Clients failing again and again on the email wait once it is past its allowance; a
    client with fewer failures than HELD_BY_EMAIL_FROM on it (the owner mistyping) does
    not, however often the others failed."""
    repeated = sign_in_limits.HELD_BY_EMAIL_FROM
    clients = [f"203.0.113.{n}" for n in range(
        sign_in_limits.SIGN_IN_PER_EMAIL.allowed // repeated)]
    for client in clients:
        fail(access_store, clock, times=repeated, client=client)
    fail(access_store, clock, times=repeated - 1, client=OWNER)  # the email is past 10 now
    assert signs_in(access_store, clock, client=OWNER)
    assert all(held_for(access_store, clock, client=client) > 0 for client in clients)


def count_attempts(store):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(SignInAttempt))


def prune(store, clock):
    with store.transaction() as work:
        return sign_in_limits.prune_sign_in_attempts(work, clock)


def test_pruning_deletes_what_no_limit_reads_once_a_day(access_store, clock, dana):
    fail(access_store, clock, email="nobody@cass.example.org", times=3)
    clock.frozen_at += sign_in_limits.SIGN_IN_ATTEMPTS_KEPT - timedelta(minutes=1)
    fail(access_store, clock, times=2)
    assert prune(access_store, clock)["deleted"] == 0
    clock.frozen_at += timedelta(days=1)
    with access_store.reader() as session:
        assert not sign_in_limits.pruned_today(session, clock)
    run = prune(access_store, clock)
    assert (run["deleted"], run["already_done"]) == (3, False)
    again = prune(access_store, clock)
    assert (again["deleted"], again["already_done"]) == (0, True)
    with access_store.reader() as session:
        assert sign_in_limits.pruned_today(session, clock)
    assert count_attempts(access_store) == 2
