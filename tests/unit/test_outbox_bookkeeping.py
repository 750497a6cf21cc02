"""What the outbox relay writes down about events it could not route, and its clean-up."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from services.common.messaging_tables import outbox
from services.common.outbox_relay import MAX_UNROUTED_ATTEMPTS, OutboxRelay
from tests.conftest import migrated_store


def relay_on(store):
    relay = OutboxRelay()
    relay.attach(store, "orders")
    return relay


def emit_one(store):
    with store.transaction() as work:
        work.emit("order_placed", {"id": 1})
    with store.reader() as session:
        return session.execute(select(outbox)).one()


def test_unrouted_event_is_retried_later_with_its_reason(sqlite_databases):
    store = migrated_store("orders", sqlite_databases.new_url("orders"))
    row = emit_one(store)
    now = datetime.now(timezone.utc)
    with store.transaction() as work:
        relay_on(store)._record(work.session, [row], ["no queue is bound"], now)
    with store.reader() as session:
        after = session.execute(select(outbox)).one()
    assert after.sent_at is None and after.attempts == 1
    assert after.last_error == "no queue is bound"
    assert after.next_attempt_at is not None


def test_event_nobody_subscribes_to_is_closed_after_the_last_try(sqlite_databases):
    store = migrated_store("orders", sqlite_databases.new_url("orders"))
    emit_one(store)
    with store.transaction() as work:
        work.session.execute(update(outbox).values(attempts=MAX_UNROUTED_ATTEMPTS - 1))
    with store.reader() as session:
        row = session.execute(select(outbox)).one()
    with store.transaction() as work:
        relay_on(store)._record(work.session, [row], ["no queue is bound"],
                                datetime.now(timezone.utc))
    with store.reader() as session:
        after = session.execute(select(outbox)).one()
    assert after.sent_at is not None
    assert "gave up after {} tries".format(MAX_UNROUTED_ATTEMPTS) in after.last_error


def test_purge_deletes_only_rows_sent_long_ago(sqlite_databases):
    store = migrated_store("orders", sqlite_databases.new_url("orders"))
    for _ in range(3):
        with store.transaction() as work:
            work.emit("order_placed", {"id": 1})
    now = datetime.now(timezone.utc)
    with store.transaction() as work:
        ids = work.session.scalars(select(outbox.c.id).order_by(outbox.c.id)).all()
        work.session.execute(update(outbox).where(outbox.c.id == ids[0])
                             .values(sent_at=now - timedelta(days=8)))
        work.session.execute(update(outbox).where(outbox.c.id == ids[1])
                             .values(sent_at=now - timedelta(days=1)))
    assert relay_on(store).purge_sent() == 1
    with store.reader() as session:
        left = session.scalars(select(outbox.c.id).order_by(outbox.c.id)).all()
    assert left == ids[1:]
