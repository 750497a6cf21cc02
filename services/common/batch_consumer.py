"""An event handler that gives its service method many events at once.

nameko 2 runs one worker per message, and a consumer that opens a transaction per event
pays a commit per event. This entrypoint holds up to BATCH_SIZE delivered messages, for at
most BATCH_WINDOW_SECONDS after the first one arrives, then runs ONE worker with the list of
their bodies. The method returns one flag per body, in order: True to acknowledge that
message, False to requeue it. The acknowledgements go out when the worker is done, i.e.
after the method's transaction committed (nameko acknowledges before the worker's teardown,
on the channel the message came on, as for any of its consumers).

Batches need a prefetch larger than nameko's `max_workers` (10, which would cap a batch at
10): batch handlers consume on a connection of their own (BatchQueueConsumer) with a
prefetch of BATCH_PREFETCH, room for one batch being applied while the next one gathers.
Messages held when the process stops unexpectedly are unacknowledged: the broker hands them
out again, and the handler's idempotency (first_delivery per event_id) absorbs the repeat.

A packed message (a JSON list of events, services/common/outbox_relay.py) gives the batch
each of its events; it is acknowledged when every one of them is, else requeued whole
(the events of it already applied are then skipped as repeats).
"""
from functools import partial

import eventlet
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from services.common.queues import TypedEventHandler

BATCH_SIZE = 200  # events in one unit of work at most
BATCH_WINDOW_SECONDS = 0.05  # how long the first message of a batch waits for company
BATCH_PREFETCH = 2 * BATCH_SIZE


class BatchQueueConsumer(QueueConsumer):
    """A consumer connection shared by the container's batch handlers, with a prefetch
    that lets a batch fill."""

    @property
    def prefetch_count(self):
        return BATCH_PREFETCH

    def handle_message(self, provider, body, message):
        # nameko spawns a thread per message here; gathering one never blocks, so it is
        # done on the consumer's own thread (a full batch gets a thread to start its worker)
        provider.handle_message(body, message)


class BatchEventHandler(TypedEventHandler):
    queue_consumer = BatchQueueConsumer()

    def __init__(self, source_service, event_type, batch_size=BATCH_SIZE,
                 window_seconds=BATCH_WINDOW_SECONDS, **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.batch_size = batch_size
        self.window_seconds = window_seconds
        self._gathered = []  # (events, message), in delivery order
        self._window = None  # the thread that sends a partial batch when its window ends

    def handle_message(self, body, message):
        self._gathered.append((body if isinstance(body, list) else [body], message))
        if sum(len(events) for events, _message in self._gathered) >= self.batch_size:
            self.container.spawn_managed_thread(self._send_batch, identifier="full batch")
        elif self._window is None:
            self._window = self.container.spawn_managed_thread(
                self._send_when_window_ends, identifier="batch window")

    def _send_when_window_ends(self):
        eventlet.sleep(self.window_seconds)
        self._window = None
        self._send_batch()

    def _send_batch(self):
        """A worker for each BATCH_SIZE of what is gathered (starting one waits while the
        worker pool is full, and more may gather meanwhile)."""
        while self._gathered:
            taken = 1  # messages, up to BATCH_SIZE events (a packed one may hold more)
            events = len(self._gathered[0][0])
            while taken < len(self._gathered) and \
                    events + len(self._gathered[taken][0]) <= self.batch_size:
                events += len(self._gathered[taken][0])
                taken += 1
            gathered = self._gathered[:taken]
            del self._gathered[:taken]
            bodies = [event for events, _message in gathered for event in events]
            messages = [(message, len(events)) for events, message in gathered]
            try:
                self.container.spawn_worker(
                    self, (bodies,), {},
                    context_data=self.unpack_message_headers(gathered[0][1]),
                    handle_result=partial(self.handle_batch_result, messages))
            except ContainerBeingKilled:
                for message, _count in messages:
                    self.queue_consumer.requeue_message(message)

    def handle_batch_result(self, messages, worker_ctx, result=None, exc_info=None):
        """`messages`: (message, how many of the batch's events it carried), in order."""
        events = sum(count for _message, count in messages)
        acknowledged = result
        if exc_info is not None or result is None or len(result) != events:
            acknowledged = [False] * events  # the method itself broke: all again
        start = 0
        for message, count in messages:
            if all(acknowledged[start:start + count]):
                self.queue_consumer.ack_message(message)
            else:
                self.queue_consumer.requeue_message(message)
            start += count
        return result, exc_info

    def stop(self):
        super().stop()  # no more deliveries; what is gathered is applied, not left waiting
        self._send_batch()


batch_event_handler = BatchEventHandler.decorator
