"""The races of redemption and ordering again, with every service on PostgreSQL: there
the database, not SQLite's single writer, decides who wins.
"""
import concurrent.futures
import threading

from gateway.routes.partners import partner_of
from services.common.clock import Clock, as_utc
from services.vouchers.redemption import FAILURE_LIMIT, FAILURE_WINDOW
from tests.e2e import service_db
from tests.e2e.test_order_rules import (  # noqa: F401  (collected here, run on PostgreSQL)
    coordinator, test_concurrent_retries_of_one_request_place_one_order)
from tests.e2e.test_redemption import (  # noqa: F401
    order_with_codes, test_a_code_becomes_a_registration_ticket,
    test_conflicts_do_not_count_toward_the_throttle,
    test_legacy_codes_import_once_and_redeem_like_any_other,
    test_legacy_codes_have_a_usage_view,
    test_sixteen_symbol_legacy_codes_redeem_as_they_were_imported,
    test_twenty_concurrent_redemptions_of_one_code_one_wins)

DATABASE = "postgresql"


def unknown_codes_allowed(system_env):
    """How many more unknown codes the partner may send in this window (the tests before
    this one sent some: the throttle is the partner's, whatever its address)."""
    row = service_db.rows(system_env, "vouchers",
                          "SELECT failures, window_started_at FROM redemption_throttles "
                          "WHERE client = :partner",
                          partner=partner_of(system_env["CLEP_PARTNER_TOKEN"]))
    if not row or as_utc(row[0].window_started_at) <= Clock().now() - FAILURE_WINDOW:
        return FAILURE_LIMIT
    return FAILURE_LIMIT - row[0].failures


def test_concurrent_unknown_codes_from_one_client_hit_the_limit_exactly(portal, system_env):
    _, _, _, codes = order_with_codes(portal, quantity=1)
    guesser = portal.partner_at("127.0.0.5")
    allowed = unknown_codes_allowed(system_env)
    start = threading.Barrier(FAILURE_LIMIT + 10)

    def guess(n):
        start.wait()
        return guesser.redeem_voucher(f"GUESS-{n:04d}").status_code

    with concurrent.futures.ThreadPoolExecutor(FAILURE_LIMIT + 10) as pool:
        statuses = sorted(pool.map(guess, range(FAILURE_LIMIT + 10)))
    assert statuses == [404] * allowed + [429] * (FAILURE_LIMIT + 10 - allowed)
    assert guesser.redeem_voucher(codes[0]).status_code == 201  # a valid code: always


def test_concurrent_redemptions_of_different_codes_all_win(portal):
    account, school, order, codes = order_with_codes(portal, quantity=30)
    start = threading.Barrier(30)

    def redeem(code):
        start.wait()
        return portal.redeem_voucher(code).status_code

    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        assert list(pool.map(redeem, codes)) == [201] * 30
    usage = portal.voucher_usage(account, school["id"], order["id"])
    assert usage["counts"]["redeemed"] == 30
