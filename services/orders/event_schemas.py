"""What the orders service reads of the events it consumes (docs/EVENTS.md)."""
from marshmallow import fields

from services.common.event_schema import EventPart, EventSchema, Int, Text


class OrderPlaced(EventSchema):
    id = Int(required=True)


class VoucherChunkGenerated(EventSchema):
    order_id = Int(required=True)
    count = Int(required=True)


class VouchersGenerated(EventSchema):
    order_id = Int(required=True)


class Coordinator(EventPart):
    name = Text(required=True)
    email = Text(required=True)


class ProfileUpdated(EventSchema):
    organization_id = Int(required=True)
    coordinator = fields.Nested(Coordinator, required=True)
