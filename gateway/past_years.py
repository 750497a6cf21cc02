"""Reading one thing of an organization (an order, a score) of a past academic year.

This year's access opens every year's data; without it, the access held in the thing's own
year does (the access service answers 403 `access_code_needed` to the first question, and
decides the second). The thing's year is asked for only then.
"""
from services.common.errors import Forbidden

ACCESS_CODE_NEEDED = "access_code_needed"


def authorize_item(authorize, year_of):
    """`authorize(None)` (this year), else `authorize(year_of())` for a caller who held
    access in a past year; `year_of` answering None keeps the first refusal."""
    try:
        return authorize(None)
    except Forbidden as refusal:
        if refusal.code != ACCESS_CODE_NEEDED:
            raise
        year = year_of()
        if year is None:
            raise
    return authorize(year)
