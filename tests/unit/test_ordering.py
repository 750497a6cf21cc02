"""Placing, reading and fulfilling orders on a real (SQLite) orders database.

docs/DOMAIN.md, "Fees and orders". Events go to the
`outbox` table in the same transaction as the change they announce.
"""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services.common.academic_year import AcademicYear
from services.common.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound
from services.common.messaging_tables import outbox
from services.orders import ordering
from services.orders.models import FeeSchedule, IdempotencyKey, Order
from services.orders.terms import BULK_PURCHASE_TERMS
from tests.unit.conftest import utc

TERMS = BULK_PURCHASE_TERMS["version"]
ORG = {"id": 7, "name": "Cass Technical High School", "state": "MI", "state_funded": True}
ACCOUNT = {"id": 3, "name": "Dana Coordinator", "email": "dana@cass.example.org"}
PRINCIPAL = {"account": ACCOUNT, "organization": ORG}


def body(**changes):
    request = {"quantity": 25, "covers_remote_proctoring": True, "po_number": "PO-1",
               "terms_version": TERMS}
    request.update(changes)
    return request


def set_fees(store, clock, year="2026-27", exam=9300, remote=1500):
    with store.transaction() as work:
        fees = work.session.get(FeeSchedule, year) or FeeSchedule(academic_year=year)
        fees.exam_fee_cents, fees.remote_proctoring_fee_cents = exam, remote
        fees.updated_at = clock.now()
        work.session.add(fees)


def place(store, clock, key="key-1", request=None, principal=PRINCIPAL):
    with store.transaction() as work:
        return ordering.place_order(work, clock, principal, key, request or body())


def events(store, event_type=None):
    with store.reader() as session:
        query = select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
        rows = session.execute(query).all()
    return [(kind, json.loads(payload)) for kind, payload in rows
            if event_type is None or kind == event_type]


def count(store, model):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def store(orders_store, clock):
    set_fees(orders_store, clock)
    return orders_store


# --- placing an order -----------------------------------------------------------


def test_place_order_records_the_order_with_the_fees_in_force(store, clock):
    order, created = place(store, clock)
    assert created is True
    assert order["organization_id"] == 7
    assert order["academic_year"] == "2026-27"
    assert order["quantity"] == 25
    assert order["covers_remote_proctoring"] is True
    assert order["po_number"] == "PO-1"
    assert (order["exam_fee_cents"], order["remote_proctoring_fee_cents"]) == (9300, 1500)
    assert order["status"] == "generating_vouchers"
    assert order["vouchers_generated"] == 0
    assert order["placed_by"] == {"id": 3, "name": "Dana Coordinator"}
    assert order["terms_version"] == TERMS


def test_expiration_defaults_to_june_30_of_the_current_year(store, clock):
    order, _ = place(store, clock)
    assert order["expiration_date"] == "2027-06-30"


def test_placed_at_reads_back_as_utc_with_its_offset(store, clock):
    order, _ = place(store, clock)
    with store.reader() as session:
        read_back = ordering.order_view(ordering.find_order(session, 7, order["id"]))
    assert order["placed_at"] == read_back["placed_at"] == "2026-10-15T15:00:00+00:00"


def test_an_earlier_expiration_is_kept(store, clock):
    order, _ = place(store, clock, request=body(expiration_date="2027-01-31"))
    assert order["expiration_date"] == "2027-01-31"


def test_order_keeps_its_fees_when_the_schedule_changes_later(store, clock):
    order, _ = place(store, clock)
    set_fees(store, clock, exam=9900, remote=2000)
    with store.reader() as session:
        kept = ordering.order_view(ordering.find_order(session, 7, order["id"]))
    assert (kept["exam_fee_cents"], kept["remote_proctoring_fee_cents"]) == (9300, 1500)
    again, _ = place(store, clock, key="key-2")
    assert (again["exam_fee_cents"], again["remote_proctoring_fee_cents"]) == (9900, 2000)


