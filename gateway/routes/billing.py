"""Billing runs (operations), invoices in the portal, and invoice CSV downloads."""
from nameko.rpc import ServiceProxy

from gateway.csv_stream import csv_response
from gateway.http import json_response
from gateway.past_years import authorize_item
from gateway.routing import route
from gateway.rpc import TimedRpc, TimedServiceProxy
from gateway.schemas import billing as s

# A run over a whole month of the program's exams takes seconds, not the few an ordinary
# call gets; the request still expires (and is dropped) if nobody takes it in that time.
BILLING_RUN_TIMEOUT_SECONDS = 120

INVOICE_CSV_HEADER = ["invoice_id", "organization_id", "organization_name", "period_start",
                      "period_end", "issued_on", "order_id", "po_number", "exams",
                      "amount_cents", "amount_usd"]
PERIOD_CSV_HEADER = ["invoice_id", "organization_id", "organization_name", "period",
                     "period_start", "period_end", "issued_on", "exams", "total_cents",
                     "total_usd", "billing_contact_name", "billing_contact_email", "emailed_at"]


class LongBillingRpc(TimedRpc):
    """The billing service with BILLING_RUN_TIMEOUT_SECONDS (config) instead of the
    ordinary RPC timeout: for billing runs only."""

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("BILLING_RUN_TIMEOUT_SECONDS")
                        or BILLING_RUN_TIMEOUT_SECONDS)
        proxy = ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                             expiration=timeout, **self.options)
        return TimedServiceProxy(proxy, self.target_service, timeout)


def with_csv_link(invoice):
    invoice["csv_url"] = "/api/organizations/{}/invoices/{}.csv".format(
        invoice["organization_id"], invoice["id"])
    return invoice


def usd(cents):
    return "{:.2f}".format(cents / 100)


def invoice_csv_rows(invoice):
    head = [invoice["id"], invoice["organization_id"], invoice["organization_name"],
            invoice["period_start"], invoice["period_end"], invoice["issued_on"]]
    rows = [head + [line["order_id"] if line["order_id"] is not None else "legacy",
                    line["po_number"], line["exams"], line["amount_cents"],
                    usd(line["amount_cents"])] for line in invoice["lines"]]
    rows.append(head + ["total", None, invoice["exams"], invoice["total_cents"],
                        usd(invoice["total_cents"])])
    return rows


class BillingRoutes:
    billing_runs = LongBillingRpc("billing")

    @route("POST", "/api/admin/billing-runs", auth="operations", tag="billing",
           body=s.BillingRunIn, response=s.BillingRunOut, status=201,
           errors=(400, 401, 403, 409),
           summary="Bill a month that is over: every organization due gets one invoice for "
                   "what it has not been billed for yet (state-funded ones in December and "
                   "June only). The current month is 409 period_not_over until it ends; a "
                   "month not started yet is 400.")
    def run_billing(self, call):
        result = self.billing_runs.run_billing(call.body["period"])
        result["invoices"] = [with_csv_link(invoice) for invoice in result["invoices"]]
        return json_response(result, 201)

    @route("GET", "/api/admin/billing-preview", auth="operations", tag="billing",
           query=s.PeriodQuery, response=s.BillingPreviewOut, errors=(400, 401, 403),
           summary="What a billing run of the period would bill right now, per organization "
                   "due, with its lines; nothing is billed. The current month can be "
                   "previewed before it can be run.")
    def preview_billing(self, call):
        return json_response(self.billing.preview_billing(call.query["period"]))

    @route("GET", "/api/admin/invoices", auth="operations", tag="billing",
           query=s.PeriodQuery, response=s.PeriodInvoicesOut, errors=(400, 401, 403),
           summary="Every invoice issued for a period, across organizations, with totals.")
    def invoices_for_period(self, call):
        view = self.billing.invoices_for_period(call.query["period"])
        view["invoices"] = [with_csv_link(invoice) for invoice in view["invoices"]]
        return json_response(view)

    @route("GET", "/api/admin/invoices.csv", auth="operations", tag="billing",
           query=s.PeriodQuery, errors=(400, 401, 403), content_type="text/csv",
           summary="A period's invoices as CSV, one row per invoice.")
    def invoices_for_period_csv(self, call):
        period = call.query["period"]
        view = self.billing.invoices_for_period(period)
        rows = [[invoice["id"], invoice["organization_id"], invoice["organization_name"],
                 invoice["period"], invoice["period_start"], invoice["period_end"],
                 invoice["issued_on"], invoice["exams"], invoice["total_cents"],
                 usd(invoice["total_cents"]), invoice["billing_contact"]["name"],
                 invoice["billing_contact"]["email"], invoice["emailed_at"]]
                for invoice in view["invoices"]]
        return csv_response(PERIOD_CSV_HEADER, [rows], "clep-invoices-{}.csv".format(period))

    @route("GET", "/api/organizations/<int:org_id>/invoices", auth="session", tag="billing",
           query=s.InvoicesQuery, response=s.InvoicesOut, errors=(400, 401, 403, 404, 409),
           summary="The organization's invoices of one academic year (default: the current "
                   "one), newest first, with their lines.")
    def list_invoices(self, call, org_id):
        self.access.authorize(call.token, org_id, "read", True, call.query["academic_year"])
        found = self.billing.list_invoices(org_id, call.query["academic_year"])
        return json_response({"invoices": [with_csv_link(invoice) for invoice in found]})

    def _authorize_invoice(self, call, org_id, invoice_id):
        """Read access to one invoice: this year's, or that held in the invoice's year."""
        return authorize_item(
            lambda year: self.access.authorize(call.token, org_id, "read", True, year),
            lambda: self.billing.get_invoice(org_id, invoice_id)["academic_year"])

    @route("GET", "/api/organizations/<int:org_id>/invoices/<int:invoice_id>", auth="session",
           tag="billing", response=s.InvoiceOut, errors=(401, 403, 404, 409),
           summary="One invoice with its lines.")
    def get_invoice(self, call, org_id, invoice_id):
        self._authorize_invoice(call, org_id, invoice_id)
        return json_response(with_csv_link(self.billing.get_invoice(org_id, invoice_id)))

    @route("GET", "/api/organizations/<int:org_id>/invoices/<int:invoice_id>.csv",
           auth="session", tag="billing", errors=(401, 403, 404, 409), content_type="text/csv",
           summary="One invoice as CSV: a row per order, then the total.")
    def invoice_csv(self, call, org_id, invoice_id):
        self._authorize_invoice(call, org_id, invoice_id)
        invoice = self.billing.get_invoice(org_id, invoice_id)
        return csv_response(INVOICE_CSV_HEADER, [invoice_csv_rows(invoice)],
                            "clep-invoice-{}.csv".format(invoice_id),
                            text_columns=("po_number",))
