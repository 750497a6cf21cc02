"""Reading a service's own database from an end-to-end test: what it wrote to its outbox,
how its rows look. Only tests do this; services never read each other's data.
"""
import contextlib
import json

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from services.common.config import database_url

_engines = {}


def engine_of(system_env, service):
    url = system_env.get(f"{service.upper()}_DATABASE_URL") or database_url(
        {"DATA_DIR": system_env["CLEP_DATA_DIR"]}, service)
    if url not in _engines:
        _engines[url] = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    return _engines[url]


def rows(system_env, service, sql, **params):
    with engine_of(system_env, service).connect() as connection:
        return connection.execute(text(sql), params).all()


def scalar(system_env, service, sql, **params):
    with engine_of(system_env, service).connect() as connection:
        return connection.execute(text(sql), params).scalar()


def events(system_env, service, event_type):
    """The payloads of one event type the service has written to its outbox, oldest first."""
    return [json.loads(payload) for (payload,) in rows(
        system_env, service, "SELECT payload FROM outbox WHERE event_type = :t ORDER BY id",
        t=event_type)]


def count_codes_of_order(system_env, order_id):
    """How many codes of an order the vouchers service has stored so far."""
    return scalar(system_env, "vouchers",
                  "SELECT count(*) FROM vouchers JOIN voucher_batches b ON b.id = vouchers.batch_id"
                  " WHERE b.order_id = :order_id", order_id=order_id)


@contextlib.contextmanager
def held(system_env, service, sql, **params):
    """Run `sql` in a transaction of the test's own and keep it open, holding its locks
    (rows locked, a key inserted), until the block ends; then roll it back. On PostgreSQL,
    a service's transaction that needs those rows waits meanwhile: a fault can be made to
    land in the middle of its work, exactly there."""
    with engine_of(system_env, service).connect() as connection:
        transaction = connection.begin()
        try:
            yield connection.execute(text(sql), params)
        finally:
            try:
                transaction.rollback()
            except DBAPIError:
                pass  # the database went away meanwhile, and the transaction with it


def waiting_on_a_lock(system_env, service):
    """How many of the service's PostgreSQL sessions wait for a lock right now."""
    database = engine_of(system_env, service).url.database
    return scalar(system_env, service,
                  "SELECT count(*) FROM pg_stat_activity WHERE datname = :database"
                  " AND wait_event_type = 'Lock'", database=database)
