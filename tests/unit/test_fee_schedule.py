"""The fee schedule per academic year (docs/DOMAIN.md): set by operations, announced to
billing as `fees_set`, shown in the quote."""
import json

import pytest
from sqlalchemy import select

from services.common.errors import InvalidInput
from services.common.messaging_tables import outbox
from services.orders import ordering
from services.orders.models import FeeSchedule

ORG = {"id": 7, "name": "Cass Technical High School"}


def set_fees(store, clock, year="2026-27", exam=9300, remote=1500):
    with store.transaction() as work:
        return ordering.set_fees(work, clock, year, exam, remote)


def fees_events(store):
    with store.reader() as session:
        return [json.loads(payload) for payload in session.scalars(
            select(outbox.c.payload).where(outbox.c.event_type == "fees_set")).all()]


def test_setting_fees_stores_them_and_emits_fees_set(orders_store, clock):
    assert set_fees(orders_store, clock) == {"academic_year": "2026-27", "exam_fee_cents": 9300,
                                             "remote_proctoring_fee_cents": 1500}
    [event] = fees_events(orders_store)
    assert (event["academic_year"], event["exam_fee_cents"],
            event["remote_proctoring_fee_cents"]) == ("2026-27", 9300, 1500)
    assert event["event_id"]
    with orders_store.reader() as session:
        assert session.get(FeeSchedule, "2026-27").exam_fee_cents == 9300


def test_changing_fees_announces_the_new_ones_and_the_same_again_nothing(orders_store, clock):
    set_fees(orders_store, clock)
    set_fees(orders_store, clock)
    set_fees(orders_store, clock, exam=9900)
    assert [event["exam_fee_cents"] for event in fees_events(orders_store)] == [9300, 9900]


def test_the_quote_shows_this_years_fees_and_limits(orders_store, clock):
    set_fees(orders_store, clock)
    set_fees(orders_store, clock, year="2027-28", exam=1, remote=1)
    with orders_store.reader() as session:
        quote = ordering.quote(session, clock, ORG)
    assert quote["academic_year"] == "2026-27"
    assert (quote["exam_fee_cents"], quote["remote_proctoring_fee_cents"]) == (9300, 1500)
    assert quote["default_expiration_date"] == quote["latest_expiration_date"] == "2027-06-30"
    assert quote["earliest_expiration_date"] == "2026-10-15"
    assert quote["max_quantity"] == 10_000


@pytest.mark.parametrize("year", ["2026-28", "26-27", ""])
def test_a_malformed_year_is_refused(orders_store, clock, year):
    with pytest.raises(InvalidInput) as invalid:
        set_fees(orders_store, clock, year=year)
    assert "academic_year" in invalid.value.fields
    assert fees_events(orders_store) == []
