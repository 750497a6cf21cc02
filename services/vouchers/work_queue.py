"""The chunk queue's own consumer, so that chunks spread over every vouchers process.

nameko 2 gives all of a container's consumers one prefetch: `max_workers` (10). An order
of 10,000 codes is 10 chunks, so the first process to see them would take every one and a
second process would sit idle. Chunk tasks are consumed here on a connection of their own
with a small prefetch (VOUCHER_CHUNK_PREFETCH, default 2): a process holds only the chunks
it is about to make, the rest wait in the queue for whichever process is free next.
"""
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

DEFAULT_CHUNK_PREFETCH = 2


class ChunkQueueConsumer(QueueConsumer):
    """A second shared consumer (its own connection and channel) with its own prefetch."""

    @property
    def prefetch_count(self):
        return int(self.container.config.get("VOUCHER_CHUNK_PREFETCH") or DEFAULT_CHUNK_PREFETCH)


class ChunkEventHandler(EventHandler):
    queue_consumer = ChunkQueueConsumer()


chunk_handler = ChunkEventHandler.decorator
