"""Consuming events: at-least-once delivery made safe.

`consumes` wraps nameko's `event_handler`. The handler itself must be idempotent (open a
unit of work and check `work.first_delivery(event["event_id"], ...)`). What this adds:
an event whose handler fails for a reason a retry will not fix (a missing field, an
unknown order) is kept in the service's `failed_events` table for inspection instead of
being dropped; a transient failure (the database is away) is requeued to run again.
"""
import functools
import json
import logging
import traceback
from datetime import datetime, timezone

import eventlet
from nameko.events import event_handler
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from services.common.messaging_tables import failed_events

log = logging.getLogger(__name__)


def consumes(source_service, event_type, entrypoint=event_handler):
    """`entrypoint`: nameko's `event_handler` or a subclass's decorator (e.g. one with its
    own prefetch)."""
    def decorate(method):
        consumer = method.__name__

        @functools.wraps(method)
        def handle(self, event):
            try:
                return method(self, event)
            except OperationalError:
                log.exception("%s: transient failure on %s; requeueing", consumer, event_type)
                eventlet.sleep(1)  # do not spin on a database that is away
                raise
            except Exception:
                log.exception("%s could not apply %s; keeping it in failed_events",
                              consumer, event_type)
                record_failed_event(self.db, consumer, source_service, event_type, event)

        return entrypoint(source_service, event_type, requeue_on_error=True)(handle)
    return decorate


def record_failed_event(store, consumer, source_service, event_type, event):
    with store.transaction() as work:
        work.session.execute(insert(failed_events), {
            "consumer": consumer,
            "source_service": source_service,
            "event_type": event_type,
            "event_id": str(event.get("event_id")) if isinstance(event, dict) else None,
            "payload": json.dumps(event, default=str),
            "error": traceback.format_exc(limit=5),
            "failed_at": datetime.now(timezone.utc),
        })
