"""Looking into the vouchers database from a test: how many codes an order has so far.

Only tests do this (to time a crash mid-generation); services never read each other's data.
"""

from sqlalchemy import create_engine, text

from services.common.config import database_url


def count_codes_of_order(system_env, order_id):
    url = system_env.get("VOUCHERS_DATABASE_URL") or database_url(
        {"DATA_DIR": system_env["CLEP_DATA_DIR"]}, "vouchers")
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(
        url.replace("postgresql://", "postgresql+psycopg2://")))
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM vouchers JOIN voucher_batches b ON b.id = vouchers.batch_id "
            "WHERE b.order_id = :order_id"), {"order_id": order_id}).scalar()


_engines = {}
