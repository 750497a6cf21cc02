"""Publishes what units of work wrote to the outbox, then marks it sent.

Woken right after a commit that emitted events, and polling every second for anything
left behind (a crash between commit and publish, a broker that was down). Events go out
as nameko events (`<service>.events` exchange, routing key = event type), so consumers use
plain `@event_handler`, in batches with one wait for the broker's confirms. They are
published `mandatory`: an event no queue is bound to yet stays pending and is retried,
instead of being dropped by the broker. Notices are the exception: event types that only
processes listening at the moment hear (each on a queue of its own that lives as long as
it does), such as `access_changed` for the gateways' caches; nobody listening is no error.

Packed event types (declared by the publishing service, for events whose every consumer
takes them in batches: services/common/batch_consumer.py) travel many to a message: the
due events of one such type in a relay batch go as ONE message whose body is the JSON list
of their payloads, each payload unchanged with its own event_id. The broker, the relay and
the consumers then handle one message where there were hundreds (results reported 1,000 at
a time, redemptions gathered by the gateways).

Each event goes with the correlation id of the work that wrote it (its row's, see
services/common/correlation.py): a message of its own carries it as nameko's header, so
the consumer's worker takes it up like an RPC's; a packed message holds events of many
requests, so there each event carries its own, as `correlation_id` in the payload.
"""
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Extension
from nameko.standalone.events import get_event_exchange
from sqlalchemy import and_, delete, or_, select, update

from services.common import correlation
from services.common.batch_publisher import BatchPublisher
from services.common.broker import BROKER_UNREACHABLE
from services.common.messaging_tables import outbox

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
BATCH_SIZE = 200
MAX_BACKOFF_SECONDS = 60
CLAIM_SECONDS = 60  # SQLite: how long a relay owns the rows it is publishing
# Consumer queues are durable, so "no queue bound" means either the consumer has never run
# on this broker yet (worth waiting for) or nobody subscribes to the event at all. After
# this many tries (about ten minutes of backoff) the row is closed, its last_error kept.
MAX_UNROUTED_ATTEMPTS = 15
SENT_RETENTION = timedelta(days=7)  # sent rows are deleted after this
PURGE_EVERY_SECONDS = 3600


