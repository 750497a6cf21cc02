"""PostgreSQL connections kept in a service's pool: one that sat idle is checked before it is
used, so a server that dropped it (a restart, a proxy's idle timeout) costs no failed unit of
work; one in steady use is not checked (no round trip per transaction)."""
import time

import pytest
from sqlalchemy import text

from services.common import database
from services.common.database import make_engine
from tests.conftest import Databases


@pytest.fixture
def url(tmp_path):
    databases = Databases("postgresql", tmp_path)  # SQLite has no pool of connections
    yield databases.new_url("pool")
    databases.drop_all()


@pytest.fixture
def engine(url):
    made = make_engine(url)
    yield made
    made.dispose()


def backend_pid(connection):
    return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def terminate(url, pid):
    """The server ends that session (as a restart would), from a connection of its own."""
    other = make_engine(url)
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
            deadline = time.monotonic() + 10
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity "
                                          "WHERE pid = :pid"), {"pid": pid}).scalar():
                connection.commit()  # pg_stat_activity is a snapshot per transaction
                assert time.monotonic() < deadline, "the session outlived its termination"
                time.sleep(0.01)
    finally:
        other.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced(engine, url, monkeypatch):
    with engine.connect() as connection:
        dropped = backend_pid(connection)
    terminate(url, dropped)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0)  # the pooled one is idle
    with engine.connect() as connection:
        assert backend_pid(connection) != dropped


def test_a_connection_in_steady_use_is_not_pinged(engine):
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or original(
        dbapi_connection)
    for _ in range(20):
        with engine.connect() as connection:
            backend_pid(connection)
    assert pings == []


@pytest.mark.parametrize("config, sizes", [
    ({}, (13, 5)),  # nameko's 10 workers, plus the relay, the readiness check and a scrape
    ({"max_workers": "40", "DB_POOL_SIZE": "", "DB_POOL_OVERFLOW": ""}, (43, 5)),
    ({"max_workers": 10, "DB_POOL_SIZE": "4", "DB_POOL_OVERFLOW": "0"}, (4, 0)),
])
def test_the_pool_of_a_service_process_follows_its_workers_or_the_settings(config, sizes):
    assert database.pool_sizes(config) == sizes


def test_a_pool_holds_no_more_than_its_size_and_overflow(url):
    """With DB_POOL_SIZE 2 and DB_POOL_OVERFLOW 1, a third connection opens for a moment
    and closes when returned; a fourth waits for one of them (here: times out)."""
    store = database.Store(url, time.time, pool_sizes=(2, 1))
    store.engine.pool._timeout = 0.2
    try:
        held = [store.engine.connect() for _ in range(3)]
        with pytest.raises(database.PoolTimeout):
            store.engine.connect()
        for connection in held:
            connection.close()
        assert store.engine.pool.checkedin() == 2  # the overflow one was closed, not kept
    finally:
        store.dispose()
