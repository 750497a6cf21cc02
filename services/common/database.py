"""Each service's own database: engine set-up, units of work, and the outbox write.

A unit of work is one transaction. On SQLite it starts with BEGIN IMMEDIATE (so two
processes sharing a file take turns instead of failing on a lock upgrade) under a green
lock (so two greenthreads of one process never both wait on SQLite's blocking lock and
stall the hub). Rule for callers: do the slow or yielding work (RPC, CPU loops with
`eventlet.sleep`) before opening a unit of work, not inside it.
"""
import contextlib
import itertools
import json
import sqlite3
import time
import uuid
from pathlib import Path

import eventlet.semaphore
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (DBAPIError, DisconnectionError, OperationalError,
                            TimeoutError as PoolTimeout)
from sqlalchemy.orm import Session

from services.common import correlation, messaging_tables as tables
from services.common.bulk_insert import insert_rows
from services.common.clock import Clock
from services.common.config import database_url
from services.common.outbox_relay import OutboxRelay


# A service process's PostgreSQL pool. It keeps at most `pool_size` connections open: one
# for each worker that may run at once (max_workers, 10 by default), plus the outbox relay,
# the readiness check and a metrics scrape, which run beside the workers; and it opens up
# to `max_overflow` more for a moment, never kept. A database thus sees at most
# replicas x (DB_POOL_SIZE + DB_POOL_OVERFLOW) connections from one service
# (deploy/README.md, "PostgreSQL").
BESIDE_THE_WORKERS = 3
DEFAULT_MAX_WORKERS = 10  # nameko's
DEFAULT_POOL_OVERFLOW = 5


def pool_sizes(config):
    """(pool_size, max_overflow) from DB_POOL_SIZE (empty: max_workers + 3) and
    DB_POOL_OVERFLOW."""
    workers = int(config.get("max_workers") or DEFAULT_MAX_WORKERS)
    size = config.get("DB_POOL_SIZE")
    overflow = config.get("DB_POOL_OVERFLOW")
    return (int(size) if size not in (None, "") else workers + BESIDE_THE_WORKERS,
            int(overflow) if overflow not in (None, "") else DEFAULT_POOL_OVERFLOW)


def make_engine(url, pool_sizes=(DEFAULT_MAX_WORKERS + BESIDE_THE_WORKERS,
                                 DEFAULT_POOL_OVERFLOW)):
    """`pool_sizes`: (pool_size, max_overflow) on PostgreSQL (SQLite has no pool to size)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):  # psycopg2: green under eventlet (psycopg 3 is not)
            url = "postgresql+psycopg2://" + url[len(prefix):]
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    pool_size, max_overflow = pool_sizes
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    _ping_when_idle(engine)
    return engine


# A pooled connection unused this long is checked with a round trip before it is handed
# out: the server may have restarted or dropped it meanwhile. One in steady use is not
# (pool_pre_ping would ping on every checkout, a round trip per transaction), and if
# the server went away in between, the first statement's disconnect error invalidates
# the whole pool, so that only that one unit of work fails.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine):
    @event.listens_for(engine, "checkin")
    def note_idle(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # the dialect's own, as pool_pre_ping
        except Exception as error:  # noqa: BLE001 - any failure: the pool connects anew
            raise DisconnectionError(str(error)) from error


def _sqlite_engine(url):
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        immediate = connection.get_execution_options().get("clep_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# SQLite reports a missing table or a bad statement as an OperationalError too: only these
# say that the file could not be used for now
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")


def is_database_unavailable(error):
    """Whether `error` says the database could not be reached or used for now (down,
    restarting, out of connections, a SQLite file locked for too long), so that the same
    request can work shortly, rather than that the request or the schema is wrong."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return str(error.orig).lower().startswith(_SQLITE_UNAVAILABLE)
    return True  # PostgreSQL: connection refused or lost, server shutting down


def insert_ignoring_duplicates(session, table, rows):
    """Insert rows, skipping any that hit a unique constraint; returns how many went in."""
    return len(inserted_ignoring_duplicates(session, table, rows))


def inserted_ignoring_duplicates(session, table, rows):
    """`insert_ignoring_duplicates`, returning the primary keys of the rows that went in."""
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(table).on_conflict_do_nothing()
                 .returning(*table.primary_key.columns))
    return session.execute(statement, rows).all()


_SQLITE_WRITE_LOCKS = {}


def _sqlite_write_lock(url):
    """One green lock per SQLite file in this process, shared by every Store on it: two
    greenthreads waiting in SQLite's (blocking) busy handler for each other would stall
    the hub until the busy timeout."""
    return _SQLITE_WRITE_LOCKS.setdefault(url, eventlet.semaphore.Semaphore(1))


_OUTBOX_COLUMNS = ("event_id", "event_type", "payload", "created_at", "attempts",
                   "correlation_id")


