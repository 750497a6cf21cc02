"""Schemas of operations' view of failed events and parked results."""
from marshmallow import Schema, fields, validate

from services.common.strict_fields import StrictInteger
from services.common.validation import ID

LIMIT = validate.Range(min=1, max=500)


class LimitQuery(Schema):
    limit = fields.Integer(load_default=100, validate=LIMIT)


class FailedEventOut(Schema):
    id = fields.Integer()
    consumer = fields.String(metadata={"description": "the handler that could not apply it"})
    source_service = fields.String()
    event_type = fields.String()
    event_id = fields.String(allow_none=True)
    payload = fields.Dict()
    error = fields.String(metadata={"description": "the reason, or the last traceback"})
    attempts = fields.Integer(metadata={"description": "deliveries that failed"})
    failed_at = fields.String()


class FailedEventsOut(Schema):
    service = fields.String()
    failed_events = fields.List(fields.Nested(FailedEventOut))


class ReplayIn(Schema):
    ids = fields.List(StrictInteger(validate=ID), load_default=None,
                      validate=validate.Length(max=500),
                      metadata={"description": "only these (absent: all)"})


class ReplayedOut(Schema):
    id = fields.Integer()
    consumer = fields.String()
    event_type = fields.String()
    error = fields.String()


class ReplayOut(Schema):
    service = fields.String()
    replayed = fields.List(fields.Nested(ReplayedOut))
    still_failing = fields.List(fields.Nested(ReplayedOut))


class ParkedResultOut(Schema):
    result_id = fields.String()
    voucher_code = fields.String()
    parked_at = fields.String()
    expires_at = fields.String()
    result = fields.Dict(metadata={"description": "the row as the testing system sent it"})


class ParkedResultsOut(Schema):
    parked_results = fields.List(fields.Nested(ParkedResultOut))
