"""Checking an incoming event against the consumer's schema of it, per docs/EVENTS.md.

Each consuming service declares, in its own `event_schemas.py`, the fields it reads of
each event it consumes (an `EventSchema`: other fields are let through, a consumer keeps
only what it needs). `consumes` checks the event before the handler sees it: a missing
field or one of the wrong shape raises `MalformedEvent`, and the event is kept in
`failed_events` with that reason, not retried.
"""
from datetime import date, datetime

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from services.common.strict_fields import StrictBoolean as Bool, StrictInteger as Int  # noqa: F401
from services.common.validation import instance_of


class MalformedEvent(ValueError):
    """The event lacks a field its consumer needs, or a field has the wrong shape."""


def check_event(schema, event):
    """The event as `schema` loads it (texts stripped, dates as dates, defaults filled in);
    the event itself when there is no schema."""
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not a JSON object")
    if schema is None:
        return event
    try:
        return instance_of(schema).load(event)
    except ValidationError as problems:
        raise MalformedEvent(describe(problems.messages))



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
    """A text that is not blank, loaded without its surrounding spaces."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value:
            raise ValidationError("Blank.")
        return value


class IsoDate(fields.Field):
    """An ISO date; a timestamp counts as its own calendar date (its offset as given)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                try:
                    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
                except ValueError:
                    pass
        raise ValidationError("Not an ISO date.")


class Version(Int):
    """A producer's version of a thing (1, 2, ...): consumers apply only what is newer.

    Missing (None, unless `load_default` says otherwise): an event from before versions,
    left in an outbox or `failed_events` at the upgrade; see `newer_version`."""

    def __init__(self, load_default=None, **kwargs):
        super().__init__(load_default=load_default, allow_none=False,
                         validate=validate.Range(min=1, error="A version: 1, 2, ..."),
                         **kwargs)


def newer_version(copy, version):
    """Whether an event of `version` is news to `copy` (a row with a `version`), noting the
    version on the copy when it is. An event without one (from before versions) applies as
    it did then, last arrival wins, and leaves the copy's version as it was."""
    if version is None:
        return True
    if version <= copy.version:
        return False
    copy.version = version
    return True


class EventPart(Schema):
    """An object inside an event (a student, a contact): fields the consumer does not read
    are let through."""

    class Meta:
        unknown = INCLUDE


class EventSchema(EventPart):
    """Every event names itself with `event_id`; what else it carries is the consumer's
    to declare."""

    event_id = Key(required=True)
