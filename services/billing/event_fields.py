"""Reading the fields of an incoming event, per docs/EVENTS.md.

A field that is missing or of the wrong shape raises `MalformedEvent`: the `consumes`
decorator then keeps the event in `failed_events` for inspection (a retry would not help).
"""
from datetime import date, datetime

from services.common.event_schema import MalformedEvent  # noqa: F401 - raised from here

_MISSING = object()


class UnknownReference(LookupError):
    """The event names something billing has no copy of (an unknown order)."""


def field(event, name, kind=None, required=True, nullable=False):
    """`event[name]`, checked: present (unless not `required`), non-null (unless
    `nullable`), and of `kind` when given ("int", "cents", "str", "bool", "date", "key",
    "version")."""
    value = event.get(name, _MISSING) if isinstance(event, dict) else _MISSING
    if value is _MISSING:
        if required:
            raise MalformedEvent("event has no {!r}".format(name))
        return None
    if value is None:
        if nullable or not required:
            return None
        raise MalformedEvent("{!r} is null".format(name))
    if kind is None:
        return value
    return _CHECKS[kind](name, value)


def _int(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent("{!r} is not a whole number: {!r}".format(name, value))
    return value


def _cents(name, value):
    value = _int(name, value)
    if value < 0:
        raise MalformedEvent("{!r} is negative: {!r}".format(name, value))
    return value


def _version(name, value):
    value = _int(name, value)
    if value < 1:
        raise MalformedEvent("{!r} is not a version (1, 2, ...): {!r}".format(name, value))
    return value


def _str(name, value):
    if not isinstance(value, str) or not value.strip():
        raise MalformedEvent("{!r} is not a text: {!r}".format(name, value))
    return value.strip()


def _bool(name, value):
    if not isinstance(value, bool):
        raise MalformedEvent("{!r} is not true or false: {!r}".format(name, value))
    return value


def _date(name, value):
    """An ISO date; a timestamp is read as its own calendar date (its offset as given)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                pass
    raise MalformedEvent("{!r} is not an ISO date: {!r}".format(name, value))


def _key(name, value):
    """An identifier sent as a number or a text (registration ids, result ids)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise MalformedEvent("{!r} is not an identifier: {!r}".format(name, value))
    return str(value).strip()


_CHECKS = {"int": _int, "cents": _cents, "str": _str, "bool": _bool, "date": _date,
           "key": _key, "version": _version}
