"""Start an Order (organization and fee, Order Details, review and terms, confirmation),
Order History with each order's summary, its codes' usage, and the PO number."""
import re
import secrets

from gateway.portal.assignment_pages import (AssignmentPages, api_filter, portal_counts,
                                             portal_status)
from gateway.portal.forms import checked, errors_of, typed
from gateway.portal.pages import local_path, page, redirect, with_flag
from gateway.portal.render import render
from gateway.routes.orders import order_request
from gateway.schemas import orders as order_schemas
from services.common.errors import IdempotencyKeyReused, InvalidInput

ORDER_FIELDS = ("quantity", "expiration_date", "po_number")
ORDER_LABELS = {"quantity": "the number of vouchers, from 1 to 10,000",
                "expiration_date": "an expiration date",
                "po_number": "a purchase order number"}
# the portal's usage filters: "unused" is not given out, "assigned" given out (the API's
# unused codes are both)
USAGE_STATUSES = ("unused", "assigned", "redeemed", "used", "cancelled", "expired")
CODES_PER_PAGE = 100


def order_values(form):
    """The Order Details as typed (text), to show again."""
    values = typed(form, ORDER_FIELDS)
    values["covers_remote_proctoring"] = form.get("covers_remote_proctoring") == "yes"
    return values


def order_input(values, terms_version):
    """The typed Order Details as the API's order body, for its schema to check."""
    data = {"covers_remote_proctoring": values["covers_remote_proctoring"],
            "terms_version": terms_version,
            "expiration_date": values.get("expiration_date"),
            "po_number": values.get("po_number")}
    quantity = values.get("quantity", "").replace(",", "")
    if quantity:  # ASCII digits only: "²".isdigit() is true and int("²") fails
        data["quantity"] = int(quantity) if quantity.isascii() and quantity.isdecimal() \
            and len(quantity) < 10 else quantity
    return data


ORDER_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe makes


def order_key(visit):
    """The Idempotency-Key made once per order form and carried through its steps."""
    key = (visit.form.get("key") or visit.query.get("key") or "").strip()
    return key if ORDER_KEY.fullmatch(key) else None


