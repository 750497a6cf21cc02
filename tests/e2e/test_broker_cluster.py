"""A RabbitMQ cluster that survives losing a node.

Three nodes of this module's own (the machine's broker is never touched); the system runs
with QUEUE_TYPE=quorum and AMQP_URI listing the three nodes, every service on PostgreSQL
so that the test can hold one chunk of an order (a row lock) while it stops the node that
leads the chunk queue. The order is then fulfilled with exactly its 10,000 codes, nothing
is left in a queue or an outbox and no event was given up on; the node comes back and the
cluster is whole, every quorum queue with all three of its members again.
"""
import pytest

from tests.e2e.checks import wait_for
from tests.e2e.fault_points import order_half_made
from tests.e2e.private_servers import PrivateRabbitMQCluster, half_made_orders_sandbox
from tests.e2e.service_db import count_codes_of_order
from tests.e2e.settled import assert_settled, vhost_of

CHUNK_QUEUE = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"


@pytest.fixture(scope="module")
def cluster():
    with PrivateRabbitMQCluster() as nodes:
        yield nodes


@pytest.fixture(scope="module")
def system_env(cluster, tmp_path_factory):
    with half_made_orders_sandbox(cluster, tmp_path_factory.mktemp("system"),
                                  CLEP_QUEUE_TYPE="quorum") as env:
        yield env


def test_the_node_leading_the_chunk_queue_stops_mid_order_and_nothing_is_lost(
        system, system_env, cluster, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    vhost = vhost_of(system_env)
    chunks = cluster.queue(vhost, CHUNK_QUEUE)
    assert chunks["type"] == "quorum" and len(chunks["members"]) == 3, chunks
    with order_half_made(portal, system_env, account, school["id"]) as (order, _batch):
        leader = cluster.node_named(cluster.queue(vhost, CHUNK_QUEUE)["leader"])
        leader.stop()
    assert count_codes_of_order(system_env, order["id"]) < 10000

    # a surviving node takes the lead; the processes that were on the stopped node
    # reconnect to the next one in AMQP_URI by themselves
    wait_for(lambda: cluster.queue(vhost, CHUNK_QUEUE).get("leader") not in (None, leader.node),
             timeout=60, message="no other node took the lead of the chunk queue")
    # (a gateway that was on the stopped node answers 503 until its reply queue is back)
    wait_for(lambda: portal.get("/health").status_code == 200, timeout=60,
             message="the system did not answer again after losing a node")
    portal.wait_until_fulfilled(account, school["id"], order["id"], timeout=120)
    codes = portal.voucher_codes(account, school["id"], order["id"])
    assert len(codes) == len(set(codes)) == 10000
    after = portal.place_order(account, school["id"], quantity=5)
    assert after.status_code == 201, after.text
    portal.wait_until_fulfilled(account, school["id"], after.json()["id"])
    assert_settled(system_env, cluster.api, statistics_interval=cluster.statistics_interval)
    assert not system.unexpected_exits()

    leader.start()
    wait_for(cluster.is_whole, timeout=60, message="the stopped node did not rejoin")
    wait_for(lambda: len(cluster.queue(vhost, CHUNK_QUEUE).get("online", [])) == 3,
             timeout=60, message="the chunk queue did not get its third member back")
