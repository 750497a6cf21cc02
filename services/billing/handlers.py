"""Applying incoming events once, and replaying the ones kept in `failed_events`.

Every consumer of the billing service is named here with the function that applies its
event, so that a replay (`replay_failed_events`, the CLI's `replay-failed`) applies a kept
event exactly as its handler would have: once per event id, and an exam is billed once
per result whatever the event id.
"""
import json
import logging

from sqlalchemy import delete, select, update

from services.billing import billable, copies
from services.billing.event_fields import field
from services.common.messaging_tables import failed_events

log = logging.getLogger(__name__)

APPLY = {
    "keep_organization": copies.keep_registered_organization,
    "keep_updated_organization": copies.keep_organization,
    "keep_billing_contact": copies.keep_billing_contact,
    "keep_fees": copies.keep_fees,
    "keep_order": copies.keep_order,
    "keep_po_number": copies.keep_po_number,
    "keep_registration": copies.keep_registration,
    "cancel_registration": copies.cancel_registration,
    "record_exam": billable.record_exam,
}


def apply_once(store, clock, consumer, event):
    """Apply `event` as `consumer` in one unit of work, unless it was applied before."""
    with store.transaction() as work:
        if work.first_delivery(field(event, "event_id", "key"), consumer):
            APPLY[consumer](work.session, event, clock.now())


def replay_failed(store, replay_one, ids=None):
    """Re-apply kept events (all of billing's, or those with these ids), oldest first.

    `replay_one(consumer, event)` applies one; an event that now applies is removed from
    `failed_events`, one that still fails stays there with its new error.
    """
    query = select(failed_events).order_by(failed_events.c.id)
    if ids:
        query = query.where(failed_events.c.id.in_(list(ids)))
    with store.reader() as session:
        rows = session.execute(query).all()
    replayed, still_failing = [], []
    for row in rows:
        try:
            replay_one(row.consumer, json.loads(row.payload))
        except Exception as error:  # noqa: BLE001 - recorded for the next inspection
            log.warning("failed event %s (%s) still fails: %s", row.id, row.event_type, error)
            with store.transaction() as work:
                work.session.execute(update(failed_events).where(failed_events.c.id == row.id)
                                     .values(error="{}: {}".format(type(error).__name__, error)))
            still_failing.append({"id": row.id, "consumer": row.consumer,
                                  "event_type": row.event_type,
                                  "error": "{}: {}".format(type(error).__name__, error)})
            continue
        with store.transaction() as work:
            work.session.execute(delete(failed_events).where(failed_events.c.id == row.id))
        replayed.append({"id": row.id, "consumer": row.consumer, "event_type": row.event_type})
    return {"replayed": replayed, "still_failing": still_failing}


def failed_list(store, limit=100):
    """The events kept for inspection, newest first."""
    with store.reader() as session:
        rows = session.execute(select(failed_events).order_by(failed_events.c.id.desc())
                               .limit(limit)).all()
    return [{"id": row.id, "consumer": row.consumer, "source_service": row.source_service,
             "event_type": row.event_type, "event_id": row.event_id,
             "payload": json.loads(row.payload), "error": row.error,
             "failed_at": row.failed_at.isoformat()} for row in rows]
