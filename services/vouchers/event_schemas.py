"""What the vouchers service reads of the events it consumes (docs/EVENTS.md)."""
from marshmallow import fields

from services.common.event_schema import (Bool, EventPart, EventSchema, Int, IsoDate, Key,
                                          Text)


class OrderPlaced(EventSchema):
    id = Int(required=True)
    organization_id = Int(required=True)
    academic_year = Text(required=True)
    quantity = Int(required=True)
    expiration_date = IsoDate(required=True)
    covers_remote_proctoring = Bool(required=True)


class Coordinator(EventPart):
    name = Text(required=True)
    email = Text(required=True)


class ProfileUpdated(EventSchema):
    organization_id = Int(required=True)
    coordinator = fields.Nested(Coordinator, required=True)
    expiry_reminders = Bool(load_default=True)  # absent from events before the setting


class ExpiryReminderDue(EventSchema):
    order_id = Int(required=True)
    organization_id = Int(required=True)
    threshold_days = Int(required=True)


class GenerationChunkQueued(EventSchema):
    batch_id = Int(required=True)
    chunk_no = Int(required=True)
    size = Int(load_default=None, allow_none=True)


class ExamRecorded(EventSchema):
    result_id = Key(required=True)
    voucher_code = Text(required=True, allow_none=True)  # null: not paid with a voucher


class VoucherEmailRequested(EventSchema):
    voucher_code = Text(required=True)
    organization_id = Int(required=True)
    order_id = Int(required=True)
    student_email = Text(required=True)
