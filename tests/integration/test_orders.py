"""The orders service on its own: one order per Idempotency-Key, and the order moving along
as the vouchers service announces its codes (idempotently, never dropping what it cannot
apply).
"""
import json
import uuid

import eventlet
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from services.common.messaging_tables import failed_events, outbox, processed_events
from services.orders.models import IdempotencyKey, Order
from services.orders.service import OrdersService

FROZEN_NOW = "2026-09-15T14:00:00+00:00"  # academic year 2026-27
ORGANIZATION_ID = 42
PRINCIPAL = {
    "account": {"id": 7, "name": "Casey Coordinator", "email": "casey@school.example"},
    "organization": {"id": ORGANIZATION_ID, "name": "Lincoln High School", "state": "OH",
                     "state_funded": False},
}
REQUEST = {"quantity": 5000, "covers_remote_proctoring": False, "expiration_date": None,
           "po_number": None, "terms_version": "2026-07"}


def start_orders(start_service, rpc):
    start_service(OrdersService, CLOCK_NOW=FROZEN_NOW)
    rpc.orders.set_fees("2026-27", 9300, 2500)


def count_rows(store, table, *where):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def mail_files(tmp_path):
    return sorted((tmp_path / "mail").glob("*.eml")) if (tmp_path / "mail").exists() else []


def vouchers_generated(order_id, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "order_id": order_id,
            "organization_id": ORGANIZATION_ID, "quantity": REQUEST["quantity"]}


def chunk_generated(order_id, chunk_no, count, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "order_id": order_id,
            "chunk_no": chunk_no, "count": count}


def test_same_idempotency_key_twice_places_one_order(start_service, stores, rpc, tmp_path,
                                                     wait_for, stays):
    start_orders(start_service, rpc)

    first = rpc.orders.place_order(PRINCIPAL, "double-click", REQUEST)
    second = rpc.orders.place_order(PRINCIPAL, "double-click", REQUEST)

    assert first["created"] is True
    assert second["created"] is False
    assert second["order"] == first["order"]
    store = stores("orders")
    assert count_rows(store, Order.__table__) == 1
    assert count_rows(store, outbox, outbox.c.event_type == "order_placed") == 1
    # one confirmation, mailed once the order_placed event comes back round
    wait_for(lambda: len(mail_files(tmp_path)) == 1)
    assert stays(lambda: len(mail_files(tmp_path)) == 1, duration=1.0)


def test_same_idempotency_key_from_five_concurrent_callers_places_one_order(
        start_service, stores, rpc, config, tmp_path, wait_for, stays):
    start_orders(start_service, rpc)

    def place():
        with ServiceRpcProxy("orders", config, timeout=20) as orders:
            return orders.place_order(PRINCIPAL, "retried-request", REQUEST)

    pool = eventlet.GreenPool(5)
    results = [pool.spawn(place) for _ in range(5)]
    results = [thread.wait() for thread in results]

    assert sorted(result["created"] for result in results) == [False] * 4 + [True]
    assert len({result["order"]["id"] for result in results}) == 1
    store = stores("orders")
    assert count_rows(store, Order.__table__) == 1
    assert count_rows(store, IdempotencyKey.__table__) == 1
    assert count_rows(store, outbox, outbox.c.event_type == "order_placed") == 1
    wait_for(lambda: len(mail_files(tmp_path)) == 1)
    assert stays(lambda: len(mail_files(tmp_path)) == 1, duration=1.0)


def test_vouchers_generated_marks_the_order_fulfilled(start_service, rpc, dispatch, wait_for):
    start_orders(start_service, rpc)
    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]
    assert order["status"] == "generating_vouchers"

    dispatch("vouchers", "vouchers_generated", vouchers_generated(order["id"]))

    def status():
        return rpc.orders.get_order(ORGANIZATION_ID, order["id"])["status"]

    wait_for(lambda: status() == "fulfilled")
    assert rpc.orders.get_order(ORGANIZATION_ID, order["id"])["vouchers_generated"] == 5000


