"""Billing periods and who is billed when: plain rules."""
from datetime import date

import pytest

from services.billing.billable import exam_amount
from services.billing.periods import (Period, PeriodError, PeriodNotOver, billing_span,
                                      previous_period, runnable_period, started_period,
                                      state_funded_span)

TODAY = date(2027, 1, 15)


@pytest.mark.parametrize("text", ["2026-11", "2026-07", "2026-12"])
def test_runnable_periods(text):
    assert str(runnable_period(text, TODAY)) == text


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", " 2026-11",
                                  "2026-11 ", "2026/11", "2026-11-01", "", None, 202611,
                                  "\uff12\uff10\uff12\uff16-11", "november"])
def test_malformed_periods(text):
    with pytest.raises(PeriodError, match="written like 2026-11"):
        runnable_period(text, TODAY)


def test_a_future_period_cannot_be_run():
    with pytest.raises(PeriodError, match="has not started yet.*2026-12"):
        runnable_period("2027-02", TODAY)


def test_the_current_month_cannot_be_run_until_it_is_over():
    with pytest.raises(PeriodNotOver, match="2027-01 is not over yet.*from 2027-02-01"):
        runnable_period("2027-01", TODAY)
    assert runnable_period("2027-01", date(2027, 2, 1)) == Period(2027, 1)
    assert runnable_period("2027-12", date(2028, 1, 1)) == Period(2027, 12)


def test_the_current_month_can_be_previewed():
    assert started_period("2027-01", TODAY) == Period(2027, 1)
    with pytest.raises(PeriodError, match="has not started yet"):
        started_period("2027-02", TODAY)


def test_a_period_before_the_portal_cannot_be_run():
    with pytest.raises(PeriodError, match="before the portal existed"):
        runnable_period("2026-06", TODAY)


def test_monthly_organizations_are_billed_for_the_month():
    assert billing_span(Period(2026, 11), state_funded=False) == (date(2026, 11, 1),
                                                                  date(2026, 11, 30))
    assert billing_span(Period(2028, 2), state_funded=False) == (date(2028, 2, 1),
                                                                 date(2028, 2, 29))


def test_state_funded_organizations_are_billed_only_in_december_and_june():
    assert billing_span(Period(2026, 12), state_funded=True) == (date(2026, 7, 1),
                                                                 date(2026, 12, 31))
    assert billing_span(Period(2027, 6), state_funded=True) == (date(2027, 1, 1),
                                                                date(2027, 6, 30))
    for month in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11):
        assert billing_span(Period(2027, month), state_funded=True) is None
        assert state_funded_span(Period(2027, month)) is None


def test_previous_period_is_last_month():
    assert previous_period(date(2027, 1, 1)) == Period(2026, 12)
    assert previous_period(date(2026, 11, 30)) == Period(2026, 10)


@pytest.mark.parametrize("covers, mode, expected", [
    (True, "remote", (9300, 3000, 12300)),
    (True, "test_center", (9300, 0, 9300)),
    (False, "remote", (9300, 0, 9300)),
    (False, "test_center", (9300, 0, 9300)),
])
def test_exam_amount(covers, mode, expected):
    assert exam_amount(9300, 3000, covers, mode) == expected
