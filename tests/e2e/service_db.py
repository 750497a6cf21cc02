"""Reading a service's own database from an end-to-end test: what it wrote to its outbox,
how its rows look. Only tests do this; services never read each other's data.
"""
import json

from sqlalchemy import create_engine, text

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
