"""Schemas of billing runs and invoices."""
from marshmallow import Schema, fields, validate

from gateway.schemas.common import academic_year_text

# The shape only; whether the month may be billed (not in the future, not before the
# portal) is the billing service's rule, answered with the same 400.
PERIOD = validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                         error="A billing period is a month, written like 2026-11.")


class BillingRunIn(Schema):
    period = fields.String(required=True, validate=PERIOD)


class PeriodQuery(Schema):
    period = fields.String(required=True, validate=PERIOD)


class InvoicesQuery(Schema):
    academic_year = fields.String(load_default=None, validate=academic_year_text)


class InvoiceLineOut(Schema):
    order_id = fields.Integer(allow_none=True, metadata={"description": "null: legacy vouchers"})
    po_number = fields.String(allow_none=True)
    exams = fields.Integer()
    amount_cents = fields.Integer()


class ContactOut(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class InvoiceOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer()
    organization_name = fields.String(allow_none=True)
    period = fields.String(metadata={"description": "the billing run's month, YYYY-MM"})
    period_start = fields.Date()
    period_end = fields.Date()
    academic_year = fields.String()
    issued_on = fields.Date()
    exams = fields.Integer()
    total_cents = fields.Integer()
    billing_contact = fields.Nested(ContactOut)
    emailed_at = fields.String(allow_none=True)
    run_id = fields.Integer()
    lines = fields.List(fields.Nested(InvoiceLineOut))
    csv_url = fields.String()


class InvoicesOut(Schema):
    invoices = fields.List(fields.Nested(InvoiceOut))


class BillingRunSummary(Schema):
    id = fields.Integer()
    period = fields.String()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    invoices_issued = fields.Integer()
    exams_billed = fields.Integer()
    total_cents = fields.Integer()


class BillingRunOut(Schema):
    run = fields.Nested(BillingRunSummary)
    invoices = fields.List(fields.Nested(InvoiceOut))


class PeriodTotals(Schema):
    invoices = fields.Integer()
    organizations = fields.Integer()
    exams = fields.Integer()
    total_cents = fields.Integer()
    not_emailed = fields.Integer()


class PeriodInvoicesOut(Schema):
    period = fields.String()
    invoices = fields.List(fields.Nested(InvoiceOut))
    totals = fields.Nested(PeriodTotals)
    runs = fields.List(fields.Nested(BillingRunSummary))


class PreviewOrganizationOut(Schema):
    organization_id = fields.Integer()
    organization_name = fields.String(allow_none=True)
    state_funded = fields.Boolean()
    period_start = fields.Date()
    period_end = fields.Date()
    exams = fields.Integer()
    amount_cents = fields.Integer()
    lines = fields.List(fields.Nested(InvoiceLineOut))


class PreviewTotals(Schema):
    organizations = fields.Integer()
    exams = fields.Integer()
    amount_cents = fields.Integer()


class BillingPreviewOut(Schema):
    period = fields.String()
    organizations = fields.List(fields.Nested(PreviewOrganizationOut))
    not_billed = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "exams of the month that are never billed, by reason "
                       "(ticket_cancelled: taken after the ticket's last day)"})
    totals = fields.Nested(PreviewTotals)
