"""A service that stops makes the gateway answer 503 in time; nothing is lost meanwhile."""
import csv
import io
import time

from tests.e2e.checks import wait_for, wait_for_status


def test_stopped_service_gives_503_within_the_timeout_then_recovers(system, portal):
    account = portal.new_account()
    system.stop_process("access")
    started = time.monotonic()
    response = portal.get("/api/me", account.headers)
    took = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert took < 3 + 2  # CLEP_RPC_TIMEOUT is 3 s in these tests
    # the gateway's background check notices within a few seconds; liveness is not about
    # the services: a service down must not get the gateway restarted
    for path in ("/health", "/health/ready"):
        health = wait_for_status(lambda: portal.get(path), 503)
        assert health.json()["services"]["access"] == "unavailable"
    assert portal.get("/health/live").json() == {"status": "ok"}

    system.start_process("access")
    wait_for(lambda: portal.get("/health").status_code == 200)
    assert portal.get("/health/ready").json()["services"]["access"] == "ok"
    assert portal.get("/api/me", account.headers).status_code == 200


def test_order_placed_while_vouchers_is_down_is_fulfilled_when_it_returns(system, portal):
    account, school = portal.coordinator_of()
    portal.set_fees()
    system.stop_process("vouchers-1")
    order = portal.place_order(account, school["id"], quantity=1500).json()
    assert order["status"] == "generating_vouchers"
    csv_path = "/api/organizations/{}/orders/{}/vouchers.csv".format(school["id"], order["id"])
    time.sleep(1)
    assert portal.order(account, school["id"], order["id"]).json()["status"] == \
        "generating_vouchers"
    early = portal.get(csv_path, account.headers)
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "vouchers_generating"

    system.start_process("vouchers-1")
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    rows = list(csv.reader(io.StringIO(portal.get(csv_path, account.headers).text)))[1:]
    assert len({row[0] for row in rows}) == len(rows) == 1500