class OutboxRelay(Extension):

    def __init__(self):
        self.store = None
        self.service_name = None
        self._wakeups = LightQueue()
        self._running = False
        self._thread = None

    def attach(self, store, service_name, notices=frozenset(), packed=frozenset()):
        self.store = store
        self.service_name = service_name
        self.notices = notices
        self.packed = packed
        store.on_events_committed(self.wake)

    def start(self):
        self.exchange = get_event_exchange(self.service_name, self.container.config)
        self.publisher = BatchPublisher(self.container.config[AMQP_URI_CONFIG_KEY],
                                        self.exchange, self.notices)
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self.publisher.close()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def wake(self):
        if self._wakeups.qsize() == 0:
            self._wakeups.put(None)

    def _run(self):
        next_purge = 0.0
        broker_away = False  # said once when it goes, once when it is back
        while self._running:
            try:
                published = BATCH_SIZE
                while self._running and published == BATCH_SIZE:
                    published = self.relay_batch()
                    if published and broker_away:
                        log.info("outbox relay of %s: broker reached again", self.service_name)
                        broker_away = False
                if time.monotonic() >= next_purge:
                    self.purge_sent()
                    next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            except BROKER_UNREACHABLE as away:  # e.g. its node stopped: reconnect next pass
                if not broker_away:
                    log.warning("outbox relay of %s: broker out of reach (%s: %s); retrying",
                                self.service_name, type(away).__name__, away)
                broker_away = True
                eventlet.sleep(POLL_SECONDS)
            except Exception:  # e.g. the database away: keep the loop alive, retry later
                log.exception("outbox relay of %s failed; retrying", self.service_name)
                eventlet.sleep(POLL_SECONDS)
            try:
                self._wakeups.get(timeout=POLL_SECONDS)
            except Empty:
                pass

    def relay_batch(self):
        """Publish up to BATCH_SIZE due events; returns how many were due."""
        now = datetime.now(timezone.utc)  # real time even under a frozen domain clock
        columns = (outbox.c.id, outbox.c.event_type, outbox.c.payload, outbox.c.attempts,
                   outbox.c.correlation_id)
        due_now = or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
        due = (select(*columns).where(and_(outbox.c.sent_at.is_(None), due_now))
               .order_by(outbox.c.id).limit(BATCH_SIZE))
        if self.store.is_sqlite:
            # never hold SQLite's write lock while publishing (publishing yields); instead
            # claim the rows for a while, so that the relay of another process on the same
            # file does not publish them too (a claim left by a crash simply runs out)
            with self.store.transaction() as work:
                rows = work.session.execute(due).all()
                if rows:
                    work.session.execute(
                        update(outbox).where(outbox.c.id.in_([row.id for row in rows]))
                        .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)))
            if not rows:
                return 0
            try:
                outcomes = self._publish(rows)
            except Exception:  # broker away: the rows are due again at once
                with self.store.transaction() as work:
                    work.session.execute(update(outbox).where(
                        outbox.c.id.in_([row.id for row in rows])).values(next_attempt_at=now))
                raise
            with self.store.transaction() as work:
                self._record(work.session, rows, outcomes, now)
        else:
            with self.store.transaction() as work:  # SKIP LOCKED: replicas share the work
                rows = work.session.execute(due.with_for_update(skip_locked=True)).all()
                outcomes = self._publish(rows)
                self._record(work.session, rows, outcomes, now)
        return len(rows)

    def _publish(self, rows):
        """One outcome per row: that of the message that carried it."""
        carried, packs = [], {}  # the rows of each message, in the order they are due
        for row in rows:
            if row.event_type in packs:
                packs[row.event_type].append(row)
                continue
            group = [row]
            if row.event_type in self.packed:
                packs[row.event_type] = group
            carried.append(group)
        outcomes = self.publisher.publish([
            (group[0].event_type, _packed_body(group), None)
            if group[0].event_type in self.packed else
            (group[0].event_type, group[0].payload, _headers(group[0]))
            for group in carried])
        outcome_of = {row.id: outcome for group, outcome in zip(carried, outcomes)
                      for row in group}
        return [outcome_of[row.id] for row in rows]

    def _record(self, session, rows, outcomes, now):
        sent = [row.id for row, error in zip(rows, outcomes) if error is None]
        if sent:
            session.execute(update(outbox).where(outbox.c.id.in_(sent)).values(sent_at=now))
        for row, error in zip(rows, outcomes):
            if error is None:
                continue
            if row.attempts + 1 >= MAX_UNROUTED_ATTEMPTS:
                session.execute(update(outbox).where(outbox.c.id == row.id).values(
                    attempts=row.attempts + 1, sent_at=now,
                    last_error="{}; gave up after {} tries".format(error, row.attempts + 1)))
                log.error("event %s of %s was never routed; closed (see outbox.last_error)",
                          row.event_type, self.service_name)
                continue
            delay = min(MAX_BACKOFF_SECONDS, 2 ** row.attempts)
            session.execute(update(outbox).where(outbox.c.id == row.id).values(
                attempts=row.attempts + 1, last_error=error,
                next_attempt_at=now + timedelta(seconds=delay)))
            log.warning("event %s of %s not routed; retry in %ss",
                        row.event_type, self.service_name, delay)

    def purge_sent(self):
        """Delete rows sent longer ago than SENT_RETENTION; the outbox is not an archive."""
        cutoff = datetime.now(timezone.utc) - SENT_RETENTION
        with self.store.transaction() as work:
            return work.session.execute(delete(outbox).where(
                outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff)).rowcount


def _headers(row):
    return {correlation.HEADER: row.correlation_id} if row.correlation_id else None


def _packed_body(rows):
    """The JSON list of the rows' payloads (the stored texts joined, not parsed again),
    each with its correlation id put first (a stored payload is always an object)."""
    return "[" + ",".join(_with_correlation_id(row) for row in rows) + "]"


def _with_correlation_id(row):
    if not row.correlation_id:
        return row.payload
    rest = row.payload[1:]
    return '{"correlation_id": ' + json.dumps(row.correlation_id) + \
        ("" if rest.lstrip().startswith("}") else ", ") + rest