def test_place_order_writes_order_placed_to_the_outbox(store, clock):
    order, _ = place(store, clock)
    placed = events(store, "order_placed")
    assert len(placed) == 1
    payload = placed[0][1]
    assert payload["id"] == order["id"]
    assert payload["quantity"] == 25
    assert payload["state"] == "MI" and payload["state_funded"] is True
    assert payload["event_id"]


def test_order_and_its_event_commit_or_roll_back_together(store, clock):
    with pytest.raises(RuntimeError):
        with store.transaction() as work:
            ordering.place_order(work, clock, PRINCIPAL, "key-1", body())
            raise RuntimeError("crash before commit")
    assert count(store, Order) == 0
    assert count(store, IdempotencyKey) == 0
    assert events(store) == []


def test_same_key_and_body_returns_the_same_order_and_creates_nothing(store, clock):
    first, created_first = place(store, clock)
    clock.frozen_at += timedelta(seconds=3)  # a retried request, a moment later
    second, created_second = place(store, clock)
    assert (created_first, created_second) == (True, False)
    assert second == first
    assert count(store, Order) == 1
    assert len(events(store, "order_placed")) == 1


def test_same_key_with_keys_in_another_order_is_the_same_request(store, clock):
    first, _ = place(store, clock)
    reordered = dict(reversed(list(body().items())))
    second, created = place(store, clock, request=reordered)
    assert created is False and second["id"] == first["id"]


def test_same_key_with_another_body_is_refused(store, clock):
    place(store, clock)
    with pytest.raises(IdempotencyKeyReused) as refused:
        place(store, clock, request=body(quantity=26))
    assert refused.value.code == "idempotency_key_reused"
    assert count(store, Order) == 1


def test_a_new_key_places_a_second_order(store, clock):
    first, _ = place(store, clock, key="key-1")
    second, created = place(store, clock, key="key-2")
    assert created is True and second["id"] != first["id"]
    assert count(store, Order) == 2


def test_no_fees_for_the_year_means_no_ordering(orders_store, clock):
    set_fees(orders_store, clock, year="2025-26")  # last year's fees do not count
    with pytest.raises(Conflict) as conflict:
        place(orders_store, clock)
    assert conflict.value.code == "fees_not_set"
    assert count(orders_store, Order) == 0
    assert events(orders_store) == []


def test_the_fees_of_the_year_of_the_order_apply_across_july_1(store, clock):
    set_fees(store, clock, year="2027-28", exam=9900, remote=2000)
    clock.frozen_at = utc(2027, 7, 1, 3, 30)  # still June 30 in New York
    june, _ = place(store, clock, key="june")
    clock.frozen_at = utc(2027, 7, 1, 4, 30)  # July 1 in New York
    july, _ = place(store, clock, key="july")
    assert (june["academic_year"], june["exam_fee_cents"]) == ("2026-27", 9300)
    assert june["expiration_date"] == "2027-06-30"
    assert (july["academic_year"], july["exam_fee_cents"]) == ("2027-28", 9900)
    assert july["expiration_date"] == "2028-06-30"


def test_wrong_terms_version_is_invalid_input_on_terms_version(store, clock):
    with pytest.raises(InvalidInput) as invalid:
        place(store, clock, request=body(terms_version="2020-01"))
    assert set(invalid.value.fields) == {"terms_version"}
    assert TERMS in invalid.value.fields["terms_version"][0]
    assert count(store, Order) == 0


@pytest.mark.parametrize("changes, field", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": 10_001}, "quantity"),
    ({"po_number": "P" * 51}, "po_number"),
    ({"expiration_date": "2027-07-01"}, "expiration_date"),
    ({"expiration_date": "2026-10-14"}, "expiration_date"),
])
def test_invalid_order_requests_create_nothing(store, clock, changes, field):
    with pytest.raises(InvalidInput) as invalid:
        place(store, clock, request=body(**changes))
    assert field in invalid.value.fields
    assert count(store, Order) == 0
    assert events(store) == []


