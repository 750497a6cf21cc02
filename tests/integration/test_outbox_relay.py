"""The transactional outbox, end to end through the orders service and RabbitMQ.

A fact committed with `work.emit` reaches its consumers and its outbox row is marked sent;
one committed just before a crash is published when the service starts again; one no
consumer queue is bound for yet stays pending and is delivered once a consumer appears.
"""
import uuid

from nameko.events import event_handler
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from services.common import correlation
from services.common.messaging_tables import outbox
from services.common.worker_log import WorkerLog
from services.orders.service import OrdersService
from services.vouchers.service import VouchersService

FROZEN_NOW = "2026-09-15T14:00:00+00:00"  # academic year 2026-27
PRINCIPAL = {
    "account": {"id": 7, "name": "Casey Coordinator", "email": "casey@school.example"},
    "organization": {"id": 42, "name": "Lincoln High School", "state": "MI",
                     "state_funded": True},
}
REQUEST = {"quantity": 250, "covers_remote_proctoring": True, "expiration_date": None,
           "po_number": "PO-1234", "terms_version": "2026-07"}


def start_orders(start_service, rpc):
    start_service(OrdersService, CLOCK_NOW=FROZEN_NOW)
    rpc.orders.set_fees("2026-27", 9300, 2500)


def outbox_rows(store):
    with store.reader() as session:
        return session.execute(select(outbox).order_by(outbox.c.id)).all()


def sent_row(store, event_id):
    rows = [row for row in outbox_rows(store) if row.event_id == event_id]
    return rows[0] if rows and rows[0].sent_at is not None else None


def test_order_placed_reaches_a_consumer_and_its_outbox_row_is_marked_sent(
        start_service, stores, listen, rpc, wait_for, stays):
    received = listen("orders", "order_placed")
    start_orders(start_service, rpc)

    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]

    received.wait("order_placed", 1)
    event = received["order_placed"][0]
    assert uuid.UUID(event["event_id"])
    assert {key: event[key] for key in (
        "id", "organization_id", "academic_year", "quantity", "covers_remote_proctoring",
        "expiration_date", "po_number", "exam_fee_cents", "remote_proctoring_fee_cents",
        "terms_version", "status")} == {
        "id": order["id"], "organization_id": 42, "academic_year": "2026-27",
        "quantity": 250, "covers_remote_proctoring": True, "expiration_date": "2027-06-30",
        "po_number": "PO-1234", "exam_fee_cents": 9300, "remote_proctoring_fee_cents": 2500,
        "terms_version": "2026-07", "status": "generating_vouchers"}
    assert (event["state"], event["state_funded"]) == ("MI", True)

    store = stores("orders")
    row = wait_for(lambda: sent_row(store, event["event_id"]))
    assert row.event_type == "order_placed"
    assert row.attempts == 0
    # sent means sent once: later relay polls do not publish it again
    assert stays(lambda: received.count("order_placed") == 1, duration=1.5)


def test_event_committed_before_a_crash_is_published_when_the_service_starts(
        start_service, stores, listen, rpc, wait_for, stays):
    store = stores("orders")
    # the unit of work committed, then the process died before its relay published
    with store.transaction() as work:
        event_id = work.emit("order_placed", {"id": 901, "organization_id": 42,
                                              "academic_year": "2026-27", "quantity": 10})
    assert [row.sent_at for row in outbox_rows(store)] == [None]
    received = listen("orders", "order_placed")

    start_orders(start_service, rpc)

    received.wait("order_placed", 1)
    assert received["order_placed"][0] == {"id": 901, "organization_id": 42,
                                           "academic_year": "2026-27", "quantity": 10,
                                           "event_id": event_id}
    wait_for(lambda: sent_row(store, event_id))
    assert stays(lambda: received.count("order_placed") == 1, duration=1.5)


def test_event_with_no_queue_bound_yet_stays_pending_and_is_delivered_later(
        start_service, stores, listen, rpc, wait_for, stays):
    # `po_number_changed` is for billing, which is not running: no queue is bound for it
    start_orders(start_service, rpc)
    store = stores("orders")
    order = rpc.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]

    rpc.orders.change_po_number(42, order["id"], "PO-5678")

    # the broker returned it (mandatory): the relay keeps it and schedules a retry
    def unrouted():
        return [row for row in outbox_rows(store)
                if row.event_type == "po_number_changed" and row.attempts >= 1]

    pending = wait_for(unrouted)
    assert len(pending) == 1
    assert pending[0].sent_at is None
    assert pending[0].next_attempt_at is not None
    assert "no queue" in pending[0].last_error

    received = listen("orders", "po_number_changed")

    # backoff 1 s, 2 s, 4 s, ...: the next retry after the queue appears is a few seconds away
    event = received.wait("po_number_changed", 1, timeout=20)[0]
    assert event == {"order_id": order["id"], "organization_id": 42, "po_number": "PO-5678",
                     "version": 2, "event_id": pending[0].event_id}
    wait_for(lambda: sent_row(store, pending[0].event_id))
    assert stays(lambda: received.count("po_number_changed") == 1, duration=1.5)


def test_a_packed_event_type_goes_many_events_to_a_message(start_service, stores, listen,
                                                           wait_for, stays):
    """Vouchers packs `voucher_redeemed` (its consumers take batches): what one relay batch
    finds due goes as one message, the JSON list of the events, in the order emitted."""
    store = stores("vouchers")
    with store.transaction() as work:  # committed before the relay runs
        event_ids = work.emit_many("voucher_redeemed", [
            {"registration_id": n, "voucher_code": "CODE{}".format(n)} for n in range(3)])
        changed_id = work.emit("vouchers_changed", {"organization_id": 42})  # not packed
    received = listen("vouchers", "voucher_redeemed")

    start_service(VouchersService)

    events = received.wait("voucher_redeemed", 3)
    assert [(event["event_id"], event["registration_id"]) for event in events] == \
        list(zip(event_ids, range(3)))
    wait_for(lambda: all(sent_row(store, event_id) for event_id in event_ids + [changed_id]))
    assert stays(lambda: received.count("voucher_redeemed") == 3 and
                 received.messages["voucher_redeemed"] == 1, duration=1.5)


def test_an_event_goes_with_the_correlation_id_of_the_call_that_emitted_it(
        start_service, container_factory, config, wait_for):
    """The RPC's id (nameko's context_data) is the worker's; its outbox row keeps it and
    the relay sends it as the event's header, where the consumer's worker takes it up."""
    seen = []

    class Consumer:
        name = "listener"
        worker_log = WorkerLog()

        @event_handler("orders", "order_placed")
        def on_order_placed(self, event):
            seen.append((event["id"], correlation.current_id()))
    container_factory(Consumer, config).start()
    start_service(OrdersService, CLOCK_NOW=FROZEN_NOW)

    with ClusterRpcProxy(config, context_data={"correlation_id": "order-request-1"}) as cluster:
        cluster.orders.set_fees("2026-27", 9300, 2500)
        order = cluster.orders.place_order(PRINCIPAL, "key-1", REQUEST)["order"]
    with ClusterRpcProxy(config, context_data={"correlation_id": "not sane"}) as cluster:
        other = cluster.orders.place_order(PRINCIPAL, "key-2", REQUEST)["order"]

    wait_for(lambda: len(seen) == 2)
    ids = dict(seen)
    assert ids[order["id"]] == "order-request-1"
    assert correlation.sane(ids[other["id"]]) and ids[other["id"]] != "not sane"
