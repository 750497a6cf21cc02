"""What the access service reads of the events it consumes (docs/EVENTS.md)."""
from marshmallow import fields

from services.common.event_schema import EventSchema, Int, Text


class AccessCodeRunRequested(EventSchema):
    run_id = Int(required=True)
    academic_year = Text(required=True)


class OrderPlaced(EventSchema):
    id = Int(required=True)
    organization_id = Int(required=True)
    academic_year = Text(required=True)
    placed_at = fields.AwareDateTime(required=True)
