"""Schemas of the partner systems' calls (the registration system's redemptions)."""
from marshmallow import Schema, ValidationError, fields, validate

from services.common.validation import printable, text


class StudentId(fields.Field):
    """The registration system's student id: text, or a whole number (kept as text)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= 100:
            raise ValidationError("A student id: 1 to 100 characters.")
        printable(value)
        return value.strip()


class StudentIn(Schema):
    id = StudentId(required=True)
    name = text(200)
    email = fields.Email(required=True, validate=validate.Length(max=254))


class VoucherRedemptionIn(Schema):
    voucher_code = fields.String(required=True, validate=[validate.Length(min=1, max=100),
                                                          printable])
    student = fields.Nested(StudentIn, required=True)
    exam = text(100)


class VoucherRedemptionOut(Schema):
    registration_id = fields.Integer()
    voucher_code = fields.String()
    organization_id = fields.Integer()
    academic_year = fields.String()
    complete_by = fields.Date()
    exam = fields.String()
    redeemed_at = fields.String()
