"""The throttles slow the guesser, not its victim (docs/DECISIONS.md, "Throttles"), with
the real processes behind a trusted proxy (this test, at 127.0.0.1): clients are told apart
by X-Forwarded-For, which the gateway believes only from CLEP_TRUSTED_PROXIES.
"""
import concurrent.futures
import os
import subprocess
import sys
import uuid

import pytest

from bench.process_memory import status_kb
from scripts.system import PROJECT_ROOT
from services.access.sign_in_limits import BackOff; ACCESS_CODE_PER_CLIENT = BackOff(50, None)
from services.access.sign_in_limits import (HELD_BY_EMAIL_FROM, SIGN_IN_PER_CLIENT,
                                            SIGN_IN_PER_EMAIL)
from services.vouchers.redemption import FAILURE_LIMIT
from tests.e2e import service_db
from tests.e2e.checks import error_of, wait_for
from tests.e2e.test_redemption import order_with_codes

GUESSER = "203.0.113.10"
OWNER = "198.51.100.20"


@pytest.fixture(scope="module")
def system_env(system_env):
    system_env.update(CLEP_TRUSTED_PROXIES="127.0.0.1",  # the tests are the proxy
                      CLEP_SIGN_IN_PRUNE_CHECK_SECONDS="1")
    return system_env


def sign_in_from(portal, client, email, password):
    return portal.post("/api/sessions", {"X-Forwarded-For": client},
                       json={"email": email, "password": password})


def new_client():
    return "192.0.2.{}".format(uuid.uuid4().int % 250 + 1)


# --- sign-in ------------------------------------------------------------------------------


def test_a_guesser_is_held_off_and_the_owner_still_signs_in(portal):
    account = portal.new_account()
    for _ in range(5):
        assert sign_in_from(portal, GUESSER, account.email, "a guess").status_code == 401
    held = sign_in_from(portal, GUESSER, account.email, account.password)
    assert error_of(held, 429)["code"] == "too_many_sign_in_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 60
    # the owner, from a client that has not been failing: in, the guesser's hold or not
    assert sign_in_from(portal, OWNER, account.email, account.password).status_code == 201
    assert sign_in_from(portal, GUESSER, account.email, account.password).status_code == 429


def test_an_attack_on_an_email_from_many_clients_does_not_hold_off_the_owners_typos(portal):
    account = portal.new_account()
    guessers = [f"203.0.113.{30 + n}" for n in range(SIGN_IN_PER_EMAIL.allowed //
                                                      HELD_BY_EMAIL_FROM)]
    for guesser in guessers:
        for _ in range(HELD_BY_EMAIL_FROM):
            assert sign_in_from(portal, guesser, account.email, "a guess").status_code == 401
    owner = "198.51.100.21"
    for _ in range(HELD_BY_EMAIL_FROM - 1):  # the email is past its allowance after these
        assert sign_in_from(portal, owner, account.email, "a typo").status_code == 401
    assert sign_in_from(portal, owner, account.email, account.password).status_code == 201
    for guesser in guessers:  # each has failed on it again and again: held
        held = sign_in_from(portal, guesser, account.email, account.password)
        assert error_of(held, 429)["code"] == "too_many_sign_in_attempts"


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(portal):
    account = portal.new_account()
    untrusted = portal.partner_at("127.0.0.2").session  # a client, not the proxy

    def sign_in_via_untrusted(client, password):
        return untrusted.post(portal.url("/api/sessions"), headers={"X-Forwarded-For": client},
                              json={"email": account.email, "password": password}, timeout=30)

    for n in range(5):  # each claims another address: all are 127.0.0.2's failures
        assert sign_in_via_untrusted(f"198.51.100.{n + 100}", "a guess").status_code == 401
    assert sign_in_via_untrusted("198.51.100.200", account.password).status_code == 429
    assert sign_in_from(portal, new_client(), account.email, account.password).status_code == 201


def test_a_flood_of_unknown_emails_from_one_client_is_held_off(portal):
    account = portal.new_account()
    flooder = new_client()
    for n in range(SIGN_IN_PER_CLIENT.allowed):
        unknown = f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.org"
        assert sign_in_from(portal, flooder, unknown, "a guess").status_code == 401
    held = sign_in_from(portal, flooder, "nobody-else@example.org", "a guess")
    assert error_of(held, 429)["code"] == "too_many_sign_in_attempts"
    assert sign_in_from(portal, OWNER, account.email, account.password).status_code == 201


