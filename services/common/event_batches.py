"""Consuming many events in one unit of work, with every guarantee of `consumes`.

`consumes_in_batches` decorates `method(self, work, events)`, which applies a list of
events (as their schema loads them) in the unit of work it is given, in a handful of
statements for the whole list where one event's work would be one statement. Deliveries
are gathered by services/common/batch_consumer.py and applied together:

- each event is checked against the schema first; a malformed one is kept in
  `failed_events` on its own and the others go on;
- the rest are applied in one transaction, `first_delivery` checked for all of them in one
  statement (a redelivered event, or the same event twice in a batch, is applied once);
- if anything in that transaction fails, it is rolled back and each event is applied
  again on its own, exactly as `consumes` would apply it (services/common/events.py): the
  good ones commit, one that fails for good is kept in `failed_events`, one that fails
  transiently is counted and requeued (after one pause for the whole batch). One bad event
  thus costs its batch a second pass, never an event.

A replay of a kept event (`failed_events.replay_failed_events`) runs `apply`: the schema
check, then the method in a unit of work of its own.

One worker applies events of many requests, so each event gets a log line of its own under
its own correlation id (a packed event carries it: services/common/outbox_relay.py), with
what became of it and the batch's id; an event applied on its own runs under its id.
"""
import functools
import logging

import eventlet

from services.common import correlation
from services.common.batch_consumer import batch_event_handler
from services.common.event_schema import MalformedEvent, check_event
from services.common.events import EventConsumer, Outcome, one_line, retry_key

log = logging.getLogger(__name__)


def consumes_in_batches(source_service, event_type, schema=None, entrypoint=None):
    """`schema`: what the consumer reads of the event; `entrypoint`: the batch handler's
    decorator (tests give one with a small batch or a longer window)."""
    entrypoint = entrypoint or batch_event_handler

    def decorate(method):
        consumer = EventConsumer(method.__name__, source_service, event_type)

        def apply(self, event):
            """One event in its own unit of work (a replay, or the second pass)."""
            loaded = check_event(schema, event)
            with self.db.transaction() as work:
                if work.first_delivery(loaded["event_id"], consumer.name):
                    method(self, work, [loaded])

        @functools.wraps(method)
        def handle_batch(self, events):
            return apply_batch(self, consumer, schema, method, apply, events)

        handle_batch.apply = apply
        return entrypoint(source_service, event_type, requeue_on_error=True)(handle_batch)
    return decorate


def apply_batch(service, consumer, schema, method, apply, events):
    """Apply `events`; returns, for each, whether its message is to be acknowledged."""
    loaded, on_their_own = [], []
    for index, event in enumerate(events):
        try:
            loaded.append((index, check_event(schema, event)))
        except MalformedEvent:
            on_their_own.append(index)  # kept in failed_events by `deliver`, below
    said = {}  # index: what became of the event, for its line
    if loaded:
        try:
            with service.db.transaction() as work:
                fresh = work.first_deliveries([event["event_id"] for _i, event in loaded],
                                              consumer.name)
                first_time = []
                for index, event in loaded:
                    said[index] = "repeat"
                    if str(event["event_id"]) in fresh:
                        fresh.discard(str(event["event_id"]))  # the same id again: once
                        first_time.append(event)
                        said[index] = "applied"
                method(service, work, first_time)
        except Exception as error:  # noqa: BLE001 - every event gets its own pass
            log.info("%s: a batch of %s %s events failed (%s); applying each on its own",
                     consumer.name, len(loaded), consumer.event_type, one_line(error))
            on_their_own.extend(index for index, _event in loaded)
        else:
            consumer.forget(service.db, [retry_key(events[index]) for index, _e in loaded])
            consumer.count_applied(len(loaded))

    outcomes = [Outcome()] * len(events)
    for index in sorted(on_their_own):
        event = events[index]
        said[index] = "kept"  # unless it applies or is requeued, below

        def apply_alone(event=event, index=index):
            apply(service, event)
            said[index] = "applied"
        token = correlation.bind(_correlation_id(event), correlation.current_service())
        try:  # its lines, and the events it emits, under its own id
            outcomes[index] = consumer.deliver(service.db, apply_alone, event)
        finally:
            correlation.unbind(token)
        if outcomes[index].requeue_after is not None:
            said[index] = "requeued"
    _log_each(consumer, events, said)
    pauses = [outcome.requeue_after for outcome in outcomes
              if outcome.requeue_after is not None]
    if pauses:
        eventlet.sleep(max(pauses))  # once for the batch, not once per event
    return [outcome.requeue_after is None for outcome in outcomes]


def _correlation_id(event):
    """The event's own id (a packed event's), else the batch's."""
    own = event.get("correlation_id") if isinstance(event, dict) else None
    return correlation.sane(own) or correlation.current_id()


def _log_each(consumer, events, said):
    if not log.isEnabledFor(logging.INFO):
        return
    batch = correlation.current_id()
    for index, event in enumerate(events):
        event_id = retry_key(event)
        log.info("%s: %s event %s %s in batch %s", consumer.name, consumer.event_type,
                 event_id, said.get(index, "kept"), batch, extra={
                     "correlation_id": _correlation_id(event), "batch_correlation_id": batch,
                     "event_type": consumer.event_type, "event_id": event_id,
                     "outcome": said.get(index, "kept")})
