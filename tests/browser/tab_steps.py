"""Steps the ordering and organization-tab browser tests share: the pages' steps by name,
what the pages show (definition lists, table rows, downloads), and the API calls that
prepare data as operations and the partner systems do."""
import csv
import io
import re
import time
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from services.common.academic_year import AcademicYear
from services.common.clock import Clock
from tests.e2e.checks import wait_for
from tests.e2e.portal import Account

CODE_FORMAT = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


# the academic year as the services see it (the program's clock, not frozen here)

def today():
    return Clock().today()


def this_year():
    return AcademicYear.containing(today())


def date_of(text):
    return date.fromisoformat(text)


def long_date(day):
    """2027-06-30 -> June 30, 2027, as the pages write dates."""
    return "{} {}, {}".format(day.strftime("%B"), day.day, day.year)


# what a page shows

def described(scope, term):
    """The <dd> of a summary list's <dt> named `term`."""
    return scope.locator("xpath=.//dt[normalize-space()='{}']/following-sibling::dd[1]"
                         .format(term)).first


def error_summary(page):
    return page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem"))


def expect_field_error(page, field, message):
    """The error summary links the message to the field, and the field itself says it:
    invalid, with the message in its accessible description, the message shown by it."""
    summary = error_summary(page)
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page).to_have_title(re.compile(r"^Error: "))


def stat(page, label):
    """The number of one of the Summary's figures ("vouchers ordered", "unused", ...)."""
    return page.locator(".stats .stat").filter(
        has=page.locator(".stat__label", has_text=re.compile(r"^{}$".format(re.escape(label))))
    ).locator(".stat__number")


def order_row(page, order_id):
    """Order History's row of one order (the row whose header is its expander button)."""
    return page.get_by_role("row").filter(
        has=page.get_by_role("button", name="Order {}".format(order_id), exact=True))


def downloaded(page, link):
    """Click `link`, wait for its download: (suggested file name, CSV rows)."""
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        return download.value.suggested_filename, list(csv.reader(io.StringIO(file.read())))


# Start an Order, through its pages

def open_order_details(page):
    """From the Summary: Start an Order, step 1, Continue: Order Details."""
    page.get_by_role("link", name="Start an Order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start an Order")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order Details")


def fill_order_details(page, quantity, remote=False, expiration=None, po_number=None):
    page.get_by_label("Number of vouchers").fill(str(quantity))
    page.get_by_label("Remote proctoring").set_checked(remote)
    if expiration is not None:
        page.get_by_label("Expiration date").fill(str(expiration))
    if po_number is not None:
        page.get_by_label("Purchase order number").fill(po_number)


def to_review(page):
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")


def accept_and_place(page):
    """Review: accept the bulk-purchase terms and place the order; returns its id."""
    page.get_by_label("I accept the Online Terms and Conditions for Bulk Purchase").check()
    page.get_by_role("button", name="Place order").click()
    return received_order_id(page)


def received_order_id(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Your order has been received")
    panel = page.locator(".panel--confirmation")
    expect(panel).to_contain_text("Order ID")
    return int(re.search(r"Order ID\s*(\d+)", panel.inner_text()).group(1))


def choose_year(page, year):
    """The menu bar's academic year selector."""
    page.get_by_label("Academic year").select_option(str(year))
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"academic_year={}".format(re.escape(str(year)))))


def tab(page, name):
    return page.get_by_role("navigation", name="Organization").get_by_role("link", name=name,
                                                                           exact=True)


# the same account through the API, and what the API says

def api_account(portal, person):
    """The browser's account signed in through the API too (a session of its own)."""
    session = portal.sign_in(person.email, person.password)
    assert session.status_code == 201, session.text
    return Account(person.email, person.password, session.json()["token"])


def orders_seen_by_browser(page, organization_id, year=None):
    """GET /api/organizations/<id>/orders with the browser's own session cookie."""
    response = page.request.get("/api/organizations/{}/orders".format(organization_id),
                                params={"academic_year": str(year)} if year else None)
    assert response.ok, response.text()
    return response.json()["orders"]


