"""Fees, orders, the vouchers of an order, and operations' voucher admin (legacy codes,
the June 30 close)."""
import eventlet

from gateway.csv_stream import csv_response, prefetched_pages
from gateway.errors import error_response
from gateway.http import json_response
from gateway.past_years import authorize_item
from gateway.routes.assignments import AssignmentRoutes
from gateway.routing import route
from gateway.schemas import orders as s
from gateway.schemas.accounts import TermsOut
from gateway.schemas.common import AcademicYearIn, AcademicYearQuery
from services.common.errors import Conflict, InvalidInput, NotFound

CSV_PAGE = 5000
GENERATING_RETRY_SECONDS = 2  # an order of 10,000 codes takes about a second to make
# student_email came last, after the columns clients already read by position
VOUCHER_CSV_HEADER = ["voucher_code", "order_id", "expiration_date",
                      "remote_proctoring_covered", "status", "student_name", "date_given_out",
                      "student_email"]
NOBODY = (None, None, None)


def csv_rows(page):
    """One page of the vouchers service's csv_page as CSV rows (the order's own columns
    come once per page; the student's name, the date given out and the email are empty
    for a code not given out)."""
    order_id, expiration = page["order_id"], page["expiration_date"]
    covered = page["covers_remote_proctoring"]
    students = page.get("students") or [None] * len(page["codes"])
    return [[code, order_id, expiration, covered, status,
             *(NOBODY if student is None else [kept_text(value) for value in student])]
            for code, status, student in zip(page["codes"], page["statuses"], students)]


def kept_text(value):
    """A student's cell: one that starts with the text marker `'` gets another, since an
    upload drops one (a name `'Iolani` comes back as it went)."""
    return "'" + value if isinstance(value, str) and value.startswith("'") else value


def order_request(loaded):
    """An order body loaded by `OrderIn`, as the orders service takes it."""
    request = dict(loaded)
    if request.get("expiration_date") is not None:
        request["expiration_date"] = request["expiration_date"].isoformat()
    return request


def with_links(order):
    order["vouchers_csv_url"] = "/api/organizations/{}/orders/{}/vouchers.csv".format(
        order["organization_id"], order["id"])
    return order


