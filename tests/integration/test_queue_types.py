"""QUEUE_TYPE: on a cluster (quorum) the queues the system cannot lose are quorum queues,
declared by the services themselves; replies stay classic; one broker keeps classic ones.
The work goes through either kind the same way."""
import pytest

from services.common.queues import DELIVERY_LIMIT
from services.scores.service import ScoresService
from services.vouchers.service import VouchersService
from tests.integration.test_vouchers_generation import order_placed

REQUESTS = "rpc-vouchers"
CHUNKS = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"
ORDERS = "evt-orders-order_placed--vouchers.plan_generation"


def queue_types(rabbit_manager, rabbit_config):
    return {queue["name"]: queue.get("type", "classic")
            for queue in rabbit_manager.get_queues(rabbit_config["vhost"])}


def queue_info(rabbit_manager, rabbit_config, name):
    return rabbit_manager.get_queue(rabbit_config["vhost"], name)


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_a_cluster_gets_quorum_queues_for_requests_events_and_chunks_and_classic_replies(
        start_service, listen, dispatch, rpc, rabbit_manager, rabbit_config, wait_for):
    received = listen("vouchers", "vouchers_generated")
    start_service(VouchersService, QUEUE_TYPE="quorum")
    start_service(ScoresService, QUEUE_TYPE="quorum")  # a batch consumer's queue too

    dispatch("orders", "order_placed", order_placed(601, 6000))
    received.wait("vouchers_generated", 1, timeout=30)
    assert rpc.vouchers.usage(42, 601)["total"] == 6000  # a request through a quorum queue

    types = queue_types(rabbit_manager, rabbit_config)
    assert types[REQUESTS] == types[CHUNKS] == types[ORDERS] == "quorum"
    redeemed = [name for name in types if name.startswith("evt-vouchers-voucher_redeemed--scores")]
    assert redeemed and types[redeemed[0]] == "quorum"
    chunks = queue_info(rabbit_manager, rabbit_config, CHUNKS)
    assert chunks["arguments"]["x-delivery-limit"] == DELIVERY_LIMIT  # never given up on
    replies = [name for name in types if name.startswith("rpc.reply-")]
    assert replies and {types[name] for name in replies} == {"classic"}


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_one_broker_keeps_classic_queues_by_default(
        start_service, rpc, rabbit_manager, rabbit_config):
    start_service(VouchersService)
    assert rpc.vouchers.health() == "ok"
    types = queue_types(rabbit_manager, rabbit_config)
    assert types[REQUESTS] == types[CHUNKS] == types[ORDERS] == "classic"
