"""Operations' view of the events a service could not apply, and their replay.

Every consuming service mixes `FailedEventsRpc` into its service class: RPC
`failed_events` (newest first) and `replay_failed_events` (all, or some ids). A replay runs
the consumer's own handler (through `consumes`' schema check), so a kept event is applied
exactly as a delivery would have applied it: once per event id. What applies now leaves
`failed_events`; what still fails stays, with its new error. (Import this module, not the
class, into a service's module: `nameko run` starts every class with entrypoints it finds
there.)
"""
import json
import logging

from sqlalchemy import delete, select, update

from services.common.messaging_tables import failed_events
from services.common.rpc import rpc

log = logging.getLogger(__name__)

MAX_LISTED = 500


class FailedEventsRpc:
    """RPC for operations (the gateway's /api/admin/services/<name>/failed-events and the
    CLIs' `failed` / `replay-failed`). Needs the service's `db`."""

    @rpc
    def failed_events(self, limit=100):
        """The events this service could not apply, kept for inspection, newest first."""
        return failed_list(self.db, max(1, min(int(limit), MAX_LISTED)))

    @rpc
    def replay_failed_events(self, ids=None):
        """Apply the kept events again (all, or those ids: none for an empty list), oldest
        first, e.g. once a missing order has arrived or a missing table is back."""
        def replay_one(consumer, event):
            handler = getattr(type(self), consumer, None)
            if handler is None or not hasattr(handler, "apply"):
                raise LookupError("{} has no consumer {!r}".format(self.name, consumer))
            handler.apply(self, event)
        return replay_failed(self.db, replay_one, ids)


def replay_failed(store, replay_one, ids=None):
    """Re-apply kept events, oldest first; `replay_one(consumer, event)` applies one."""
    query = select(failed_events).order_by(failed_events.c.id)
    if ids is not None:  # an empty list replays nothing
        query = query.where(failed_events.c.id.in_([int(one) for one in ids]))
    with store.reader() as session:
        rows = session.execute(query).all()
    replayed, still_failing = [], []
    for row in rows:
        try:
            replay_one(row.consumer, json.loads(row.payload))
        except Exception as error:  # noqa: BLE001 - kept for the next inspection
            reason = "{}: {}".format(type(error).__name__, error)
            log.warning("failed event %s (%s) still fails: %s", row.id, row.event_type, reason)
            with store.transaction() as work:
                work.session.execute(update(failed_events).where(failed_events.c.id == row.id)
                                     .values(error=reason))
            still_failing.append({"id": row.id, "consumer": row.consumer,
                                  "event_type": row.event_type, "error": reason})
            continue
        with store.transaction() as work:
            work.session.execute(delete(failed_events).where(failed_events.c.id == row.id))
        log.info("failed event %s (%s -> %s) replayed", row.id, row.event_type, row.consumer)
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
             "attempts": row.attempts, "failed_at": row.failed_at.isoformat()}
            for row in rows]
