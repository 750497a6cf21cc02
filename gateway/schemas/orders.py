"""Schemas of fees, orders and vouchers."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import academic_year_text
from services.common.validation import ID, StrictBoolean, StrictInteger, printable
from services.vouchers.models import SHOWN_STATUSES, USAGE_FILTERS
from services.orders.schemas import (  # noqa: F401 (the routes' and the portal's inputs)
    FeesIn, OrderIn, PoNumberIn)


class QuoteOut(Schema):
    organization = fields.Dict()
    academic_year = fields.String()
    exam_fee_cents = fields.Integer()
    remote_proctoring_fee_cents = fields.Integer(metadata={
        "description": "per exam taken remotely, for an order that covers remote proctoring"})
    default_expiration_date = fields.Date()
    earliest_expiration_date = fields.Date()
    latest_expiration_date = fields.Date()
    max_quantity = fields.Integer()
    terms = fields.Dict()


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
    remote_proctoring_fee_cents = fields.Integer(allow_none=True, metadata={
        "description": "per exam taken remotely; null when the order does not cover remote "
                       "proctoring"})
    terms_version = fields.String()
    status = fields.String(metadata={"enum": ["generating_vouchers", "fulfilled"]})
    vouchers_generated = fields.Integer()
    vouchers_csv_url = fields.String()


class OrdersOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))


class IdempotencyKeyIn(Schema):
    """The Idempotency-Key header of placing an order: the same key again answers the
    order it placed, instead of a second one."""
    error_code = "idempotency_key_required"
    error_message = "Send an Idempotency-Key header (1 to 255 characters)."

    idempotency_key = fields.String(data_key="Idempotency-Key", required=True,
                                    validate=validate.Length(min=1, max=255))


class VoucherUsageQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(SHOWN_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class OrderVoucherUsageQuery(VoucherUsageQuery):
    # `assigned` and `unassigned` come after the statuses: the unused codes given to a
    # student, and those not given out (see VoucherCountsOut.assigned)
    status = fields.String(load_default=None, validate=validate.OneOf(USAGE_FILTERS))
    student = fields.String(load_default=None, validate=[validate.Length(max=200), printable],
                            metadata={"description": "only codes given to a student whose "
                                                     "name or email holds every word of it"})


class VoucherUsageOut(Schema):
    counts = fields.Dict()
    vouchers = fields.List(fields.Dict())
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class LegacyVoucherUsageQuery(VoucherUsageQuery):
    academic_year = fields.String(load_default=None, validate=academic_year_text)


class LegacyVoucherUsageOut(VoucherUsageOut):
    academic_year = fields.String()


class VoucherCountsOut(Schema):
    unused = fields.Integer()
    redeemed = fields.Integer()
    used = fields.Integer()
    cancelled = fields.Integer()
    expired = fields.Integer()
    assigned = fields.Integer(metadata={"description": (
        "the unused codes given to a student: a part of `unused`, not added to it (the "
        "statuses above add up to the codes; `unused` minus `assigned` are the unused codes "
        "not given out). The usage view's `status=assigned` lists them, `status=unassigned` "
        "the other unused codes; each such code stays `unused`, with its `assignment`")})


class OrderVoucherUsageOut(VoucherUsageOut):
    counts = fields.Nested(VoucherCountsOut)


class VoucherSummaryOut(Schema):
    academic_year = fields.String()
    orders = fields.Integer(metadata={"description": "orders placed in the year"})
    ordered = fields.Integer(metadata={"description": "codes of those orders and of legacy "
                                                      "imports"})
    counts = fields.Nested(VoucherCountsOut)


class FeesOut(FeesIn):
    academic_year = fields.String()


class LegacyVouchersIn(Schema):
    organization_id = StrictInteger(required=True, validate=ID)
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
