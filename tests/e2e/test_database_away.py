"""A service's database goes away: what needs it answers 503 with Retry-After (never 500),
what does not keeps working, and the work resumes by itself when the database is back.

The vouchers, access and orders services each run on a PostgreSQL server of this module's own
(the machine's is never stopped), which a test stops and starts; the other services on
SQLite.
"""
import contextlib

import pytest

from scripts.sandbox import Sandbox
from tests.e2e.checks import error_of, wait_for, wait_for_status
from tests.e2e.private_servers import PrivatePostgres
from tests.e2e.fault_points import order_half_made
from tests.e2e.service_db import count_codes_of_order, engine_of
from tests.e2e.settled import assert_settled


AWAY = ("vouchers", "access", "orders")


@pytest.fixture(scope="module")
def postgres():
    with contextlib.ExitStack() as servers:
        yield {service: servers.enter_context(PrivatePostgres()) for service in AWAY}


@pytest.fixture(scope="module")
def system_env(postgres, tmp_path_factory):
    urls = {f"{service.upper()}_DATABASE_URL": postgres[service].create_database(
        f"clep_{service}") for service in AWAY}
    # one chunk at a time, so that an order is still half made when the test holds a chunk
    with Sandbox("sqlite", data_dir=tmp_path_factory.mktemp("system"),
                 env=dict(urls, VOUCHER_CHUNK_PREFETCH="1")) as env:
        yield env


@contextlib.contextmanager
def database_away(postgres, system_env, service):
    postgres[service].stop()
    try:
        yield
    finally:
        postgres[service].start()
        engine_of(system_env, service).dispose()  # the test's own connections died with it


def unavailable(response):
    error = error_of(response, 503)
    assert error["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    return error


def test_vouchers_database_away_answers_503_and_the_work_resumes(system, system_env, portal,
                                                                 postgres):
    portal.set_fees()
    account, school = portal.coordinator_of()
    first = portal.place_order(account, school["id"], quantity=10).json()
    portal.wait_until_fulfilled(account, school["id"], first["id"])
    [code, *_] = portal.voucher_codes(account, school["id"], first["id"])
    orders = f"/api/organizations/{school['id']}/orders"

    # the database goes away in the middle of a 10,000-voucher order
    with order_half_made(portal, system_env, account, school["id"]) as (half_made, _batch), \
            database_away(postgres, system_env, "vouchers"):
        unavailable(portal.get(f"{orders}/{first['id']}/vouchers.csv", account.headers))
        unavailable(portal.get(f"{orders}/{first['id']}/vouchers", account.headers))
        unavailable(portal.get(f"/api/organizations/{school['id']}/voucher-summary",
                               account.headers))
        unavailable(portal.redeem_voucher(code))
        health = wait_for_status(lambda: portal.get("/health"), 503)  # the next round
        assert health.json()["services"]["vouchers"] != "ok"
        # what does not need it still works: an order is taken, its codes are made later
        placed = portal.place_order(account, school["id"], quantity=2600)
        assert placed.status_code == 201, placed.text
        assert portal.get("/api/me", account.headers).status_code == 200

    for order, quantity in ((half_made, 10000), (placed.json(), 2600)):
        portal.wait_until_fulfilled(account, school["id"], order["id"], timeout=90)
        codes = portal.voucher_codes(account, school["id"], order["id"])
        assert len(codes) == len(set(codes)) == quantity
        assert count_codes_of_order(system_env, order["id"]) == quantity
    redeemed = portal.redeem_voucher(code)
    assert redeemed.status_code == 201, redeemed.text
    wait_for(lambda: portal.get("/health").status_code == 200)
    assert_settled(system_env)


def test_access_database_away_answers_503_and_access_returns_with_it(system, system_env,
                                                                     portal, postgres):
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=3).json()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    [code, *_] = portal.voucher_codes(account, school["id"], order["id"])

    with database_away(postgres, system_env, "access"):
        unavailable(portal.get("/api/me", account.headers))
        unavailable(portal.sign_in(account.email, account.password))
        unavailable(portal.get(f"/api/organizations/{school['id']}/profile",
                               account.headers))
        # what the gateway was told before (this session may read and order for this
        # school) still holds: nothing about it can change while access cannot write
        listed = portal.get(f"/api/organizations/{school['id']}/orders", account.headers)
        assert listed.status_code == 200, listed.text
        unavailable(portal.post("/api/admin/organizations", portal.ops, json={
            "name": "Away High", "kind": "school", "zip": "48201", "city": "Detroit",
            "state": "MI"}))
        page = portal.get(f"/organizations/{school['id']}",
                          cookies={"clep_session": account.token}, allow_redirects=False)
        assert page.status_code == 503 and "Retry-After" in page.headers, page.status_code
        # the registration system does not need access: its redemptions go on
        redeemed = portal.redeem_voucher(code)
        assert redeemed.status_code == 201, redeemed.text

    wait_for(lambda: portal.get("/api/me", account.headers).status_code == 200)
    assert portal.sign_in(account.email, account.password).status_code == 201
    assert portal.register_organization()["id"]
    assert_settled(system_env)


def test_orders_database_away_an_order_refused_with_503_is_placed_once_when_sent_again(
        system, system_env, portal, postgres):
    portal.set_fees()
    account, school = portal.coordinator_of()
    orders = f"/api/organizations/{school['id']}/orders"

    with database_away(postgres, system_env, "orders"):
        unavailable(portal.place_order(account, school["id"], quantity=4, key="away-1"))
        unavailable(portal.get(orders, account.headers))
        unavailable(portal.get(f"/api/organizations/{school['id']}/order-quote",
                               account.headers))

    # the client sends the same order again, as Retry-After invites it to: placed once
    placed = portal.place_order(account, school["id"], quantity=4, key="away-1")
    assert placed.status_code == 201, placed.text
    again = portal.place_order(account, school["id"], quantity=4, key="away-1")
    assert again.status_code in (200, 201) and again.json()["id"] == placed.json()["id"]
    portal.wait_until_fulfilled(account, school["id"], placed.json()["id"])
    listed = portal.get(orders, account.headers)
    assert [order["id"] for order in listed.json()["orders"]] == [placed.json()["id"]]
    assert_settled(system_env)
