"""The June 30 close on a real (SQLite) vouchers database (docs/DOMAIN.md, "Closing the
academic year"): tickets not used by June 30 are cancelled once that day is over, unused
codes expire, and closing again changes nothing.
"""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from services.common.academic_year import AcademicYear
from services.common.errors import Conflict
from services.common.messaging_tables import outbox
from services.vouchers import closing, legacy, listing
from services.vouchers.codes import generate_codes
from services.vouchers.models import Registration, YearClosure
from tests.unit.conftest import utc
from tests.unit.test_redemption import events, make_batch, redeem, status_of

Y2026 = AcademicYear(2026)
JUNE_30_EVENING = utc(2027, 7, 1, 3, 30)   # 23:30 on June 30 in New York
JULY_1_EARLY = utc(2027, 7, 1, 4, 5)       # 00:05 on July 1 in New York


def close(store, clock, year=Y2026, closed_by="operations"):
    with store.transaction() as work:
        return closing.close_year(work, clock, year, closed_by)


@pytest.mark.parametrize("today, due", [
    (date(2027, 7, 1), "2026-27"), (date(2027, 6, 30), "2025-26"), (date(2026, 10, 15), "2025-26"),
])
def test_the_close_is_due_for_the_last_year_that_ended(today, due):
    assert str(closing.year_to_close(today)) == due


def test_a_year_is_over_only_after_its_june_30():
    assert not closing.is_over(Y2026, date(2027, 6, 30))
    assert closing.is_over(Y2026, date(2027, 7, 1))


@pytest.fixture
def year_of_codes(vouchers_store, clock):
    """Codes of 2026-27: two redeemed, one used, two unused, two legacy (one redeemed);
    and a code of 2027-28 that the close must not touch."""
    portal = generate_codes(5)
    make_batch(vouchers_store, clock, portal)
    with vouchers_store.transaction() as work:
        legacy.import_codes(work, clock, 7, "2026-27", ["OLD-0001", "OLD-0002"])
    for code in (portal[0], portal[1], portal[2], "OLD0001"):
        redeem(vouchers_store, clock, code)
    with vouchers_store.transaction() as work:
        from services.vouchers.redemption import record_exams
        record_exams(work.session, clock.now(), [{"voucher_code": portal[2]}])
    [next_year] = generate_codes(1)
    make_batch(vouchers_store, clock, [next_year], year="2027-28",
               expiration=date(2028, 6, 30), order_id=99)
    return portal, next_year


def test_the_close_waits_for_the_end_of_june_30_in_program_time(vouchers_store, clock,
                                                                  year_of_codes):
    clock.frozen_at = JUNE_30_EVENING
    with pytest.raises(Conflict) as early:
        close(vouchers_store, clock)
    assert early.value.code == "academic_year_not_over"
    with vouchers_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(YearClosure)) == 0


def test_the_close_cancels_unused_tickets_and_expires_unused_codes(vouchers_store, clock,
                                                                   year_of_codes):
    portal, next_year = year_of_codes
    clock.frozen_at = JULY_1_EARLY
    closed = close(vouchers_store, clock)
    assert closed["academic_year"] == "2026-27" and closed["already_closed"] is False
    assert closed["tickets_cancelled"] == 3   # two portal, one legacy
    assert closed["vouchers_expired"] == 3    # two portal, one legacy
    assert [status_of(vouchers_store, code) for code in portal] == [
        "cancelled", "cancelled", "used", "expired", "expired"]
    assert status_of(vouchers_store, "OLD0001") == "cancelled"
    assert status_of(vouchers_store, "OLD0002") == "expired"
    assert status_of(vouchers_store, next_year) == "unused"
    with vouchers_store.reader() as session:
        statuses = session.execute(select(Registration.voucher_code, Registration.status)).all()
    assert dict(statuses) == {portal[0]: "cancelled", portal[1]: "cancelled",
                              portal[2]: "used", "OLD0001": "cancelled"}
    cancelled = events(vouchers_store, "registration_cancelled")
    assert sorted(event["voucher_code"] for event in cancelled) == sorted(
        [portal[0], portal[1], "OLD0001"])
    assert {event["order_id"] for event in cancelled} == {41, None}
    assert all(event["academic_year"] == "2026-27" for event in cancelled)


def test_closing_again_changes_nothing(vouchers_store, clock, year_of_codes):
    clock.frozen_at = JULY_1_EARLY
    first = close(vouchers_store, clock, closed_by="timer")
    with vouchers_store.reader() as session:
        outbox_rows = session.scalar(select(func.count()).select_from(outbox))
    again = close(vouchers_store, clock)
    assert again["already_closed"] is True
    assert (again["tickets_cancelled"], again["vouchers_expired"], again["closed_by"]) == (
        first["tickets_cancelled"], first["vouchers_expired"], "timer")
    with vouchers_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(outbox)) == outbox_rows


def test_a_code_used_after_the_close_still_becomes_used(vouchers_store, clock, year_of_codes):
    portal, _ = year_of_codes
    clock.frozen_at = JULY_1_EARLY
    close(vouchers_store, clock)
    from services.vouchers.redemption import record_exams
    with vouchers_store.transaction() as work:  # a late report of an exam taken on June 30
        record_exams(work.session, clock.now(), [{"voucher_code": portal[0]}])
    assert status_of(vouchers_store, portal[0]) == "used"


def test_an_empty_year_closes_with_nothing_to_do(vouchers_store, clock):
    closed = close(vouchers_store, clock, year=AcademicYear(2025))
    assert (closed["tickets_cancelled"], closed["vouchers_expired"]) == (0, 0)
    assert events(vouchers_store, "registration_cancelled") == []


def test_usage_shows_codes_past_their_expiration_date_as_expired(vouchers_store, clock):
    codes = generate_codes(3)
    make_batch(vouchers_store, clock, codes, expiration=date(2026, 11, 30), order_id=77)
    with vouchers_store.reader() as session:
        before = listing.usage(session, 7, 77, today=date(2026, 11, 30))
        after = listing.usage(session, 7, 77, today=date(2026, 12, 1))
        expired_page = listing.usage(session, 7, 77, status="expired", today=date(2026, 12, 1))
        unused_page = listing.usage(session, 7, 77, status="unused", today=date(2026, 12, 1))
        csv = listing.csv_page(session, 7, 77, None, 10, today=date(2026, 12, 1))
    assert before["counts"]["unused"] == 3 and before["counts"]["expired"] == 0
    assert after["counts"]["unused"] == 0 and after["counts"]["expired"] == 3
    assert {v["status"] for v in expired_page["vouchers"]} == {"expired"}
    assert len(expired_page["vouchers"]) == 3 and unused_page["vouchers"] == []
    assert set(csv["statuses"]) == {"expired"} and len(csv["codes"]) == 3


def test_the_closure_row_is_the_guard(vouchers_store, clock, year_of_codes):
    clock.frozen_at = JULY_1_EARLY
    close(vouchers_store, clock)
    with vouchers_store.reader() as session:
        [row] = session.scalars(select(YearClosure)).all()
        payloads = session.scalars(select(outbox.c.payload).where(
            outbox.c.event_type == "registration_cancelled")).all()
    assert row.academic_year == "2026-27" and row.closed_by == "operations"
    assert len({json.loads(p)["registration_id"] for p in payloads}) == len(payloads) == 3
