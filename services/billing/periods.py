"""Billing periods and who is billed when: plain rules, no I/O.

A period is a month, written `2026-11`. Operations may run any month that is over, from the
first month of the portal on (in the program's time zone): billing is monthly, so a month
is billed once its last exam day has passed, and a later exam of the same month never
makes a second invoice for it. A month that has begun can be previewed. Monthly organizations
are billed for the exams of the period's month; state-funded organizations only in the runs
for December (their exams of July-December, invoiced in January) and June
(January-June, invoiced in July).
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date

from services.common.academic_year import AcademicYear

_PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # whole string, ASCII digits only

# The portal's first academic year is 2026-27: no exam before July 2026 was taken with
# one of its vouchers, so no earlier period can be billed.
FIRST_PERIOD_TEXT = "2026-07"
STATE_FUNDED_RUN_MONTHS = (6, 12)


class PeriodError(ValueError):
    """A period that cannot be run; the message is for a person."""


class PeriodNotOver(PeriodError):
    """A month that has begun but is not over yet: it can be previewed, not billed."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text):
        """`2026-11` -> Period(2026, 11); PeriodError for anything else."""
        match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
        if not match:
            raise PeriodError("A billing period is a month, written like 2026-11.")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day):
        return cls(day.year, day.month)

    @property
    def first_day(self):
        return date(self.year, self.month, 1)

    @property
    def last_day(self):
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self):
        return "{:04d}-{:02d}".format(self.year, self.month)


FIRST_PERIOD = Period.parse(FIRST_PERIOD_TEXT)


def started_period(text, today):
    """The period asked for, if it has begun (what a preview may show); PeriodError
    otherwise."""
    period = Period.parse(text)
    current = Period.containing(today)
    if period > current:
        raise PeriodError("{} has not started yet; the latest period that can be run is {}."
                          .format(period, previous_period(today)))
    if period < FIRST_PERIOD:
        raise PeriodError("{} is before the portal existed; the first billing period is {}."
                          .format(period, FIRST_PERIOD))
    return period


def runnable_period(text, today):
    """The period asked for, if it may be billed today: it has begun and it is over;
    PeriodNotOver for the current month, PeriodError otherwise."""
    period = started_period(text, today)
    if period == Period.containing(today):
        raise PeriodNotOver("{} is not over yet: it can be billed from {} on; the latest "
                            "period that can be run is {}.".format(
                                period, next_first_day(period).isoformat(),
                                previous_period(today)))
    return period


def next_first_day(period):
    """The first day after the period."""
    return (date(period.year + 1, 1, 1) if period.month == 12
            else date(period.year, period.month + 1, 1))


def previous_period(today):
    """Last month: what the monthly run on the first of a month bills."""
    return Period(today.year - 1, 12) if today.month == 1 else Period(today.year, today.month - 1)


def state_funded_span(period):
    """(first, last) day of the half-year a state-funded organization is billed for in
    this period's run, or None when the run does not bill state-funded organizations."""
    if period.month == 12:
        return date(period.year, 7, 1), date(period.year, 12, 31)
    if period.month == 6:
        return date(period.year, 1, 1), date(period.year, 6, 30)
    return None


def billing_span(period, state_funded):
    """(first, last) day of the exams an organization is billed for in this period's run,
    or None when it is not billed in this run at all."""
    if state_funded:
        return state_funded_span(period)
    return period.first_day, period.last_day


def academic_year_of_span(first_day):
    """The academic year an invoice is listed under: that of the first day it covers
    (both halves of a state-funded year and every month fall inside one year)."""
    return str(AcademicYear.containing(first_day))