class UnitOfWork:
    """One transaction: the ORM session, plus the outbox and the processed-event record."""

    def __init__(self, session, clock_now):
        self.session = session
        self._now = clock_now
        self.emitted = 0
        self._announced = set()  # (event type, payload) of emit_once

    def emit(self, event_type, payload):
        """Announce a fact; it is published only if this transaction commits."""
        event_id = str(uuid.uuid4())
        body = dict(payload, event_id=event_id)
        self.session.execute(insert(tables.outbox), {
            "event_id": event_id,
            "event_type": event_type,
            "payload": json.dumps(body, default=str),
            "created_at": self._now(),
            "correlation_id": correlation.current_id(),  # the worker's: sent with the event
        })
        self.emitted += 1
        return event_id

    def emit_once(self, event_type, payload):
        """`emit`, unless this transaction emitted the same payload already (a notice that
        a batch of 200 events would otherwise send 200 times)."""
        key = (event_type, json.dumps(payload, sort_keys=True, default=str))
        if key in self._announced:
            return None
        self._announced.add(key)
        return self.emit(event_type, payload)

    def emit_many(self, event_type, payloads, correlation_ids=None):
        """`emit` for a batch of facts of one type, in one multi-row insert.
        `correlation_ids`: each fact's own (of the request it answers, in a call that
        carries many), where it is sane; else the worker's."""
        now = self._now()
        current = correlation.current_id()
        own = itertools.repeat(None) if correlation_ids is None else correlation_ids
        rows = []
        for payload, correlation_id in zip(payloads, own):
            event_id = str(uuid.uuid4())
            rows.append({"event_id": event_id, "event_type": event_type, "created_at": now,
                         "attempts": 0,
                         "correlation_id": correlation.sane(correlation_id) or current,
                         "payload": json.dumps(dict(payload, event_id=event_id), default=str)})
        insert_rows(self.session, tables.outbox, _OUTBOX_COLUMNS, rows)
        self.emitted += len(rows)
        return [row["event_id"] for row in rows]

    def first_delivery(self, event_id, consumer):
        """True the first time `consumer` applies `event_id`; False on a redelivery."""
        if not event_id:
            raise ValueError("event without event_id")
        return insert_ignoring_duplicates(
            self.session, tables.processed_events,
            [{"event_id": str(event_id), "consumer": consumer, "processed_at": self._now()}],
        ) == 1

    def first_deliveries(self, event_ids, consumer):
        """`first_delivery` for many events in one statement: the ids seen for the first
        time (an id twice in `event_ids` counts once)."""
        if not all(event_ids):
            raise ValueError("event without event_id")
        now = self._now()
        rows = [{"event_id": event_id, "consumer": consumer, "processed_at": now}
                for event_id in dict.fromkeys(str(one) for one in event_ids)]
        return {key[0] for key in inserted_ignoring_duplicates(
            self.session, tables.processed_events, rows)}


class Store:
    """A service's database, usable from nameko workers, the CLI and tests alike."""

    def __init__(self, url, clock_now, **engine_options):
        """`engine_options`: make_engine's (the pool's size)."""
        self.url = url
        self.engine = make_engine(url, **engine_options)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = self.engine.execution_options(clep_write=True)
        self._write_lock = _sqlite_write_lock(url) if self.is_sqlite else None
        self._now = clock_now
        self._commit_listeners = []

    def on_events_committed(self, callback):
        self._commit_listeners.append(callback)

    @contextlib.contextmanager
    def transaction(self):
        """A unit of work that commits on success and rolls back on any exception."""
        with (self._write_lock or contextlib.nullcontext()):
            with Session(self._writer, expire_on_commit=False) as session:
                work = UnitOfWork(session, self._now)
                with session.begin():
                    yield work
        if work.emitted:
            for callback in self._commit_listeners:
                callback()

    @contextlib.contextmanager
    def reader(self):
        """A read-only session; needs no lock, even on SQLite (WAL readers never block)."""
        with Session(self.engine) as session:
            yield session

    def dispose(self):
        self.engine.dispose()


class Database(DependencyProvider):
    """Gives workers the service's `Store`; its outbox relay runs beside it."""

    relay = OutboxRelay()

    def __init__(self, service_name, notices=(), packed=()):
        """`notices`: event types only whoever happens to listen hears; `packed`: event
        types sent many to a message, for consumers that take them in batches (see
        OutboxRelay)."""
        self.service_name = service_name
        self.notices = frozenset(notices)
        self.packed = frozenset(packed)

    def setup(self):
        clock = Clock.from_config(self.container.config)
        config = self.container.config
        self.store = Store(database_url(config, self.service_name), clock.now,
                           pool_sizes=pool_sizes(config))
        self.relay.attach(self.store, self.service_name, self.notices, self.packed)

    def stop(self):
        self.store.dispose()

    def kill(self):
        self.store.dispose()

    def get_dependency(self, worker_ctx):
        return self.store
