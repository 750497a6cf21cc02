"""Consuming events: at-least-once delivery made safe.

`consumes` wraps nameko's `event_handler` (its queue of the configured type:
services/common/queues.py). The handler itself must be idempotent (open a
unit of work and check `work.first_delivery(event["event_id"], ...)`). What this adds:

- the event is first checked against the consumer's schema of it (`schema`, see
  services/common/event_schema.py); a malformed event is kept in `failed_events` with
  the reason, never retried (a retry would not fix it);
- an event whose handler fails for a reason a retry will not fix (an unknown order) is
  kept in `failed_events` for inspection and replay instead of being dropped;
- a transient failure (`OperationalError`: the database is away, locked, or a table is
  missing) is requeued, with a growing pause, at most MAX_ATTEMPTS times per event and
  consumer (counted in `event_retries`); the last failure keeps it in `failed_events` and
  acknowledges it, so nothing loops for ever. While the database cannot even count the
  attempt (it is away), the event is requeued uncounted: the work resumes when it returns.

Operations list and replay the kept events (services/common/failed_events.py).
"""
import functools
import hashlib
import json
import logging
import traceback
from datetime import datetime, timedelta, timezone

import eventlet
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from services.common import metrics
from services.common.database import insert_ignoring_duplicates
from services.common.event_schema import MalformedEvent, check_event
from services.common.messaging_tables import event_retries, failed_events
from services.common.queues import event_handler

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # deliveries of one event that fail transiently before it is kept
RETRY_PAUSES = (1, 2, 4, 8)  # seconds before requeueing after the 1st, 2nd, ... failure
RETRIES_FORGOTTEN_AFTER = timedelta(days=1)  # counts of events applied elsewhere since


def consumes(source_service, event_type, schema=None, entrypoint=event_handler):
    """`schema`: the consumer's marshmallow schema of the event (what it reads of it).
    `entrypoint`: services.common.queues' `event_handler` or a subclass's decorator (e.g.
    one with its own prefetch)."""
    def decorate(method):
        consumer = EventConsumer(method.__name__, source_service, event_type)

        def apply(self, event):
            check_event(schema, event)
            return method(self, event)

        @functools.wraps(method)
        def handle(self, event):
            outcome = consumer.deliver(self.db, lambda: apply(self, event), event)
            if outcome.requeue_after is not None:
                eventlet.sleep(outcome.requeue_after)
                raise outcome.error
            return outcome.result

        handle.apply = apply  # what a replay runs: the schema check, then the handler
        return entrypoint(source_service, event_type, requeue_on_error=True)(handle)
    return decorate


class Outcome:
    """What became of one delivery: applied or kept (acknowledge it; `result` is the
    handler's), or to be requeued after `requeue_after` seconds because of `error`."""

    def __init__(self, result=None, requeue_after=None, error=None):
        self.result = result
        self.requeue_after = requeue_after
        self.error = error


class EventConsumer:
    """One consumer of one kind of event (its name is the handler's): what a delivery
    that fails becomes, by the rules in this module's docstring."""

    def __init__(self, name, source_service, event_type):
        self.name = name
        self.source_service = source_service
        self.event_type = event_type
        self.retried = set()  # events this process requeued: forget their count once applied

    def deliver(self, store, apply, event):
        """Run `apply()` for `event`; the Outcome says whether to acknowledge it."""
        key = retry_key(event)
        try:
            result = apply()
        except MalformedEvent as malformed:
            log.warning("%s: malformed %s.%s event %s kept in failed_events: %s",
                        self.name, self.source_service, self.event_type, key, malformed)
            self.keep(store, event, "MalformedEvent: {}".format(malformed))
        except OperationalError as error:
            attempts = count_attempt(store, self.name, key, error)
            if attempts is None or attempts < MAX_ATTEMPTS:
                self.retried.add(key)
                log.warning("%s: %s.%s event %s failed (attempt %s of %s), requeued: %s",
                            self.name, self.source_service, self.event_type, key,
                            attempts or "?", MAX_ATTEMPTS, one_line(error))
                pause = RETRY_PAUSES[min(attempts or 1, len(RETRY_PAUSES)) - 1]
                return Outcome(requeue_after=pause, error=error)
            log.error("%s: %s.%s event %s failed %s times; kept in failed_events: %s",
                      self.name, self.source_service, self.event_type, key, attempts,
                      one_line(error))
            self.keep(store, event, traceback.format_exc(limit=5), attempts)
            self.retried.discard(key)
            forget_attempts(store, self.name, [key])
        except Exception:
            log.exception("%s could not apply %s; keeping it in failed_events",
                          self.name, self.event_type)
            self.keep(store, event, traceback.format_exc(limit=5))
        else:
            self.forget(store, [key])
            self.count_applied(1)
            return Outcome(result)
        return Outcome()

    def count_applied(self, events):
        metrics.EVENTS_APPLIED.labels(self.name, self.event_type).inc(events)

    def keep(self, store, event, error, attempts=1):
        record_failed_event(store, self.name, self.source_service, self.event_type, event,
                            error, attempts)
        metrics.EVENTS_KEPT.labels(self.name, self.event_type).inc()

    def forget(self, store, keys):
        """Forget the retry counts of applied events this process had requeued."""
        requeued = [key for key in keys if key in self.retried]
        if requeued:
            self.retried.difference_update(requeued)
            forget_attempts(store, self.name, requeued)


def retry_key(event):
    """The event's id; for an event without a usable one, a digest of its payload."""
    event_id = event.get("event_id") if isinstance(event, dict) else None
    if isinstance(event_id, (str, int)) and not isinstance(event_id, bool) and \
            0 < len(str(event_id)) <= 36:
        return str(event_id)
    return hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()


def one_line(error):
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def count_attempt(store, consumer, key, error):
    """Count one more failed delivery of the event; None when the database cannot count
    (it is away: the event is requeued uncounted)."""
    now = datetime.now(timezone.utc)
    try:
        with store.transaction() as work:
            session = work.session
            session.execute(delete(event_retries).where(
                event_retries.c.last_at < now - RETRIES_FORGOTTEN_AFTER))
            insert_ignoring_duplicates(session, event_retries, [{
                "event_id": key, "consumer": consumer, "attempts": 0, "last_at": now}])
            session.execute(update(event_retries).where(
                event_retries.c.event_id == key, event_retries.c.consumer == consumer)
                .values(attempts=event_retries.c.attempts + 1, last_at=now,
                        last_error=one_line(error)))
            return session.scalar(select(event_retries.c.attempts).where(
                event_retries.c.event_id == key, event_retries.c.consumer == consumer))
    except SQLAlchemyError:
        return None


def forget_attempts(store, consumer, keys):
    try:
        with store.transaction() as work:
            work.session.execute(delete(event_retries).where(
                event_retries.c.event_id.in_(keys), event_retries.c.consumer == consumer))
    except SQLAlchemyError:  # a stale count is forgotten after RETRIES_FORGOTTEN_AFTER
        log.warning("%s: could not forget the retry counts of %s", consumer, keys)


def record_failed_event(store, consumer, source_service, event_type, event, error,
                        attempts=1):
    event_id = event.get("event_id") if isinstance(event, dict) else None
    with store.transaction() as work:
        work.session.execute(insert(failed_events), {
            "consumer": consumer,
            "source_service": source_service,
            "event_type": event_type,
            "event_id": None if event_id is None else str(event_id)[:36],
            "payload": json.dumps(event, default=str),
            "error": error,
            "failed_at": datetime.now(timezone.utc),
            "attempts": attempts,
        })