class OrderPages(AssignmentPages):

    # Start an Order

    def _order_form(self, visit, org_id, template, status=200, **extra):
        context = self._organization(visit, org_id, need="manage")
        if not context["is_current_year"]:
            context.update(year=context["current_year"], is_current_year=True)
        quote = self.orders.quote(context["org"])
        return render(template, status=status, tab="summary", title="Start an Order",
                      quote=quote, **dict(context, **extra))

    @page("GET", "/organizations/<int:org_id>/orders/new")
    def start_order(self, visit, org_id):
        """Step 1: the organization and the current exam fee."""
        return self._order_form(visit, org_id, "order_start.html",
                                key=secrets.token_urlsafe(24),
                                already_placed=visit.query.get("already_placed") == "1")

    def _details(self, visit, org_id, key, values, errors=None):
        return self._order_form(visit, org_id, "order_details.html",
                                status=400 if errors else 200, key=key, values=values,
                                errors=errors or {})

    @page("GET", "/organizations/<int:org_id>/orders/new/details")
    def order_details(self, visit, org_id):
        """Step 2: Order Details, with the default expiration date (June 30)."""
        key = order_key(visit)
        if key is None:
            return redirect("/organizations/{}/orders/new".format(org_id))
        return self._details(visit, org_id, key, {"covers_remote_proctoring": False})

    @page("POST", "/organizations/<int:org_id>/orders/new/details")
    def review_order(self, visit, org_id):
        """Step 3: the order checked by the orders service's own rules, to review; or the
        details again (with what was typed) to correct or to change."""
        key, values = order_key(visit), order_values(visit.form)
        if key is None:
            return redirect("/organizations/{}/orders/new".format(org_id))
        if visit.form.get("action") == "change":
            return self._details(visit, org_id, key, values)
        context = self._organization(visit, org_id, need="manage")
        try:
            terms = self.orders.bulk_purchase_terms()
            request = order_request(checked(order_schemas.OrderIn,
                                            order_input(values, terms["version"]),
                                            ORDER_LABELS))
            review = self.orders.review_order(context["org"], request)
        except InvalidInput as refusal:
            return self._details(visit, org_id, key, values,
                                 errors_of(refusal, "quantity", ORDER_LABELS))
        return self._review(context, key, values, review, terms)

    def _review(self, context, key, values, review, terms, errors=None):
        """Step 3's page: the order as the orders service checked it, and the terms."""
        return render("order_review.html", status=400 if errors else 200, tab="summary",
                      title="Review your order", key=key, values=values, review=review,
                      terms=terms, errors=errors or {},
                      **dict(context, year=context["current_year"]))

    @page("POST", "/organizations/<int:org_id>/orders/new/place")
    def submit_order(self, visit, org_id):
        """Step 4: place it (once per key: a double click or a reload finds the same order)."""
        key, values = order_key(visit), order_values(visit.form)
        if key is None:
            return redirect("/organizations/{}/orders/new".format(org_id))
        terms = self.orders.bulk_purchase_terms()
        context = self._organization(visit, org_id, need="manage")
        # the terms version the person read on the review page, which the order records
        seen_version = visit.form.get("terms_version", "")
        try:
            request = order_request(checked(order_schemas.OrderIn,
                                            order_input(values, terms["version"]),
                                            ORDER_LABELS))
            if visit.form.get("accept_terms") != "yes" or seen_version != terms["version"]:
                problem = "Select that you accept the Online Terms and Conditions for Bulk " \
                          "Purchase." if seen_version == terms["version"] else \
                          "The terms have changed since you read them: read them again."
                return self._review(context, key, values,
                                    self.orders.review_order(context["org"], request), terms,
                                    errors={"accept_terms": problem})
            placed = self.orders.place_order(context["principal"], key, request)
        except IdempotencyKeyReused:  # this form placed an order already, with other details
            return redirect("/organizations/{}/orders/new?already_placed=1".format(org_id))
        except InvalidInput as refusal:
            return self._details(visit, org_id, key, values,
                                 errors_of(refusal, "quantity", ORDER_LABELS))
        return redirect("/organizations/{}/orders/{}/received".format(
            org_id, placed["order"]["id"]))

    @page("GET", "/organizations/<int:org_id>/orders/<int:order_id>/received")
    def order_received(self, visit, org_id, order_id):
        context = self._organization(visit, org_id, year_of=self._year_of_order(org_id,
                                                                                order_id))
        order = self.orders.get_order(org_id, order_id)
        return render("order_received.html", tab="orders", title="Your order has been received",
                      order=order, **dict(context, year=order["academic_year"]))

    def _year_of_order(self, org_id, order_id):
        """What a page of one order authorizes with: the order's own academic year."""
        return lambda: self.orders.get_order(org_id, order_id)["academic_year"]

    # Order History

    @page("GET", "/organizations/<int:org_id>/orders")
    def order_history(self, visit, org_id):
        context = self._organization(visit, org_id)
        orders = self.orders.list_orders(org_id, context["year"])
        opened = self._opened_order(visit, org_id, orders)
        return render("order_history.html", tab="orders", page_is_tab=True,
                      title="Order History",
                      orders=orders, opened=opened, saved=visit.query.get("saved") == "1",
                      **context)

    def _opened_order(self, visit, org_id, orders):
        """The order whose summary is open without script (?open=<id>), with its usage."""
        wanted = visit.query.get("open", "")
        order = next((order for order in orders if str(order["id"]) == wanted), None)
        return self._order_summary(org_id, order) if order else None

    def _order_summary(self, org_id, order, status=None, page_number=1, student=None):
        usage = None
        if order["status"] == "fulfilled":
            usage = self.vouchers.usage(org_id, order["id"], api_filter(status), page_number,
                                        CODES_PER_PAGE, student)
            usage = dict(usage, counts=portal_counts(usage["counts"]),
                         vouchers=[portal_status(voucher) for voucher in usage["vouchers"]])
        return {"order": order, "usage": usage, "status": status, "student": student}

    @page("GET", "/organizations/<int:org_id>/orders/<int:order_id>")
    def order_page(self, visit, org_id, order_id):
        """One order's summary: what the expandable row of Order History shows, and where
        the confirmation email's link leads."""
        return self._order_page(visit, org_id, order_id)

    def _order_page(self, visit, org_id, order_id, errors=None, values=None, **extra):
        context = self._organization(visit, org_id, year_of=self._year_of_order(org_id,
                                                                                order_id))
        status = visit.query.get("status")
        status = status if status in USAGE_STATUSES else None
        try:
            page_number = max(1, min(int(visit.query.get("page", "1")), 100_000))
        except ValueError:
            page_number = 1
        # a search by student: printable text of a name or an email (the API's rule)
        student = " ".join(visit.query.get("student", "").split())[:200]
        student = student if student.isprintable() and student else None
        order = self.orders.get_order(org_id, order_id)
        summary = self._order_summary(org_id, order, status, page_number, student)
        flags = {flag: visit.query.get(flag) == "1"
                 for flag in ("saved", "given", "taken_back", "uploaded", "mailed")}
        return render("order.html", status=400 if errors else 200, tab="orders",
                      title="Order {}".format(order_id), summary=summary,
                      errors=errors or {}, values=values or {},
                      uploaded_codes=int(visit.query.get("uploaded_codes", "0"))
                      if visit.query.get("uploaded_codes", "").isdecimal() else 0,
                      **dict(context, year=order["academic_year"], **flags, **extra))

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/po-number")
    def submit_po_number(self, visit, org_id, order_id):
        """Add or change the PO number: the only change an order allows."""
        values = typed(visit.form, ("po_number",))
        back = local_path(visit.form.get("return_to"),
                          "/organizations/{}/orders/{}".format(org_id, order_id))
        self.access.authorize(visit.token, org_id, "manage")
        try:
            po_number = checked(order_schemas.PoNumberIn,
                                {"po_number": values.get("po_number")}, ORDER_LABELS)
            self.orders.change_po_number(org_id, order_id, po_number["po_number"])
        except InvalidInput as refusal:
            return self._order_page(
                visit, org_id, order_id, values=values,
                errors=errors_of(refusal, "po_number", ORDER_LABELS))
        return redirect(with_flag(back, "saved"))

