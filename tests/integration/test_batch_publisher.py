"""The outbox relay's publisher: a batch goes out with one wait for the broker's confirms."""
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from services.common.batch_publisher import BatchPublisher


def test_batch_is_delivered_in_order_and_unroutable_messages_are_reported(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    exchange = get_event_exchange("orders", {})
    with Connection(uri) as connection:
        queue = Queue("evt-orders-order_placed--test", exchange, routing_key="order_placed",
                      durable=True)
        queue(connection.default_channel).declare()

    publisher = BatchPublisher(uri, exchange)
    try:
        messages = [("order_placed", {"id": number}) for number in range(250)]
        messages.insert(7, ("nobody_listens", {"id": "lost?"}))
        outcomes = publisher.publish(messages)
        assert outcomes[7] == "no queue is bound for this event yet"
        assert outcomes[:7] + outcomes[8:] == [None] * 250
        # the channel stays usable, and its delivery tags keep counting, for the next batch
        assert publisher.publish([("order_placed", {"id": 250})]) == [None]
    finally:
        publisher.close()

    with Connection(uri) as connection:
        received = []
        bound = queue(connection.default_channel)
        while True:
            message = bound.get(no_ack=True)
            if message is None:
                break
            received.append(message.payload["id"])
    assert received == list(range(251))
