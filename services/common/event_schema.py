"""Checking an incoming event against the consumer's schema of it, per docs/EVENTS.md.

Each consuming service declares, in its own `event_schemas.py`, the fields it reads of
each event it consumes (an `EventSchema`: other fields are let through, a consumer keeps
only what it needs). `consumes` checks the event before the handler sees it: a missing
field or one of the wrong shape raises `MalformedEvent`, and the event is kept in
`failed_events` with that reason, not retried.
"""
from datetime import date, datetime

from marshmallow import INCLUDE, Schema, ValidationError, fields

from services.common.strict_fields import StrictBoolean as Bool, StrictInteger as Int  # noqa: F401


class MalformedEvent(ValueError):
    """The event lacks a field its consumer needs, or a field has the wrong shape."""


def check_event(schema, event):
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not a JSON object")
    if schema is None:
        return
    problems = schema().validate(event)
    if problems:
        raise MalformedEvent(describe(problems))


def describe(problems, prefix=""):
    """{"student": {"id": ["..."]}} as `student.id: ...` (sorted, on one line)."""
    parts = []
    for name, value in sorted(problems.items(), key=lambda item: str(item[0])):
        key = "{}{}".format(prefix, name)
        if isinstance(value, dict):
            parts.append(describe(value, key + "."))
        else:
            parts.append("{}: {}".format(key, " ".join(
                value if isinstance(value, list) else [str(value)])))
    return "; ".join(parts)


class Key(fields.Field):
    """An identifier sent as a number or a text (event ids, registration ids, result ids)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or \
                not str(value).strip():
            raise ValidationError("Not an identifier.")
        return str(value).strip()


class Text(fields.String):
    """A text that is not blank."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value.strip():
            raise ValidationError("Blank.")
        return value


class IsoDate(fields.Field):
    """An ISO date; a timestamp counts as its own calendar date."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            for parse in (date.fromisoformat, datetime.fromisoformat):
                try:
                    return parse(value.replace("Z", "+00:00"))
                except ValueError:
                    pass
        raise ValidationError("Not an ISO date.")


class Version(Int):
    """A producer's version of a thing (1, 2, ...): consumers apply only what is newer."""

    def __init__(self, **kwargs):
        super().__init__(required=True, validate=lambda value: value >= 1, **kwargs)


class EventPart(Schema):
    """An object inside an event (a student, a contact): fields the consumer does not read
    are let through."""

    class Meta:
        unknown = INCLUDE


class EventSchema(EventPart):
    """Every event names itself with `event_id`; what else it carries is the consumer's
    to declare."""

    event_id = Key(required=True)