def test_a_refused_request_does_not_burn_its_idempotency_key(store, clock):
    with pytest.raises(InvalidInput):
        place(store, clock, request=body(quantity=0))
    order, created = place(store, clock, request=body(quantity=1))
    assert created is True and order["quantity"] == 1


# --- the review step before placing (the portal's Start an Order) -----------------


def test_review_shows_the_quote_and_the_orders_expiration_and_places_nothing(store, clock):
    with store.reader() as session:
        review = ordering.review_order(session, clock, ORG, body(terms_version=None))
        default = ordering.review_order(session, clock, ORG, body(expiration_date=None))
    assert (review["exam_fee_cents"], review["remote_proctoring_fee_cents"]) == (9300, 1500)
    assert review["expiration_date"] == default["expiration_date"] == "2027-06-30"
    assert count(store, Order) == 0 and events(store) == []


@pytest.mark.parametrize("changes, field", [
    ({"quantity": 0}, "quantity"),
    ({"po_number": "P" * 51}, "po_number"),
    ({"expiration_date": "2027-07-01"}, "expiration_date"),
    ({"expiration_date": "2026-10-14"}, "expiration_date"),
])
def test_review_refuses_what_placing_would_refuse(store, clock, changes, field):
    with store.reader() as session, pytest.raises(InvalidInput) as invalid:
        ordering.review_order(session, clock, ORG, body(**changes))
    assert set(invalid.value.fields) == {field}


# --- order history --------------------------------------------------------------


def test_order_history_is_newest_first(store, clock):
    ids = []
    for key in ("a", "b", "c"):
        ids.append(place(store, clock, key=key)[0]["id"])
        clock.frozen_at += timedelta(hours=1)
    with store.reader() as session:
        history = ordering.order_history(session, clock, 7, AcademicYear(2026))
    assert [order["id"] for order in history] == list(reversed(ids))


def test_order_history_shows_one_organization_and_one_year(store, clock):
    mine, _ = place(store, clock, key="mine")
    place(store, clock, key="theirs", principal={
        "account": ACCOUNT, "organization": dict(ORG, id=8, name="Other School")})
    with store.reader() as session:
        this_year = ordering.order_history(session, clock, 7, AcademicYear(2026))
        last_year = ordering.order_history(session, clock, 7, AcademicYear(2025))
    assert [order["id"] for order in this_year] == [mine["id"]]
    assert last_year == []


def test_order_history_covers_five_academic_years(store, clock):
    # the FAQ's five academic years: 2026-27 and the four before it, back to 2022-23
    with store.reader() as session:
        for start in range(2022, 2027):
            assert ordering.order_history(session, clock, 7, AcademicYear(start)) == []
    assert [str(year) for year in ordering.history_years(AcademicYear(2026))] == [
        "2026-27", "2025-26", "2024-25", "2023-24", "2022-23"]


@pytest.mark.parametrize("start", [2021, 2000, 2027, 2030])
def test_order_history_rejects_years_too_old_or_in_the_future(store, clock, start):
    with store.reader() as session:
        with pytest.raises(InvalidInput) as invalid:
            ordering.order_history(session, clock, 7, AcademicYear(start))
    assert "academic_year" in invalid.value.fields


# --- after placing: only the PO number changes ----------------------------------------


def change_po(store, order_id, po_number, organization_id=7):
    with store.transaction() as work:
        return ordering.change_po_number(work, organization_id, order_id, po_number)


def test_change_po_number_saves_it_and_emits_po_number_changed(store, clock):
    order, _ = place(store, clock)
    changed = change_po(store, order["id"], "PO-2")
    assert changed["po_number"] == "PO-2"
    emitted = events(store, "po_number_changed")
    assert len(emitted) == 1
    assert emitted[0][1]["order_id"] == order["id"]
    assert emitted[0][1]["po_number"] == "PO-2"
    with store.reader() as session:
        assert session.get(Order, order["id"]).po_number == "PO-2"


