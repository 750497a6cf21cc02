"""The chunk queue's figures (services/vouchers/figures.py) as the broker counts them: the
messages waiting and the consumers, read by a passive declare at each scrape; a broker
that cannot be reached leaves them out of the scrape instead of failing it."""
from kombu import Connection, Exchange, Producer, Queue

from scripts.sandbox import free_port
from services.vouchers.figures import ChunkQueueCollector

QUEUE = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"


def figures(collector):
    return {(sample.name, sample.labels["queue"]): sample.value
            for family in collector.collect() for sample in family.samples}


def test_the_chunks_waiting_and_the_consumers_are_the_brokers_count(rabbit_config, wait_for):
    amqp_uri = rabbit_config["AMQP_URI"]
    collector = ChunkQueueCollector()
    collector.add("vouchers", amqp_uri, QUEUE)
    with Connection(amqp_uri) as connection:
        queue = Queue(QUEUE, Exchange("vouchers.events", type="topic"),
                      routing_key="generation_chunk_queued", channel=connection.channel())
        queue.declare()
        producer = Producer(connection.channel())
        for chunk_no in range(3):
            producer.publish({"chunk_no": chunk_no}, exchange="vouchers.events",
                             routing_key="generation_chunk_queued", declare=[queue])
        # the publishes (unconfirmed) reach the queue on the broker's own time
        wait_for(lambda: figures(collector) == {("clep_chunk_queue_messages", QUEUE): 3,
                                                ("clep_chunk_queue_consumers", QUEUE): 0})

        held = []
        with connection.Consumer(queue, callbacks=[lambda body, message: held.append(body)],
                                 prefetch_count=1):
            connection.drain_events(timeout=5)
            assert len(held) == 1  # one chunk held, unacknowledged: no longer waiting
            assert figures(collector) == {("clep_chunk_queue_messages", QUEUE): 2,
                                          ("clep_chunk_queue_consumers", QUEUE): 1}


def test_a_broker_out_of_reach_leaves_the_queue_out_of_the_scrape():
    collector = ChunkQueueCollector()
    collector.add("vouchers", "amqp://guest:guest@127.0.0.1:{}/".format(free_port()), QUEUE)
    assert figures(collector) == {}
    assert {family.name for family in collector.collect()} == {
        "clep_chunk_queue_messages", "clep_chunk_queue_consumers"}
