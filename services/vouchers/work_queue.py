"""The chunk queue's own consumer, so that chunks spread over every vouchers process.

nameko 2 gives all of a container's consumers one prefetch: `max_workers` (10). Ten
orders at once are 40 chunks; with a prefetch of 10 the first process to see them would
hold ten while a second process started later sat idle. Chunk tasks are consumed here on a
connection of their own with a small prefetch (VOUCHER_CHUNK_PREFETCH, default 4): a process
holds only the chunks it is about to make (a few in flight, so that one chunk's database
wait overlaps another's code generation), and the rest wait in the queue for whichever
process is free next.
"""
from nameko.messaging import QueueConsumer

from services.common.queues import TypedEventHandler

DEFAULT_CHUNK_PREFETCH = 4


class ChunkQueueConsumer(QueueConsumer):
    """A second shared consumer (its own connection and channel) with its own prefetch."""

    @property
    def prefetch_count(self):
        return int(self.container.config.get("VOUCHER_CHUNK_PREFETCH") or DEFAULT_CHUNK_PREFETCH)


class ChunkEventHandler(TypedEventHandler):
    queue_consumer = ChunkQueueConsumer()


chunk_handler = ChunkEventHandler.decorator
