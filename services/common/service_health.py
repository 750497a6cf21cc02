"""The `health` answer every service gives: it is up and its database answers."""
from sqlalchemy import text


def check_database(store):
    with store.reader() as session:
        session.execute(text("SELECT 1"))
    return "ok"
