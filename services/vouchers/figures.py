"""The vouchers service's own Prometheus figures: codes generated, and the chunk queue.

`VOUCHERS_GENERATED` counts the codes each chunk made (after its commit), so
`rate(clep_vouchers_generated_total[1m])` is vouchers generated per second.

`chunk_queue = ChunkQueueFigures()` in the service reads the chunk queue when scraped: a
passive declare on a connection of its own (opened and closed per scrape, every 15 s or
so: nothing to keep alive between scrapes, and never the connection a consumer or
publisher uses, which a declare of a missing queue would close). The broker counts the
chunks waiting (ready) and the processes consuming; the chunks the processes hold
unacknowledged (VOUCHER_CHUNK_PREFETCH each) are not among those waiting. Every vouchers
process reports the same queue: the dashboard takes the max.
"""
import logging

from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

CHUNK_EVENT = "generation_chunk_queued"
SCRAPE_TIMEOUT_SECONDS = 2.0  # a broker away must not hold up the scrape of the rest

VOUCHERS_GENERATED = Counter("clep_vouchers_generated",
                             "Voucher codes generated (each chunk's count, once committed)")


class ChunkQueueCollector:
    """Reads, at each scrape, the chunk queues its providers add (one per vouchers
    container in this process: one, outside tests)."""

    def __init__(self):
        self._queues = {}  # container id -> (amqp uri, queue name)
        self._unread = False  # the last scrape could not read the queue (said once)

    def add(self, key, amqp_uri, queue_name):
        self._queues[key] = (amqp_uri, queue_name)

    def remove(self, key):
        self._queues.pop(key, None)

    def collect(self):
        waiting = GaugeMetricFamily("clep_chunk_queue_messages",
                                    "Voucher chunks waiting in the chunk queue (ready, not "
                                    "yet delivered)", labels=["queue"])
        consumers = GaugeMetricFamily("clep_chunk_queue_consumers",
                                      "Processes consuming the chunk queue", labels=["queue"])
        for amqp_uri, queue_name in set(self._queues.values()):
            try:
                _, messages, consuming = declared(amqp_uri, queue_name)
            except Exception as error:  # noqa: BLE001 - broker away: not in this scrape
                if not self._unread:
                    log.warning("chunk queue not read for /metrics: %r", error)
                self._unread = True
                continue
            self._unread = False
            waiting.add_metric([queue_name], messages)
            consumers.add_metric([queue_name], consuming)
        yield waiting
        yield consumers

    def describe(self):
        yield GaugeMetricFamily("clep_chunk_queue_messages", "", labels=["queue"])
        yield GaugeMetricFamily("clep_chunk_queue_consumers", "", labels=["queue"])


def declared(amqp_uri, queue_name):
    """(name, ready messages, consumers) of an existing queue, by a passive declare."""
    with Connection(amqp_uri, connect_timeout=SCRAPE_TIMEOUT_SECONDS,
                    transport_options={"read_timeout": SCRAPE_TIMEOUT_SECONDS,
                                       "write_timeout": SCRAPE_TIMEOUT_SECONDS}) as connection:
        # each broker of a failover list once, without kombu's pause between rounds
        connection.ensure_connection(max_retries=max(len(connection.alt), 1) - 1)
        with connection.channel() as channel:
            return channel.queue_declare(queue=queue_name, passive=True)


CHUNK_QUEUE = ChunkQueueCollector()
REGISTRY.register(CHUNK_QUEUE)


class ChunkQueueFigures(DependencyProvider):
    """Adds this container's chunk queue (its handler of `generation_chunk_queued`) to
    what a scrape reads, while the container runs."""

    def start(self):
        [handler] = [entrypoint for entrypoint in self.container.entrypoints
                     if isinstance(entrypoint, EventHandler) and
                     entrypoint.event_type == CHUNK_EVENT]
        CHUNK_QUEUE.add(id(self.container), self.container.config[AMQP_URI_CONFIG_KEY],
                        handler.queue.name)

    def stop(self):
        CHUNK_QUEUE.remove(id(self.container))

    kill = stop

    def get_dependency(self, worker_ctx):
        return None
