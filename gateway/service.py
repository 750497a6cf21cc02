"""The HTTP gateway: authentication, input validation, HTTP <-> RPC, OpenAPI.

Each route is one method: parse and check the input, ask the owning service, shape the
answer. Business rules live in the services.
"""
import eventlet
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.csv_stream import csv_lines
from gateway.http import json_response
from gateway.openapi import openapi_document
from gateway.routing import load, read_json, route
from gateway.rpc import TimedRpc
from services.common.errors import ClepError, Conflict, InvalidInput

SERVICES = ("access", "orders", "vouchers", "scores", "billing")
HEALTH_TIMEOUT_SECONDS = 3
CSV_PAGE = 5000
VOUCHER_CSV_HEADER = ["voucher_code", "order_id", "expiration_date",
                      "remote_proctoring_covered", "status", "student_name", "date_given_out"]


def with_links(order):
    order["vouchers_csv_url"] = "/api/organizations/{}/orders/{}/vouchers.csv".format(
        order["organization_id"], order["id"])
    return order


class GatewayService:
    name = "gateway"

    config = Config()
    access = TimedRpc("access")
    orders = TimedRpc("orders")
    vouchers = TimedRpc("vouchers")
    scores = TimedRpc("scores")
    billing = TimedRpc("billing")

    # the system

    @route("GET", "/health", auth="none", tag="system", response=s.HealthOut,
           summary="200 when the gateway and all five services answer, else 503.")
    def health(self, call):
        def ask(name):
            try:
                with eventlet.Timeout(HEALTH_TIMEOUT_SECONDS, ClepError):
                    return name, getattr(self, name).health()
            except ClepError:
                return name, "unavailable"
        pool = eventlet.GreenPool(len(SERVICES))
        services = dict(pool.imap(ask, SERVICES))
        healthy = all(state == "ok" for state in services.values())
        return json_response({"status": "ok" if healthy else "unavailable",
                              "services": services}, status=200 if healthy else 503)

    @route("GET", "/api/openapi.json", auth="none", tag="system",
           summary="This API, as OpenAPI 3.")
    def openapi(self, call):
        return json_response(openapi_document())

    # accounts, sessions, terms

    @route("POST", "/api/accounts", auth="none", tag="accounts", body=s.AccountIn,
           response=s.AccountOut, status=201, errors=(400, 409), summary="Create an account.")
    def create_account(self, call):
        body = call.body
        return json_response(self.access.create_account(body["email"], body["name"],
                                                        body["password"]), 201)

    @route("POST", "/api/sessions", auth="none", tag="accounts", body=s.SessionIn,
           response=s.SessionOut, status=201, errors=(400, 401), summary="Sign in.")
    def sign_in(self, call):
        return json_response(self.access.sign_in(call.body["email"], call.body["password"]), 201)

    @route("DELETE", "/api/sessions/current", auth="session", tag="accounts", status=204,
           errors=(401,), summary="Sign out: the token stops working.")
    def sign_out(self, call):
        self.access.sign_out(call.token)
        return Response(status=204)

    @route("GET", "/api/me", auth="session", tag="accounts", response=s.MeOut, errors=(401,),
           summary="The account and its organizations for the current academic year.")
    def me(self, call):
        return json_response(self.access.me(call.token))

    @route("GET", "/api/terms/portal", auth="none", tag="accounts", response=s.TermsOut,
           summary="The portal's user terms.")
    def portal_terms(self, call):
        return json_response(self.access.portal_terms())

    @route("GET", "/api/terms/bulk_purchase", auth="none", tag="orders", response=s.TermsOut,
           summary="The bulk-purchase terms accepted with each order.")
    def bulk_purchase_terms(self, call):
        return json_response(self.orders.bulk_purchase_terms())

    @route("POST", "/api/terms/portal/acceptances", auth="session", tag="accounts",
           body=s.TermsAcceptanceIn, status=201, errors=(400, 401),
           summary="Accept the portal terms (once per version).")
    def accept_portal_terms(self, call):
        return json_response(self.access.accept_portal_terms(call.token, call.body["version"]), 201)

    # getting access

    @route("GET", "/api/organizations", auth="session", tag="access", query=s.ZipQuery,
           response=s.OrganizationsOut, errors=(400, 401, 403),
           summary="Organizations of a zip code, for the get-access page.")
    def organizations_in_zip(self, call):
        self.access.authenticate(call.token)
        zip_code = call.query["zip"][:5]
        return json_response({"organizations": self.access.organizations_in_zip(zip_code)})

    @route("POST", "/api/access-codes/redemptions", auth="session", tag="access",
           body=s.RedemptionIn, response=s.RedemptionOut, status=201, errors=(400, 401, 403, 429),
           summary="Get access for this academic year with zip, organization name and code.")
    def redeem_access_code(self, call):
        body = call.body
        return json_response(self.access.redeem_access_code(
            call.token, body["zip"], body["organization_name"], body["access_code"]), 201)

    @route("GET", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           response=s.ProfileOut, errors=(401, 403, 404), summary="The organization's profile.")
    def get_profile(self, call, org_id):
        return json_response(self.access.get_profile(call.token, org_id))

    @route("PUT", "/api/organizations/<int:org_id>/profile", auth="session", tag="access",
           body=s.ProfileIn, response=s.ProfileOut, errors=(400, 401, 403, 404),
           summary="Replace the organization's profile (manage access).")
    def update_profile(self, call, org_id):
        call.body.pop("complete", None)
        return json_response(self.access.update_profile(call.token, org_id, call.body))

    # orders and vouchers

    def _authorize(self, call, org_id, need="read"):
        return self.access.authorize(call.token, org_id, need)

    @route("GET", "/api/organizations/<int:org_id>/order-quote", auth="session", tag="orders",
           response=s.QuoteOut, errors=(401, 403, 404, 409),
           summary="This year's fees and order limits.")
    def order_quote(self, call, org_id):
        principal = self._authorize(call, org_id)
        return json_response(self.orders.quote(principal["organization"]))

    @route("POST", "/api/organizations/<int:org_id>/orders", auth="session", tag="orders",
           body=s.OrderIn, response=s.OrderOut, status=201, errors=(400, 401, 403, 404, 409, 422),
           summary="Place an order; send an Idempotency-Key header.")
    def place_order(self, call, org_id):
        key = call.request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            raise InvalidInput("idempotency_key_required",
                               "Send an Idempotency-Key header (1 to 255 characters).",
                               fields={"Idempotency-Key": ["Required, at most 255 characters."]})
        principal = self._authorize(call, org_id, need="manage")
        request = dict(call.body)
        if request["expiration_date"] is not None:
            request["expiration_date"] = request["expiration_date"].isoformat()
        placed = self.orders.place_order(principal, key, request)
        return json_response(with_links(placed["order"]), 201 if placed["created"] else 200)

    @route("GET", "/api/organizations/<int:org_id>/orders", auth="session", tag="orders",
           query=s.AcademicYearQuery, response=s.OrdersOut, errors=(400, 401, 403, 404, 409),
           summary="Orders of one academic year (default: the current one), newest first.")
    def list_orders(self, call, org_id):
        self._authorize(call, org_id)
        orders = self.orders.list_orders(org_id, call.query["academic_year"])
        return json_response({"orders": [with_links(order) for order in orders]})

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>", auth="session",
           tag="orders", response=s.OrderOut, errors=(401, 403, 404, 409), summary="One order.")
    def get_order(self, call, org_id, order_id):
        self._authorize(call, org_id)
        return json_response(with_links(self.orders.get_order(org_id, order_id)))

    @route("PATCH", "/api/organizations/<int:org_id>/orders/<int:order_id>", auth="session",
           tag="orders", response=s.OrderOut, errors=(400, 401, 403, 404, 409),
           summary="Add or change the PO number: the only change allowed after placing.")
    def change_po_number(self, call, org_id, order_id):
        body = read_json(call.request)
        if set(body) != {"po_number"}:
            raise InvalidInput("only_po_number_can_change",
                               "Only the PO number of an order can be changed.",
                               fields={name: ["Cannot be changed."]
                                       for name in body if name != "po_number"} or None)
        po_number = load(s.PoNumberIn(), body)["po_number"]
        self._authorize(call, org_id, need="manage")
        return json_response(with_links(self.orders.change_po_number(org_id, order_id, po_number)))

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers.csv",
           auth="session", tag="orders", errors=(401, 403, 404, 409), content_type="text/csv",
           summary="The order's voucher codes as CSV, streamed; 409 while generating.")
    def vouchers_csv(self, call, org_id, order_id):
        self._authorize(call, org_id)
        order = self.orders.get_order(org_id, order_id)
        if order["status"] != "fulfilled":
            raise Conflict("vouchers_generating",
                           "The vouchers are still being generated; try again shortly.")
        first = self.vouchers.csv_page(org_id, order_id, None, CSV_PAGE)
        vouchers = self.vouchers

        def pages():  # runs after this worker has finished: keep to its own RPCs
            page = first
            while True:
                yield [row + ["", ""] for row in page["rows"]]
                if page["next_after"] is None:
                    return
                page = vouchers.csv_page(org_id, order_id, page["next_after"], CSV_PAGE)

        filename = "clep-vouchers-order-{}.csv".format(order_id)
        return Response(csv_lines(VOUCHER_CSV_HEADER, pages()), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="{}"'.format(filename),
                                 "Cache-Control": "no-store"})

    @route("GET", "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers",
           auth="session", tag="orders", query=s.VoucherUsageQuery, response=s.VoucherUsageOut,
           errors=(400, 401, 403, 404, 409),
           summary="Which of the order's codes are unused, redeemed, used, cancelled, expired.")
    def voucher_usage(self, call, org_id, order_id):
        self._authorize(call, org_id)
        query = call.query
        return json_response(self.vouchers.usage(org_id, order_id, query["status"],
                                                 query["page"], query["per_page"]))

    # operations

    @route("POST", "/api/admin/organizations", auth="operations", tag="operations",
           body=s.OrganizationIn, response=s.OrganizationOut, status=201, errors=(400, 401, 403),
           summary="Register an organization.")
    def register_organization(self, call):
        return json_response(self.access.register_organization(call.body), 201)

    @route("POST", "/api/admin/organizations/<int:org_id>/access-codes", auth="operations",
           tag="operations", body=s.AccessCodeIn, response=s.AccessCodeOut, status=201,
           errors=(400, 401, 403, 404),
           summary="Issue the organization's access code for an academic year.")
    def issue_access_code(self, call, org_id):
        issued = self.access.issue_access_code(org_id, call.body["academic_year"])
        return json_response({"access_code": issued["access_code"],
                              "academic_year": issued["academic_year"]}, 201)

    @route("PUT", "/api/admin/fees/<academic_year>", auth="operations", tag="operations",
           body=s.FeesIn, response=s.FeesOut, errors=(400, 401, 403),
           summary="Set an academic year's exam and remote-proctoring fees (cents).")
    def set_fees(self, call, academic_year):
        load(s.AccessCodeIn(), {"academic_year": academic_year})
        return json_response(self.orders.set_fees(academic_year, call.body["exam_fee_cents"],
                                                  call.body["remote_proctoring_fee_cents"]))