def test_redelivered_chunk_event_is_counted_once(start_service, rpc, dispatch, wait_for, stays):
    start_orders(start_service, rpc)
    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]
    chunk = chunk_generated(order["id"], 0, 1000)

    dispatch("vouchers", "voucher_chunk_generated", chunk)
    dispatch("vouchers", "voucher_chunk_generated", chunk)  # redelivered: same event_id
    dispatch("vouchers", "voucher_chunk_generated", chunk_generated(order["id"], 1, 500))

    def generated():
        return rpc.orders.get_order(ORGANIZATION_ID, order["id"])["vouchers_generated"]

    wait_for(lambda: generated() >= 1500)
    assert stays(lambda: generated() == 1500, duration=1)
    assert rpc.orders.get_order(ORGANIZATION_ID, order["id"])["status"] == "generating_vouchers"


def test_chunk_events_arriving_together_are_all_counted(
        start_service, rpc, dispatch, wait_for, stays):
    start_orders(start_service, rpc)
    order = rpc.orders.place_order(PRINCIPAL, "key-1", dict(REQUEST, quantity=10_000))["order"]

    for chunk_no in range(10):  # as two vouchers processes finish chunks at the same time
        dispatch("vouchers", "voucher_chunk_generated",
                 chunk_generated(order["id"], chunk_no, 1000))

    def generated():
        return rpc.orders.get_order(ORGANIZATION_ID, order["id"])["vouchers_generated"]

    wait_for(lambda: generated() == 10_000,
             message=lambda: "chunk counts were lost: {} of 10000".format(generated()))


def test_redelivered_vouchers_generated_changes_nothing(
        start_service, stores, rpc, dispatch, wait_for, stays):
    start_orders(start_service, rpc)
    store = stores("orders")
    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]
    event = vouchers_generated(order["id"])
    dispatch("vouchers", "vouchers_generated", event)
    wait_for(lambda: rpc.orders.get_order(ORGANIZATION_ID, order["id"])["status"] == "fulfilled")
    with store.reader() as session:
        before = session.get(Order, order["id"])
        before = (before.status, before.vouchers_generated, before.fulfilled_at)

    dispatch("vouchers", "vouchers_generated", event)  # redelivered: same event_id

    def unchanged():
        with store.reader() as session:
            now = session.get(Order, order["id"])
            return (now.status, now.vouchers_generated, now.fulfilled_at) == before

    assert stays(unchanged, duration=1)
    assert count_rows(store, processed_events,
                      processed_events.c.event_id == event["event_id"]) == 1
    assert count_rows(store, failed_events) == 0


def test_vouchers_generated_for_an_unknown_order_is_kept_in_failed_events(
        start_service, stores, rpc, dispatch, wait_for, stays):
    start_orders(start_service, rpc)
    store = stores("orders")
    stray = vouchers_generated(999_999)

    dispatch("vouchers", "vouchers_generated", stray)

    wait_for(lambda: count_rows(store, failed_events) >= 1)
    assert stays(lambda: count_rows(store, failed_events) == 1, duration=1)  # not requeued
    with store.reader() as session:
        failed = session.execute(select(failed_events)).one()
    assert (failed.consumer, failed.source_service, failed.event_type, failed.event_id) == (
        "mark_fulfilled", "vouchers", "vouchers_generated", stray["event_id"])
    assert json.loads(failed.payload) == stray
    assert "999999" in failed.error
    assert count_rows(store, processed_events) == 0  # rolled back with the failed change

    # the container is still at work: the next event for a real order is applied
    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]
    dispatch("vouchers", "vouchers_generated", vouchers_generated(order["id"]))
    wait_for(lambda: rpc.orders.get_order(ORGANIZATION_ID, order["id"])["status"] == "fulfilled")
    assert rpc.orders.health() == "ok"
