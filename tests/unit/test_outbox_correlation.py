"""Each event leaves the outbox with the correlation id of the work that wrote it: in its
row, then as nameko's header of a message of its own, or inside the event in a packed
message (which holds events of many requests)."""
import json
from types import SimpleNamespace

from sqlalchemy import select

from services.common import correlation
from services.common.messaging_tables import outbox
from services.common.outbox_relay import OutboxRelay


class FakePublisher:
    def __init__(self):
        self.sent = []

    def publish(self, messages):
        self.sent.extend(messages)
        return [None] * len(messages)


def test_the_outbox_row_keeps_the_id_of_the_work_that_wrote_it(vouchers_store):
    token = correlation.bind("order-12345678", "vouchers")
    try:
        with vouchers_store.transaction() as work:
            work.emit("vouchers_generated", {"order_id": 1})
            work.emit_many("voucher_redeemed", [{"registration_id": 1}, {"registration_id": 2}])
    finally:
        correlation.unbind(token)
    with vouchers_store.transaction() as work:  # outside any worker: no id
        work.emit("vouchers_changed", {"organization_id": None})
    with vouchers_store.reader() as session:
        kept = session.execute(select(outbox.c.event_type, outbox.c.correlation_id)
                               .order_by(outbox.c.id)).all()
    assert [tuple(row) for row in kept] == [
        ("vouchers_generated", "order-12345678"), ("voucher_redeemed", "order-12345678"),
        ("voucher_redeemed", "order-12345678"), ("vouchers_changed", None)]


def row(number, event_type, correlation_id):
    payload = json.dumps({"event_id": "e-{}".format(number), "n": number})
    return SimpleNamespace(id=number, event_type=event_type, payload=payload, attempts=0,
                           correlation_id=correlation_id)


def test_a_message_of_its_own_carries_the_id_as_a_header_a_packed_one_in_each_event():
    relay = OutboxRelay()
    relay.packed = frozenset({"voucher_redeemed"})
    relay.publisher = FakePublisher()
    rows = [row(1, "voucher_redeemed", "redeem-aaaaaaaa"), row(2, "order_placed", "order-1234567"),
            row(3, "voucher_redeemed", "redeem-bbbbbbbb"), row(4, "voucher_redeemed", None),
            row(5, "vouchers_changed", None)]

    assert relay._publish(rows) == [None] * 5

    [(packed_type, packed, packed_headers), (single_type, single, single_headers),
     (unmarked_type, _body, unmarked_headers)] = relay.publisher.sent
    assert (packed_type, single_type, unmarked_type) == (
        "voucher_redeemed", "order_placed", "vouchers_changed")
    assert json.loads(packed) == [
        {"correlation_id": "redeem-aaaaaaaa", "event_id": "e-1", "n": 1},
        {"correlation_id": "redeem-bbbbbbbb", "event_id": "e-3", "n": 3},
        {"event_id": "e-4", "n": 4}]  # written outside a worker: no id to send
    assert packed_headers is None  # no one id stands for the message
    assert json.loads(single) == {"event_id": "e-2", "n": 2}  # the payload as written
    assert single_headers == {"nameko.correlation_id": "order-1234567"}
    assert unmarked_headers is None
