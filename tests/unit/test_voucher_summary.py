"""An organization's vouchers of one academic year, for the portal's summary: orders, codes
ordered and counts by status across all its batches, on SQLite and on PostgreSQL (the
counts are grouped queries, so each database's SQL is checked)."""
from datetime import date

import pytest
from sqlalchemy import update

from services.common.academic_year import AcademicYear
from services.vouchers import legacy, listing
from services.vouchers.codes import generate_codes
from services.vouchers.models import Voucher
from tests.conftest import migrated_store
from tests.unit.test_redemption import make_batch

Y2026 = AcademicYear(2026)
ZEROS = dict.fromkeys(("unused", "assigned", "redeemed", "used", "cancelled", "expired"), 0)


@pytest.fixture
def any_vouchers_store(databases, clock):
    store = migrated_store("vouchers", databases.new_url("vouchers"), clock)
    yield store
    store.dispose()


def set_status(store, codes, status):
    with store.transaction() as work:
        work.session.execute(update(Voucher).where(Voucher.code.in_(codes))
                             .values(status=status))


@pytest.fixture
def year_of_batches(any_vouchers_store, clock):
    """Organization 7 in 2026-27: order 41 (5 codes: one redeemed, one used), order 42 (3
    codes expiring November 30: one cancelled), a legacy import of 2 codes; and codes that
    are not its 2026-27's (another year, another organization)."""
    store = any_vouchers_store
    first, short = generate_codes(5), generate_codes(3)
    make_batch(store, clock, first, order_id=41)
    make_batch(store, clock, short, order_id=42, expiration=date(2026, 11, 30))
    with store.transaction() as work:
        legacy.import_codes(work, clock, 7, "2026-27", ["OLD-0001", "OLD-0002"])
    set_status(store, first[:1], "redeemed")
    set_status(store, first[1:2], "used")
    set_status(store, short[:1], "cancelled")
    make_batch(store, clock, generate_codes(4), order_id=43, year="2027-28",
               expiration=date(2028, 6, 30))
    make_batch(store, clock, generate_codes(6), order_id=44, organization_id=8)
    return store


def summary(store, organization_id=7, year=Y2026, today=date(2026, 10, 15)):
    with store.reader() as session:
        return listing.usage_summary(session, organization_id, year, today)


def test_the_summary_counts_every_batch_of_the_year(year_of_batches):
    assert summary(year_of_batches) == {
        "academic_year": "2026-27", "orders": 2, "ordered": 10,
        "counts": {"unused": 7, "assigned": 0,
                   "redeemed": 1, "used": 1, "cancelled": 1, "expired": 0}}


def test_unused_codes_past_their_expiration_date_count_as_expired(year_of_batches):
    on_the_day = summary(year_of_batches, today=date(2026, 11, 30))
    after = summary(year_of_batches, today=date(2026, 12, 1))
    assert (on_the_day["counts"]["unused"], on_the_day["counts"]["expired"]) == (7, 0)
    assert after["counts"] == {"unused": 5, "assigned": 0, "redeemed": 1, "used": 1, "cancelled": 1,
                               "expired": 2}


def test_a_year_without_vouchers_is_all_zeros(year_of_batches):
    assert summary(year_of_batches, year=AcademicYear(2025)) == {
        "academic_year": "2025-26", "orders": 0, "ordered": 0, "counts": ZEROS}
    assert summary(year_of_batches, organization_id=9)["counts"] == ZEROS
