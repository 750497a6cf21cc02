"""A service's database goes away: what needs it answers 503 with Retry-After (never 500),
what does not keeps working, and the work resumes by itself when the database is back.

The vouchers service runs on a PostgreSQL server of this module's own (the machine's is
never stopped), which the test stops and starts; the other services on SQLite.
"""
import pytest

from scripts.sandbox import Sandbox
from tests.e2e.checks import error_of, wait_for
from tests.e2e.private_servers import PrivatePostgres
from tests.e2e.service_db import engine_of
from tests.e2e.settled import assert_settled


@pytest.fixture(scope="module")
def postgres():
    with PrivatePostgres() as server:
        yield server


@pytest.fixture(scope="module")
def system_env(postgres, tmp_path_factory):
    url = postgres.create_database("clep_vouchers")
    with Sandbox("sqlite", data_dir=tmp_path_factory.mktemp("system"),
                 env={"VOUCHERS_DATABASE_URL": url}) as env:
        yield env


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

    postgres.stop()
    try:
        unavailable(portal.get(f"{orders}/{first['id']}/vouchers.csv", account.headers))
        unavailable(portal.get(f"{orders}/{first['id']}/vouchers", account.headers))
        unavailable(portal.get(f"/api/organizations/{school['id']}/voucher-summary",
                               account.headers))
        unavailable(portal.redeem_voucher(code))
        health = portal.get("/health")
        assert health.status_code == 503 and health.json()["services"]["vouchers"] != "ok"
        # what does not need it still works: an order is taken, its codes are made later
        placed = portal.place_order(account, school["id"], quantity=2600)
        assert placed.status_code == 201, placed.text
        assert portal.get("/api/me", account.headers).status_code == 200
    finally:
        postgres.start()
    engine_of(system_env, "vouchers").dispose()  # the test's own connections died with it

    portal.wait_until_fulfilled(account, school["id"], placed.json()["id"], timeout=90)
    assert len(set(portal.voucher_codes(account, school["id"], placed.json()["id"]))) == 2600
    redeemed = portal.redeem_voucher(code)
    assert redeemed.status_code == 201, redeemed.text
    wait_for(lambda: portal.get("/health").status_code == 200)
    assert_settled(system_env)