def test_po_number_can_be_added_and_cleared(store, clock):
    order, _ = place(store, clock, request=body(po_number=None))
    assert order["po_number"] is None
    assert change_po(store, order["id"], "PO-9")["po_number"] == "PO-9"
    assert change_po(store, order["id"], "")["po_number"] is None
    assert [p["po_number"] for _, p in events(store, "po_number_changed")] == ["PO-9", None]


def test_setting_the_same_po_number_emits_nothing(store, clock):
    order, _ = place(store, clock)
    change_po(store, order["id"], "PO-1")
    assert events(store, "po_number_changed") == []


@pytest.mark.parametrize("bad", ["P" * 51, "PO\n2", "PO\t2"])
def test_change_po_number_rejects_bad_po_numbers(store, clock, bad):
    order, _ = place(store, clock)
    with pytest.raises(InvalidInput) as invalid:
        change_po(store, order["id"], bad)
    assert "po_number" in invalid.value.fields
    assert events(store, "po_number_changed") == []
    with store.reader() as session:
        assert session.get(Order, order["id"]).po_number == "PO-1"


def test_another_organizations_order_is_not_found(store, clock):
    order, _ = place(store, clock)
    with pytest.raises(NotFound):
        change_po(store, order["id"], "PO-2", organization_id=8)
    with pytest.raises(NotFound):
        change_po(store, 999, "PO-2")


# --- fulfilment ----------------------------------------------------------------------


def record(store, clock, order_id, count=None):
    with store.transaction() as work:
        order = ordering.record_vouchers_generated(work, order_id, clock.now(), count)
        return ordering.order_view(order)


def test_chunks_count_up_without_exceeding_the_quantity(store, clock):
    order, _ = place(store, clock, request=body(quantity=2_500))
    assert record(store, clock, order["id"], 1_000)["vouchers_generated"] == 1_000
    assert record(store, clock, order["id"], 1_000)["vouchers_generated"] == 2_000
    after_last = record(store, clock, order["id"], 1_000)
    assert after_last["vouchers_generated"] == 2_500
    assert after_last["status"] == "generating_vouchers"  # until vouchers_generated arrives


def test_vouchers_generated_moves_the_order_to_fulfilled(store, clock):
    order, _ = place(store, clock, request=body(quantity=2_500))
    record(store, clock, order["id"], 1_000)
    fulfilled = record(store, clock, order["id"])
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["vouchers_generated"] == 2_500
    with store.reader() as session:
        assert session.get(Order, order["id"]).fulfilled_at is not None


def test_fulfilment_happens_once(store, clock):
    order, _ = place(store, clock, request=body(quantity=10))
    record(store, clock, order["id"])
    with store.reader() as session:
        first_fulfilled_at = session.get(Order, order["id"]).fulfilled_at
    clock.frozen_at += timedelta(hours=2)
    again = record(store, clock, order["id"])
    late_chunk = record(store, clock, order["id"], 5)
    assert again["status"] == late_chunk["status"] == "fulfilled"
    assert late_chunk["vouchers_generated"] == 10
    with store.reader() as session:
        assert session.get(Order, order["id"]).fulfilled_at == first_fulfilled_at


def test_vouchers_for_an_unknown_order_are_an_error(store, clock):
    with pytest.raises(LookupError):
        record(store, clock, 12345, 10)


def test_today_for_expiration_is_new_york_today(store, clock):
    # 02:00 UTC on Oct 16 is still Oct 15 in New York: Oct 15 is not in the past
    clock.frozen_at = utc(2026, 10, 16, 2, 0)
    order, _ = place(store, clock, request=body(expiration_date=date(2026, 10, 15).isoformat()))
    assert order["expiration_date"] == "2026-10-15"
