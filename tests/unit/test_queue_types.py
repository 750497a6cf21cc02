"""QUEUE_TYPE: which queues become quorum queues, and a setting that is neither type."""
import pytest
from kombu import Exchange, Queue

from services.common.queues import (DELIVERY_LIMIT, UnknownQueueType, apply_queue_type,
                                    queue_type)

EXCHANGE = Exchange("orders.events", type="topic")


def work_queue():
    return Queue("evt-orders-order_placed--billing.add", exchange=EXCHANGE, durable=True)


def test_quorum_applies_to_durable_shared_queues_only():
    quorum = {"QUEUE_TYPE": "quorum"}
    never_given_up = {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT}
    assert apply_queue_type(work_queue(), quorum).queue_arguments == never_given_up
    with_expiry = Queue("q", exchange=EXCHANGE, queue_arguments={"x-expires": 1000})
    assert apply_queue_type(with_expiry, quorum).queue_arguments == dict(
        never_given_up, **{"x-expires": 1000})
    for one_process_only in (Queue("notices", exchange=EXCHANGE, exclusive=True),
                             Queue("broadcast", exchange=EXCHANGE, auto_delete=True),
                             Queue("reply", exchange=EXCHANGE, durable=False)):
        assert not apply_queue_type(one_process_only, quorum).queue_arguments


def test_classic_is_the_default_and_leaves_queues_as_nameko_declares_them():
    for config in ({}, {"QUEUE_TYPE": ""}, {"QUEUE_TYPE": "classic"}):
        assert not apply_queue_type(work_queue(), config).queue_arguments
    assert queue_type({"QUEUE_TYPE": " Quorum "}) == "quorum"


def test_a_type_that_is_neither_is_refused_by_name():
    with pytest.raises(UnknownQueueType, match="CLEP_QUEUE_TYPE.*'stream'"):
        queue_type({"QUEUE_TYPE": "stream"})