def order_codes(portal, account, organization_id, quantity, **fields):
    placed = portal.place_order(account, organization_id, quantity=quantity, **fields)
    assert placed.status_code == 201, placed.text
    order = portal.wait_until_fulfilled(account, organization_id, placed.json()["id"])
    return order, portal.voucher_codes(account, organization_id, order["id"])


def student(first_name, last_name):
    return {"id": "S-" + uuid.uuid4().hex[:8], "first_name": first_name,
            "last_name": last_name, "email": "{}.{}@example.org".format(
                first_name, last_name).lower()}


def exam_result(person, **fields):
    result = {"result_id": "R-" + uuid.uuid4().hex[:12], "student": person,
              "exam": "College Algebra", "test_date": today().isoformat(), "score": 63,
              "delivery_mode": "test_center"}
    result.update(fields)
    return result


def take_exam_with_voucher(portal, code, person, timeout=30, **fields):
    """The registration system redeems the code for the student, then the testing system
    reports the exam it paid for (again until the redemption has reached scores)."""
    redeemed = portal.post("/api/voucher-redemptions", portal.partner, json={
        "voucher_code": code, "exam": fields.get("exam", "College Algebra"),
        "student": {"id": person["id"], "email": person["email"],
                    "name": "{} {}".format(person["first_name"], person["last_name"])}})
    assert redeemed.status_code == 201, redeemed.text
    result = exam_result(person, voucher_code=code,
                         registration_id=redeemed.json()["registration_id"], **fields)
    deadline = time.monotonic() + timeout
    while True:
        answer = portal.post_exam_results([result])
        assert answer.status_code == 202, answer.text
        assert not answer.json()["rejected"], answer.text
        if not answer.json()["parked"]:  # parked until the redemption arrives here
            return result
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


def report_attending(portal, organization_id, person, **fields):
    """A self-paid exam of a student who named the organization as their institution."""
    result = exam_result(person, attending_institution_id=organization_id, **fields)
    answer = portal.record_exam_results([result])
    assert (answer["accepted"], answer["rejected"]) == (1, []), answer
    return result


def first_day_of_next_month(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def billed_once_the_month_is_over(system, portal, organization_id, exams):
    """This month's exams billed as on the first of next month (a month is billed once it
    is over): billing runs with its clock there, then back on the real clock. Returns the
    organization's invoice and the day it was issued."""
    issued_on = first_day_of_next_month(today())
    system.restart(["billing"], {"CLEP_CLOCK_NOW": "{}T12:00:00-05:00".format(
        issued_on.isoformat())})
    try:
        return billed(portal, organization_id, exams, "{:%Y-%m}".format(today())), issued_on
    finally:
        system.restart(["billing"], {"CLEP_CLOCK_NOW": None})  # the real clock again


def billed(portal, organization_id, exams, period, timeout=30):
    """Wait until billing holds the organization's exams for the period, then run it;
    returns the organization's invoice."""
    def arrived():
        response = portal.get("/api/admin/billing-preview", portal.ops,
                              params={"period": period})
        assert response.status_code == 200, response.text
        entries = {entry["organization_id"]: entry
                   for entry in response.json()["organizations"]}
        entry = entries.get(organization_id)
        return entry if entry and entry["exams"] >= exams else None
    wait_for(arrived, timeout=timeout, interval=0.1,
             message="{} billable exams of organization {}".format(exams, organization_id))
    run = portal.post("/api/admin/billing-runs", portal.ops, json={"period": period})
    assert run.status_code == 201, run.text
    [invoice] = [invoice for invoice in run.json()["invoices"]
                 if invoice["organization_id"] == organization_id]
    return invoice


def a_day_before_the_last(year):
    """An expiration date other than the default, allowed today."""
    return max(today(), year.last_day - timedelta(days=14))
