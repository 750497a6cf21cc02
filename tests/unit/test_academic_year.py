"""The academic year: July 1 to June 30, written `2026-27`."""
from datetime import date

import pytest

from services.common.academic_year import AcademicYear


@pytest.mark.parametrize("text", ["2026-27", "2099-00", "2000-01", "2030-31"])
def test_parse_and_str_round_trip(text):
    assert str(AcademicYear.parse(text)) == text


def test_parse_reads_the_starting_year():
    assert AcademicYear.parse("2026-27") == AcademicYear(2026)


def test_str_pads_the_second_year_to_two_digits():
    assert str(AcademicYear(2008)) == "2008-09"
    assert str(AcademicYear(2099)) == "2099-00"


@pytest.mark.parametrize("bad", [
    "2026-28",      # the second year must follow the first
    "2026-26",
    "2026/27",      # wrong separator
    "2026-2027",    # long form is not accepted
    "26-27",
    " 2026-27",
    "2026-27 ",
    "2026-27\n",   # a trailing newline is not part of a year
    "\uff12\uff10\uff12\uff16-\uff12\uff17",  # full-width digits
    "",
    None,
    123,
    2026,
    "1999-00",      # outside the years the program can mean
])
def test_parse_rejects_anything_else(bad):
    with pytest.raises(ValueError):
        AcademicYear.parse(bad)


@pytest.mark.parametrize("day, year", [
    (date(2027, 6, 30), "2026-27"),  # last day of 2026-27
    (date(2027, 7, 1), "2027-28"),   # first day of 2027-28
    (date(2026, 7, 1), "2026-27"),
    (date(2026, 6, 30), "2025-26"),
    (date(2026, 12, 31), "2026-27"),
    (date(2027, 1, 1), "2026-27"),
])
def test_containing_switches_year_between_june_30_and_july_1(day, year):
    assert str(AcademicYear.containing(day)) == year


def test_first_and_last_day():
    year = AcademicYear.parse("2026-27")
    assert year.first_day == date(2026, 7, 1)
    assert year.last_day == date(2027, 6, 30)


def test_contains_is_inclusive_at_both_ends():
    year = AcademicYear(2026)
    assert year.contains(date(2026, 7, 1))
    assert year.contains(date(2027, 6, 30))
    assert not year.contains(date(2026, 6, 30))
    assert not year.contains(date(2027, 7, 1))


def test_previous_and_next():
    year = AcademicYear.parse("2026-27")
    assert str(year.previous()) == "2025-26"
    assert str(year.previous(4)) == "2022-23"
    assert str(year.next()) == "2027-28"
    assert year.next().previous() == year


def test_years_order_by_time():
    assert AcademicYear(2025) < AcademicYear(2026) < AcademicYear(2027)
