"""What the billing service reads of the events it consumes (docs/EVENTS.md).

`consumes` checks each event against its schema here; the handlers then read the event as
the schema loads it (texts stripped, dates as dates, academic years as `2026-27`)."""
from marshmallow import ValidationError, fields, validate

from services.common.academic_year import AcademicYear
from services.common.event_schema import (Bool, EventPart, EventSchema, Int, IsoDate, Key, Text,
                                          Version)

DELIVERY_MODES = ("test_center", "remote")


class AcademicYearText(Text):
    """An academic year, written like 2026-27."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return str(AcademicYear.parse(super()._deserialize(value, attr, data, **kwargs)))
        except ValueError as wrong:
            raise ValidationError(str(wrong))


def cents(**kwargs):
    return Int(validate=validate.Range(min=0), **kwargs)


def optional(field_class, **kwargs):
    """A field an event may leave out or send as null."""
    return field_class(load_default=None, allow_none=True, **kwargs)


class Organization(EventSchema):
    """`organization_registered` and `organization_updated`."""
    id = Int(required=True)
    version = Version()
    state_funded = Bool(required=True)
    name = optional(Text)
    state = optional(Text)


class BillingContact(EventPart):
    email = Text(required=True)
    name = optional(Text)
    phone = optional(Text)


class ProfileUpdated(EventSchema):
    organization_id = Int(required=True)
    billing_contact = fields.Nested(BillingContact, required=True)
    organization_name = optional(Text)


class FeesSet(EventSchema):
    academic_year = AcademicYearText(required=True)
    exam_fee_cents = cents(required=True)
    remote_proctoring_fee_cents = cents(required=True)


class OrderPlaced(EventSchema):
    id = Int(required=True)
    organization_id = Int(required=True)
    academic_year = AcademicYearText(required=True)
    covers_remote_proctoring = Bool(required=True)
    exam_fee_cents = cents(required=True)
    remote_proctoring_fee_cents = cents(required=True)
    po_number = optional(Text)
    version = Version(load_default=1)  # an order's first version, also from before versions
    state_funded = optional(Bool)


class PoNumberChanged(EventSchema):
    order_id = Int(required=True)
    po_number = Text(required=True, allow_none=True)  # null: the PO number was cleared
    version = Version()


class VoucherRedeemed(EventSchema):
    registration_id = Key(required=True)
    voucher_code = Text(required=True)
    order_id = Int(required=True, allow_none=True)  # null for a legacy code
    organization_id = Int(required=True)
    legacy = Bool(load_default=False, allow_none=True)
    covers_remote_proctoring = optional(Bool)
    academic_year = optional(Text)
    complete_by = optional(IsoDate)


class RegistrationCancelled(EventSchema):
    registration_id = Key(required=True)
    voucher_code = optional(Text)
    order_id = optional(Int)
    organization_id = optional(Int)
    academic_year = optional(Text)
    complete_by = optional(IsoDate)


class ExamRecorded(EventSchema):
    result_id = Key(required=True)
    voucher_code = Text(required=True, allow_none=True)  # null: self-paid
    registration_id = optional(Key)
    order_id = Int(required=True, allow_none=True)
    organization_id = Int(required=True, allow_none=True)
    test_date = IsoDate(required=True)
    delivery_mode = Text(required=True, validate=validate.OneOf(DELIVERY_MODES))
    academic_year = optional(AcademicYearText)
