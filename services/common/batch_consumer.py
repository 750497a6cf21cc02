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
"""
from functools import partial

import eventlet
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

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


class BatchEventHandler(EventHandler):
    queue_consumer = BatchQueueConsumer()

    def __init__(self, source_service, event_type, batch_size=BATCH_SIZE,
                 window_seconds=BATCH_WINDOW_SECONDS, **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.batch_size = batch_size
        self.window_seconds = window_seconds
        self._gathered = []  # (body, message), in delivery order
        self._window = None  # the thread that sends a partial batch when its window ends

    def handle_message(self, body, message):
        self._gathered.append((body, message))
        if len(self._gathered) >= self.batch_size:
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
            gathered = self._gathered[:self.batch_size]
            del self._gathered[:self.batch_size]
            bodies = [body for body, _message in gathered]
            messages = [message for _body, message in gathered]
            try:
                self.container.spawn_worker(
                    self, (bodies,), {}, context_data=self.unpack_message_headers(messages[0]),
                    handle_result=partial(self.handle_batch_result, messages))
            except ContainerBeingKilled:
                for message in messages:
                    self.queue_consumer.requeue_message(message)

    def handle_batch_result(self, messages, worker_ctx, result=None, exc_info=None):
        if exc_info is not None or result is None or len(result) != len(messages):
            acknowledged = [False] * len(messages)  # the method itself broke: all again
        else:
            acknowledged = result
        for message, acknowledge in zip(messages, acknowledged):
            if acknowledge:
                self.queue_consumer.ack_message(message)
            else:
                self.queue_consumer.requeue_message(message)
        return result, exc_info

    def stop(self):
        super().stop()  # no more deliveries; what is gathered is applied, not left waiting
        self._send_batch()


batch_event_handler = BatchEventHandler.decorator
