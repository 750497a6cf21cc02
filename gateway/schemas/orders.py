"""Schemas of fees, orders and vouchers."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import (StrictBoolean, StrictInteger, academic_year_text,
                                    printable, text)

PO_LENGTH = validate.Length(max=50, error="At most 50 characters.")


class QuoteOut(Schema):
    organization = fields.Dict()
    academic_year = fields.String()
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer()
    default_expiration_date = fields.Date()
    earliest_expiration_date = fields.Date()
    latest_expiration_date = fields.Date()
    max_quantity = fields.Integer()
    terms = fields.Dict()


class OrderIn(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(
        min=1, max=10_000, error="From 1 to 10,000 vouchers."))
    covers_remote_proctoring = StrictBoolean(required=True)
    expiration_date = fields.Date(load_default=None, allow_none=True)
    po_number = fields.String(load_default=None, allow_none=True,
                              validate=[PO_LENGTH, printable])
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
    terms_version = fields.String()
    status = fields.String(metadata={"enum": ["generating_vouchers", "fulfilled"]})
    vouchers_generated = fields.Integer()
    vouchers_csv_url = fields.String()


class OrdersOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))


class PoNumberIn(Schema):
    po_number = fields.String(required=True, allow_none=True,
                              validate=[PO_LENGTH, printable])


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


class VoucherCountsOut(Schema):
    unused = fields.Integer()
    redeemed = fields.Integer()
    used = fields.Integer()
    cancelled = fields.Integer()
    expired = fields.Integer()


class VoucherSummaryOut(Schema):
    academic_year = fields.String()
    orders = fields.Integer(metadata={"description": "orders placed in the year"})
    ordered = fields.Integer(metadata={"description": "codes of those orders and of legacy "
                                                      "imports"})
    counts = fields.Nested(VoucherCountsOut)


class FeesIn(Schema):
    exam_fee_cents = StrictInteger(required=True, validate=validate.Range(min=0, max=1_000_000))
    remote_proctoring_fee_cents = StrictInteger(required=True,
                                                validate=validate.Range(min=0, max=1_000_000))
    # true: set them only if the year has none yet (409 fees_already_set otherwise), so that
    # a script such as the demo seed never overwrites what operations set
    only_if_unset = fields.Boolean(load_default=False, load_only=True)


class FeesOut(FeesIn):
    academic_year = fields.String()


class LegacyVouchersIn(Schema):
    organization_id = StrictInteger(required=True, validate=validate.Range(min=1))
    academic_year = fields.String(required=True, validate=academic_year_text)
    voucher_codes = fields.List(fields.Raw(), required=True,
                                validate=validate.Length(min=1, max=10_000))
    covers_remote_proctoring = StrictBoolean(load_default=False)


class RejectedCode(Schema):
    voucher_code = fields.Raw()
    reason = fields.String()


class LegacyVouchersOut(Schema):
    imported = fields.Integer()
    duplicates = fields.List(fields.String())
    rejected = fields.List(fields.Nested(RejectedCode))
    batch_id = fields.Integer(allow_none=True)
    academic_year = fields.String()
    expiration_date = fields.Date()


class YearCloseOut(Schema):
    academic_year = fields.String()
    closed_at = fields.String()
    closed_by = fields.String()
    tickets_cancelled = fields.Integer()
    vouchers_expired = fields.Integer()
    already_closed = fields.Boolean()
