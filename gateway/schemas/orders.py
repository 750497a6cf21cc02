"""Schemas of fees, orders and vouchers."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import (StrictBoolean, StrictInteger, printable, text)

class QuoteOut(Schema):
    organization = fields.Dict()
    academic_year = fields.String()
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer()
    default_expiration_date = fields.Date()
    latest_expiration_date = fields.Date()
    max_quantity = fields.Integer()


class OrderIn(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=10_000))
    covers_remote_proctoring = StrictBoolean(required=True)
    expiration_date = fields.Date(load_default=None, allow_none=True)
    po_number = fields.String(load_default=None, allow_none=True,
                              validate=[validate.Length(max=50), printable])
    terms_version = text(40)


class OrderOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    academic_year = fields.String()
    placed_at = fields.String()
    placed_by = fields.Dict()
    quantity = fields.Integer()
    covers_remote_proctoring = fields.Boolean()
    expiration_date = fields.String()
    po_number = fields.String(allow_none=True)
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer()
    status = fields.String(metadata={"enum": ["generating_vouchers", "fulfilled"]})
    vouchers_generated = fields.Integer()
    vouchers_csv_url = fields.String()


class OrdersOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))


class PoNumberIn(Schema):
    po_number = fields.String(required=True, allow_none=True,
                              validate=[validate.Length(max=50), printable])


class VoucherUsageQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["unused", "redeemed", "used", "cancelled", "expired"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class VoucherUsageOut(Schema):
    counts = fields.Dict()
    vouchers = fields.List(fields.Dict())
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class FeesIn(Schema):
    exam_fee_cents = StrictInteger(required=True, validate=validate.Range(min=0, max=1_000_000))
    remote_proctoring_fee_cents = StrictInteger(required=True,
                                                validate=validate.Range(min=0, max=1_000_000))


class FeesOut(FeesIn):
    academic_year = fields.String()