def test_a_sign_in_flood_from_many_clients_bounds_hashing_and_reads_answer(portal, system):
    """Argon2 takes 19 MiB a hash: unbounded, such a flood took the access service past
    500 MiB. A few hashes at a time, the rest answered 503 at once; reads go on."""
    account = portal.new_account()

    def sign_in(n):
        return sign_in_from(portal, f"198.18.{n // 250}.{n % 250 + 1}",
                            f"flood-{n}@example.org", "a guess").status_code

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        flood = pool.map(sign_in, range(400))
        reads = [portal.get("/api/me", account.headers).status_code for _ in range(20)]
        statuses = set(flood)
    assert reads == [200] * 20
    assert statuses <= {401, 503}, statuses
    peak = status_kb(system.processes["access"].pid, "VmHWM") // 1024
    assert peak < 256, f"the access service took {peak} MiB"


# --- access codes -------------------------------------------------------------------------


def redeem_from(portal, client, account, organization, code):
    return portal.post("/api/access-codes/redemptions",
                       dict(account.headers, **{"X-Forwarded-For": client}),
                       json={"zip": organization["zip"], "access_code": code,
                             "organization_name": organization["name"]})


def test_a_client_guessing_with_many_accounts_is_held_off_not_the_organization(portal):
    school = portal.register_organization()
    code = portal.issue_access_code(school["id"])
    guesser = new_client()
    for failures in range(ACCESS_CODE_PER_CLIENT.allowed):
        if failures % 4 == 0:
            account = portal.new_account()  # a fresh account every 4 guesses
        answer = redeem_from(portal, guesser, account, school, "0000-0000-0000")
        assert answer.status_code == 400, (failures, answer.text)
    fresh = portal.new_account()
    held = redeem_from(portal, guesser, fresh, school, code)
    assert error_of(held, 429)["code"] == "too_many_attempts"
    coordinator = portal.new_account()
    assert redeem_from(portal, OWNER, coordinator, school, code).status_code == 201


# --- pruning ------------------------------------------------------------------------------


def access_cli(system_env, *args):
    return subprocess.run([sys.executable, "-m", "services.access.cli", *args],
                          cwd=PROJECT_ROOT, env=dict(os.environ, **system_env),
                          capture_output=True, text=True, timeout=120)


def test_the_access_service_prunes_sign_in_attempts_by_itself_once_a_day(portal,
                                                                         system_env):
    def runs():  # nobody asked: only the service's own timer can have pruned
        return [run.occurrence for run in service_db.rows(
            system_env, "access", "SELECT occurrence FROM scheduled_runs "
            "WHERE job = 'prune_sign_in_attempts' AND finished_at IS NOT NULL")]

    [day] = wait_for(runs, timeout=30)
    done = access_cli(system_env, "prune-sign-in-attempts")  # operations' run: done today
    assert done.returncode == 0, done.stderr
    assert "already pruned on {}".format(day) in done.stdout
    assert runs() == [day]


# --- the registration system's redemptions ------------------------------------------------


def test_a_valid_code_is_redeemed_while_the_partner_is_held_off(portal):
    _, _, _, codes = order_with_codes(portal, quantity=2)
    guesser = portal.partner_at("127.0.0.2")
    for n in range(FAILURE_LIMIT):
        answer = guesser.redeem_voucher(f"GUESS-{n:04d}")
        assert answer.status_code == 404, (n, answer.text)
    held = guesser.redeem_voucher("GUESS-9999")
    assert error_of(held, 429)["code"] == "too_many_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 300
    # the throttle is the partner's, wherever its requests come from
    assert portal.partner_at("127.0.0.3").redeem_voucher("GUESS-9998").status_code == 429
    # and it never refuses a valid, unused code: other students' registrations go on
    assert guesser.redeem_voucher(codes[0]).status_code == 201
    assert portal.partner_at("127.0.0.3").redeem_voucher(codes[1]).status_code == 201
