"""What the scores service reads of the events it consumes (docs/EVENTS.md)."""
from marshmallow import fields

from services.common.event_schema import (Bool, EventPart, EventSchema, Int, IsoDate, Key, Text,
                                          Version)


class Student(EventPart):
    id = Key(load_default=None, allow_none=True)


class VoucherRedeemed(EventSchema):
    registration_id = Key(required=True)
    voucher_code = Text(required=True)
    order_id = Int(required=True, allow_none=True)  # null for a legacy code
    organization_id = Int(required=True)
    academic_year = Text(load_default=None, allow_none=True)
    covers_remote_proctoring = Bool(load_default=None, allow_none=True)
    legacy = Bool(load_default=False)
    student = fields.Nested(Student, load_default=None, allow_none=True)
    exam = Text(load_default=None, allow_none=True)
    redeemed_at = fields.AwareDateTime(load_default=None, allow_none=True)
    complete_by = IsoDate(load_default=None, allow_none=True)


class Organization(EventSchema):
    """`organization_registered` and `organization_updated`."""
    id = Int(required=True)
    name = Text(required=True)
    kind = Text(required=True)
    district_id = Int(load_default=None, allow_none=True)
    version = Version()


class Account(EventPart):
    id = Int(required=True)
    email = Text(required=True)
    name = Text(load_default=None, allow_none=True)


class ScoresViewed(EventSchema):
    """`scores_viewed` (the gateway): a look at the scores list it answered from what it
    kept (gateway/score_views.py)."""
    account = fields.Nested(Account, required=True)
    organization_id = Int(required=True)
    academic_year = Text(required=True)
    access = Text(load_default=None, allow_none=True)
    exam = Text(load_default=None, allow_none=True)
    sort = Text(load_default=None, allow_none=True)
    page = Int(load_default=None, allow_none=True)
    row_count = Int(required=True)
    viewed_at = fields.AwareDateTime(required=True)
