"""The broker restarted in the middle of an order: every process reconnects by itself, the
order is fulfilled with exactly its quantity, and no message is left in a queue.

The system runs on a RabbitMQ node of this module's own (the machine's broker is never
stopped), with every service on PostgreSQL, so that the test can hold one chunk of the
order (a row lock) while the broker goes down and comes back.
"""
import pytest

from tests.e2e.checks import wait_for
from tests.e2e.private_servers import PrivateRabbitMQ, half_made_orders_sandbox
from tests.e2e.fault_points import order_half_made
from tests.e2e.service_db import count_codes_of_order
from tests.e2e.settled import assert_settled


@pytest.fixture(scope="module")
def broker():
    with PrivateRabbitMQ() as node:
        yield node


@pytest.fixture(scope="module")
def system_env(broker, tmp_path_factory):
    with half_made_orders_sandbox(broker, tmp_path_factory.mktemp("system")) as env:
        yield env


def test_broker_restarted_mid_order_every_process_reconnects_and_the_order_is_fulfilled(
        system, system_env, broker, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    with order_half_made(portal, system_env, account, school["id"]) as (order, _batch):
        broker.stop()
        broker.start()
    assert count_codes_of_order(system_env, order["id"]) < 10000

    # nobody restarts anything: the processes find the broker again themselves
    wait_for(lambda: portal.get("/health").status_code == 200, timeout=90,
             message="the system did not come back after the broker restarted")
    portal.wait_until_fulfilled(account, school["id"], order["id"], timeout=90)
    codes = portal.voucher_codes(account, school["id"], order["id"])
    assert len(codes) == len(set(codes)) == 10000

    # and the whole path works again: an order placed now is made and confirmed
    after = portal.place_order(account, school["id"], quantity=5)
    assert after.status_code == 201, after.text
    portal.wait_until_fulfilled(account, school["id"], after.json()["id"])
    assert portal.get("/api/me", account.headers).status_code == 200
    assert not system.unexpected_exits()
    assert_settled(system_env, broker.api, statistics_interval=broker.statistics_interval)
