"""Importing legacy (pre-portal) vouchers, as `POST /api/admin/legacy-vouchers` does (the
rules: services/vouchers/README.md, "Legacy codes").
"""
import pytest
from sqlalchemy import func, select

from services.common.errors import InvalidInput
from services.vouchers import legacy
from services.vouchers.codes import generate_codes
from services.vouchers.models import Voucher, VoucherBatch
from tests.unit.conftest import utc
from tests.unit.test_redemption import make_batch


def import_codes(store, clock, codes, year="2026-27", organization_id=7, **kwargs):
    with store.transaction() as work:
        return legacy.import_codes(work, clock, organization_id, year, codes, **kwargs)


def stored(store):
    with store.reader() as session:
        return dict(session.execute(select(Voucher.code, Voucher.batch_id)).all())


def test_codes_are_stored_in_their_own_format_as_one_batch_without_an_order(vouchers_store,
                                                                            clock):
    result = import_codes(vouchers_store, clock, ["abc-123-xyz", "ABC 124 XYZ", "OLD0"])
    assert result["imported"] == 3
    assert result["duplicates"] == [] and result["rejected"] == []
    assert result["expiration_date"] == "2027-06-30"
    assert set(stored(vouchers_store)) == {"ABC123XYZ", "ABC124XYZ", "OLD0"}
    with vouchers_store.reader() as session:
        batch = session.get(VoucherBatch, result["batch_id"])
    assert batch.legacy is True and batch.order_id is None and batch.quantity == 3
    assert batch.completed_at is not None and batch.covers_remote_proctoring is False


def test_duplicates_are_not_imported_twice(vouchers_store, clock):
    import_codes(vouchers_store, clock, ["OLD-0001", "OLD-0002"])
    [portal_code] = generate_codes(1)
    make_batch(vouchers_store, clock, [portal_code], order_id=5)
    again = import_codes(vouchers_store, clock, ["old 0001", "OLD-0003", "OLD-0003", portal_code])
    assert again["imported"] == 1
    assert sorted(again["duplicates"]) == sorted(["OLD0001", "OLD0003", portal_code])
    assert len(stored(vouchers_store)) == 4


def test_all_duplicates_import_nothing_and_make_no_batch(vouchers_store, clock):
    import_codes(vouchers_store, clock, ["OLD-0001"])
    again = import_codes(vouchers_store, clock, ["OLD-0001"])
    assert again["imported"] == 0 and again["batch_id"] is None
    with vouchers_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(VoucherBatch)) == 1


@pytest.mark.parametrize("bad", ["", "ab!", "ABC", "X" * 41, "ÄBCD1234", 1234, None])
def test_bad_codes_are_reported_and_the_good_ones_imported(vouchers_store, clock, bad):
    result = import_codes(vouchers_store, clock, ["GOOD-0001", bad])
    assert result["imported"] == 1
    assert [entry["voucher_code"] for entry in result["rejected"]] == [bad]
    assert result["rejected"][0]["reason"]


@pytest.mark.parametrize("year", ["2025-26", "2028-29", "2026-28", "soon"])
def test_only_the_current_or_next_year_takes_legacy_codes(vouchers_store, clock, year):
    with pytest.raises(InvalidInput) as invalid:
        import_codes(vouchers_store, clock, ["OLD-0001"], year=year)
    assert "academic_year" in invalid.value.fields
    assert stored(vouchers_store) == {}


def test_next_years_codes_may_be_imported_early(vouchers_store, clock):
    result = import_codes(vouchers_store, clock, ["NEXT-0001"], year="2027-28")
    assert result["imported"] == 1 and result["expiration_date"] == "2028-06-30"


@pytest.mark.parametrize("codes", [[], ["A1B2"] * 10_001])
def test_an_empty_or_oversized_list_is_invalid(vouchers_store, clock, codes):
    with pytest.raises(InvalidInput):
        import_codes(vouchers_store, clock, codes)


def test_once_a_year_is_over_it_takes_no_more_codes(vouchers_store, clock):
    clock.frozen_at = utc(2027, 7, 1, 12, 0)  # 2027-28 has begun
    with pytest.raises(InvalidInput):
        import_codes(vouchers_store, clock, ["OLD-0001"], year="2026-27")
    assert import_codes(vouchers_store, clock, ["OLD-0001"], year="2027-28")["imported"] == 1
