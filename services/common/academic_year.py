"""The program's academic year: July 1 to June 30, written `2026-27`."""
import re
from dataclasses import dataclass
from datetime import date

from services.common.errors import InvalidInput

# ASCII digits only; anchored, so the OpenAPI document can state it as it is
PATTERN = re.compile(r"^(2[0-9]{3})-([0-9]{2})$")


@dataclass(frozen=True, order=True)
class AcademicYear:
    start_year: int

    @classmethod
    def containing(cls, day):
        return cls(day.year if day.month >= 7 else day.year - 1)

    @classmethod
    def parse(cls, text):
        """`2026-27` -> AcademicYear(2026); ValueError for anything else."""
        match = PATTERN.fullmatch(text or "") if isinstance(text, str) else None
        if not match:
            raise ValueError("An academic year is written like 2026-27.")
        start = int(match.group(1))
        if int(match.group(2)) != (start + 1) % 100:
            raise ValueError("An academic year is written like 2026-27.")
        return cls(start)

    @property
    def first_day(self):
        return date(self.start_year, 7, 1)

    @property
    def last_day(self):
        return date(self.start_year + 1, 6, 30)

    def contains(self, day):
        return self.first_day <= day <= self.last_day

    def previous(self, years=1):
        return AcademicYear(self.start_year - years)

    def next(self):
        return AcademicYear(self.start_year + 1)

    def __str__(self):
        return "{}-{:02d}".format(self.start_year, (self.start_year + 1) % 100)


def academic_year_from_input(text, field="academic_year"):
    """`AcademicYear.parse` for what a caller sent: a 400 naming the field when it is wrong."""
    try:
        return AcademicYear.parse(text)
    except ValueError as wrong:
        raise InvalidInput(fields={field: [str(wrong)]})