class OrderRoutes(AssignmentRoutes):
    @route("GET", "/api/terms/bulk_purchase", auth="none", tag="orders", response=TermsOut,
           summary="The bulk-purchase terms accepted with each order.")
    def bulk_purchase_terms(self, call):
        return json_response(self.orders.bulk_purchase_terms())

    def _authorize(self, call, org_id, need="read", academic_year=None):
        return self.access.authorize(call.token, org_id, need, True, academic_year)

    def _authorize_order(self, call, org_id, order_id):
        """Read access to one order: this year's, or that held in the order's year."""
        return authorize_item(
            lambda year: self._authorize(call, org_id, academic_year=year),
            lambda: self.orders.get_order(org_id, order_id)["academic_year"])

    @route("GET", "/api/organizations/<int:org_id>/order-quote", auth="session", tag="orders",
           response=s.QuoteOut, errors=(401, 403, 404, 409),
           summary="This year's fees and order limits.")
    def order_quote(self, call, org_id):
        principal = self._authorize(call, org_id)
        return json_response(self.orders.quote(principal["organization"]))

    @route("POST", "/api/organizations/<int:org_id>/orders", auth="session", tag="orders",
           body=s.OrderIn, headers=s.IdempotencyKeyIn, response=s.OrderOut, status=201,
           replayed=True, errors=(400, 401, 403, 404, 409, 422),
           summary="Place an order; the same Idempotency-Key again answers the same order.")
    def place_order(self, call, org_id):
        principal = self._authorize(call, org_id, need="manage")
        placed = self.orders.place_order(principal, call.headers["idempotency_key"],
                                         order_request(call.body))
        return json_response(with_links(placed["order"]), 201 if placed["created"] else 200)

    @route("GET", "/api/organizations/<int:org_id>/orders", auth="session", tag="orders",
           query=AcademicYearQuery, response=s.OrdersOut, errors=(400, 401, 403, 404, 409),
           summary="Orders of one academic year (default: the current one), newest first.")
    def list_orders(self, call, org_id):
        self._authorize(call, org_id, academic_year=call.query["academic_year"])
        orders = self.orders.list_orders(org_id, call.query["academic_year"])
        return json_response({"orders": [with_links(order) for order in orders]})

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>", auth="session",
           tag="orders", response=s.OrderOut, errors=(401, 403, 404, 409), summary="One order.")
    def get_order(self, call, org_id, order_id):
        self._authorize_order(call, org_id, order_id)
        return json_response(with_links(self.orders.get_order(org_id, order_id)))

    @route("PATCH", "/api/organizations/<int:org_id>/orders/<int:order_id>", auth="session",
           tag="orders", body=s.PoNumberIn, response=s.OrderOut,
           errors=(400, 401, 403, 404, 409),
           summary="Add or change the PO number: the only change allowed after placing.")
    def change_po_number(self, call, org_id, order_id):
        self._authorize(call, org_id, need="manage")
        return json_response(with_links(self.orders.change_po_number(
            org_id, order_id, call.body["po_number"])))

    @route("DELETE", "/api/organizations/<int:org_id>/orders/<int:order_id>", auth="none",
           tag="orders", status=405, errors=(405,),
           summary="Orders cannot be cancelled: always 405 `orders_cannot_be_cancelled`.")
    def cancel_order(self, call, org_id, order_id):
        return error_response(
            405, "orders_cannot_be_cancelled",
            "Orders cannot be cancelled. Vouchers that are never used are never billed; "
            "only the PO number of an order can change (PATCH).",
            headers={"Allow": "GET, HEAD, PATCH"})

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers.csv",
           auth="session", tag="orders", errors=(401, 403, 404, 409), content_type="text/csv",
           summary="The order's voucher codes as CSV, streamed; 409 while generating.")
    def vouchers_csv(self, call, org_id, order_id):
        self._authorize_order(call, org_id, order_id)
        vouchers = self.vouchers
        # the first page is asked for while orders says whether the order is fulfilled;
        # the order's answer (not found, still generating) comes first
        first_page = eventlet.spawn(vouchers.csv_page, org_id, order_id, None, CSV_PAGE)
        try:
            if self.orders.get_order(org_id, order_id)["status"] != "fulfilled":
                raise Conflict("vouchers_generating",
                               "The vouchers are still being generated; try again shortly.",
                               retry_after=GENERATING_RETRY_SECONDS)
        except Exception:
            first_page.kill()
            raise
        first = first_page.wait()

        # the rest is read after this worker has finished: keep to its own RPCs
        pages = prefetched_pages(first, lambda after: vouchers.csv_page(
            org_id, order_id, after, CSV_PAGE))
        return csv_response(VOUCHER_CSV_HEADER, map(csv_rows, pages),
                            "clep-vouchers-order-{}.csv".format(order_id),
                            text_columns=("voucher_code",))

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers",
           auth="session", tag="orders", query=s.OrderVoucherUsageQuery,
           response=s.OrderVoucherUsageOut,
           errors=(400, 401, 403, 404, 409),
           summary="Which of the order's codes are unused, redeemed, used, cancelled, expired.")
    def voucher_usage(self, call, org_id, order_id):
        self._authorize_order(call, org_id, order_id)
        query = call.query
        return json_response(self.vouchers.usage(org_id, order_id, query["status"],
                                                 query["page"], query["per_page"],
                                                 query["student"]))

    @route("GET", "/api/organizations/<int:org_id>/legacy-vouchers", auth="session",
           tag="orders", query=s.LegacyVoucherUsageQuery, response=s.LegacyVoucherUsageOut,
           errors=(400, 401, 403, 404, 409),
           summary="Which of the organization's legacy (pre-portal) codes of one academic "
                   "year (default: the current one) are unused, redeemed, used, cancelled, "
                   "expired.")
    def legacy_voucher_usage(self, call, org_id):
        self._authorize(call, org_id, academic_year=call.query["academic_year"])
        query = call.query
        return json_response(self.vouchers.legacy_usage(
            org_id, query["academic_year"], query["status"], query["page"], query["per_page"]))

    @route("GET", "/api/organizations/<int:org_id>/voucher-summary", auth="session",
           tag="orders", query=AcademicYearQuery, response=s.VoucherSummaryOut,
           errors=(400, 401, 403, 404, 409),
           summary="The organization's vouchers of one academic year (default: the current "
                   "one): orders, codes ordered, and how many are unused, redeemed, used, "
                   "cancelled, expired.")
    def voucher_summary(self, call, org_id):
        self._authorize(call, org_id, academic_year=call.query["academic_year"])
        return json_response(self.vouchers.usage_summary(org_id, call.query["academic_year"]))

    @route("PUT", "/api/admin/fees/<academic_year>", auth="operations", tag="operations",
           path_params=AcademicYearIn, body=s.FeesIn, response=s.FeesOut,
           errors=(400, 401, 403, 409),
           summary="Set an academic year's exam and remote-proctoring fees (cents); with "
                   "only_if_unset, only when the year has none yet (409 fees_already_set).")
    def set_fees(self, call, academic_year):
        return json_response(self.orders.set_fees(academic_year, call.body["exam_fee_cents"],
                                                  call.body["remote_proctoring_fee_cents"],
                                                  call.body["only_if_unset"]))

    def _check_organization_exists(self, org_id):
        """The vouchers service knows no organizations: access, which registers them, says."""
        try:
            self.access.get_organization(org_id)
        except NotFound:
            raise InvalidInput("unknown_organization", "No organization has this id.",
                               fields={"organization_id": ["No organization has this id."]})

    @route("POST", "/api/admin/legacy-vouchers", auth="operations", tag="operations",
           body=s.LegacyVouchersIn, response=s.LegacyVouchersOut, status=201,
           errors=(400, 401, 403, 409),
           summary="Import pre-portal voucher codes of an organization for an academic year.")
    def import_legacy_vouchers(self, call):
        body = call.body
        self._check_organization_exists(body["organization_id"])
        return json_response(self.vouchers.import_legacy_vouchers(
            body["organization_id"], body["academic_year"], body["voucher_codes"],
            body["covers_remote_proctoring"]), 201)

    @route("POST", "/api/admin/academic-years/<academic_year>/close", auth="operations",
           tag="operations", path_params=AcademicYearIn, response=s.YearCloseOut, status=202,
           errors=(400, 401, 403, 409),
           summary="Close an academic year that is over: cancel unused registration tickets, "
                   "expire unused vouchers. Closing it again changes nothing.")
    def close_academic_year(self, call, academic_year):
        return json_response(self.vouchers.close_academic_year(academic_year), 202)
