"""Order rules: the fields of an order (the orders service's schemas), its expiration
date, and what makes two requests the same."""
from datetime import date

import pytest

from services.common.errors import InvalidInput
from services.common.validation import load
from services.orders.rules import check_expiration, expiration_bounds, request_fingerprint
from services.orders.schemas import MAX_PO_LENGTH, MAX_QUANTITY, OrderIn, PoNumberIn

OCT_15 = date(2026, 10, 15)  # in academic year 2026-27
ORDER = {"quantity": 5, "covers_remote_proctoring": False, "terms_version": "2026-07"}


def problem(schema, data, field):
    """The one problem `schema` finds with `field` of `data`, or None."""
    try:
        load(schema, data)
    except InvalidInput as invalid:
        assert list(invalid.fields) == [field]
        return invalid.fields[field][0]
    return None


def check_quantity(quantity):
    return problem(OrderIn, dict(ORDER, quantity=quantity), "quantity")


def check_po_number(po_number):
    return problem(PoNumberIn, {"po_number": po_number}, "po_number")


# --- quantity: 1 to 10,000 whole vouchers -------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 9_999, 10_000])
def test_quantity_from_1_to_10000_is_allowed(quantity):
    assert check_quantity(quantity) is None


@pytest.mark.parametrize("quantity", [0, -1, 10_001, 1_000_000])
def test_quantity_outside_1_to_10000_is_rejected(quantity):
    assert check_quantity(quantity) == "From 1 to 10,000 vouchers."


@pytest.mark.parametrize("quantity", ["5", 5.0, 5.5, True, False, None, [5]])
def test_quantity_must_be_a_whole_number_not_text_float_or_bool(quantity):
    assert check_quantity(quantity) in ("Not a valid integer.", "Field may not be null.")


def test_max_quantity_is_ten_thousand():
    assert MAX_QUANTITY == 10_000


# --- expiration: not in the past, not after June 30 of the current year ---------


def test_expiration_bounds_are_today_and_june_30():
    assert expiration_bounds(OCT_15) == (OCT_15, date(2027, 6, 30))


def test_expiration_today_is_allowed():
    assert check_expiration(OCT_15, OCT_15) is None


def test_expiration_on_june_30_is_allowed():
    assert check_expiration(date(2027, 6, 30), OCT_15) is None


def test_expiration_in_the_past_is_rejected():
    assert "past" in check_expiration(date(2026, 10, 14), OCT_15)


def test_expiration_after_june_30_is_rejected():
    problem = check_expiration(date(2027, 7, 1), OCT_15)
    assert "2027-06-30" in problem


def test_on_june_30_only_june_30_itself_is_allowed():
    june_30 = date(2027, 6, 30)
    assert check_expiration(june_30, june_30) is None
    assert check_expiration(date(2027, 7, 1), june_30) is not None
    assert check_expiration(date(2027, 6, 29), june_30) is not None


def test_on_july_1_the_new_academic_year_sets_the_limit():
    july_1 = date(2027, 7, 1)
    assert expiration_bounds(july_1) == (july_1, date(2028, 6, 30))
    assert check_expiration(date(2028, 6, 30), july_1) is None
    assert check_expiration(date(2028, 7, 1), july_1) is not None
    assert check_expiration(date(2027, 6, 30), july_1) is not None  # last year's June 30


def test_in_january_the_limit_is_this_calendar_years_june_30():
    january = date(2027, 1, 10)
    assert expiration_bounds(january)[1] == date(2027, 6, 30)
    assert check_expiration(date(2027, 12, 31), january) is not None


# --- PO number: optional, at most 50 printable characters ------------------------


def test_no_po_number_is_fine():
    assert check_po_number(None) is None


def test_po_number_of_50_characters_is_allowed():
    assert MAX_PO_LENGTH == 50
    assert check_po_number("P" * 50) is None


def test_po_number_of_51_characters_is_rejected():
    assert check_po_number("P" * 51) == "At most 50 characters."


@pytest.mark.parametrize("po_number", ["PO-2026/0042 (Dept. #7)", "Réf. école 12", "x"])
def test_ordinary_po_numbers_are_allowed(po_number):
    assert check_po_number(po_number) is None


@pytest.mark.parametrize("po_number", ["PO\n42", "PO\t42", "PO\r42", "\x00", "PO\x1b[2J",
                                       "PO\x7f"])
def test_po_number_with_control_characters_is_rejected(po_number):
    assert check_po_number(po_number) == "Only printable characters."


@pytest.mark.parametrize("po_number", [42, ["PO"], {"po": 1}])
def test_po_number_must_be_text(po_number):
    assert check_po_number(po_number) is not None


# --- request fingerprint: what makes "the same order request" ----------------------


BODY = {"quantity": 25, "covers_remote_proctoring": True, "expiration_date": "2027-06-30",
        "po_number": "PO-1", "terms_version": "2026-07"}


def test_fingerprint_ignores_key_order():
    reordered = dict(reversed(list(BODY.items())))
    assert list(reordered) != list(BODY)
    assert request_fingerprint(7, reordered) == request_fingerprint(7, BODY)


def test_fingerprint_is_stable_across_calls():
    assert request_fingerprint(7, dict(BODY)) == request_fingerprint(7, dict(BODY))
    assert len(request_fingerprint(7, BODY)) == 64  # fits the idempotency_keys column


@pytest.mark.parametrize("change", [
    {"quantity": 26},
    {"covers_remote_proctoring": False},
    {"expiration_date": "2027-06-29"},
    {"po_number": "PO-2"},
    {"po_number": None},
])
def test_fingerprint_differs_for_a_different_body(change):
    assert request_fingerprint(7, dict(BODY, **change)) != request_fingerprint(7, BODY)


def test_fingerprint_differs_for_another_organization():
    assert request_fingerprint(8, BODY) != request_fingerprint(7, BODY)


def test_fingerprint_tells_a_missing_field_from_an_extra_one():
    without_po = {k: v for k, v in BODY.items() if k != "po_number"}
    assert request_fingerprint(7, without_po) != request_fingerprint(7, BODY)
