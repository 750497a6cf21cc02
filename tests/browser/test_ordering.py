"""Ordering vouchers in the browser: Start an Order step by step, the Order Details' errors,
one order whatever the clicks, the PO number changed from Order History, and the
confirmation email's link (FAQ: "How do I order vouchers?", "Can I change an order?")."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser import tab_steps as steps
from tests.browser.conftest import checked, screenshot
from tests.browser.tab_steps import described, expect_field_error, order_row, tab
from tests.e2e.checks import wait_for
from tests.e2e.conftest import public_url  # noqa: F401 - the fixture, for the mail's links
from tests.mail import body_of, wait_for_mail_file

TERMS_LABEL = "I accept the Online Terms and Conditions for Bulk Purchase"


def test_a_25_voucher_order_through_every_step_of_start_an_order(coordinator, system):
    person, school = coordinator
    page = person.page
    year = steps.this_year()
    expiration = steps.a_day_before_the_last(year)
    tab(page, "Summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(school["name"])
    checked(page)

    # step 1: the organization and this year's fee
    page.get_by_role("link", name="Start an Order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start an Order")
    expect(page.locator("[aria-current=step]")).to_have_text("Organization and fee")
    expect(described(page, "Organization")).to_have_text(school["name"])
    expect(described(page, "Exam fee")).to_have_text("$93.00 per voucher")
    checked(page)

    # step 2: Order Details, with June 30 of the academic year as the expiration date
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order Details")
    expect(page.locator("[aria-current=step]")).to_have_text("Order Details")
    expect(page.get_by_label("Number of vouchers")).to_have_value("")
    expect(page.get_by_label("Remote proctoring")).not_to_be_checked()
    expect(page.get_by_label("Expiration date")).to_have_value(year.last_day.isoformat())
    expect(page.get_by_label("Purchase order number")).to_have_value("")
    checked(page)
    steps.fill_order_details(page, 25, remote=True, expiration=expiration,
                             po_number="PO-2026-0042")
    screenshot(page, "start-an-order")

    # step 3: the review; "Change order details" keeps what was typed
    steps.to_review(page)
    review = {"Organization": school["name"], "Number of vouchers": "25",
              "Exam fee": "$93.00 per voucher used",
              "Remote proctoring": "Covered: $30.00 per exam taken remotely",
              "Expiration date": steps.long_date(expiration),
              "Purchase order number": "PO-2026-0042"}
    for term, shown in review.items():
        expect(described(page, term)).to_have_text(shown)
    checked(page)
    page.get_by_role("button", name="Change order details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order Details")
    expect(page.get_by_label("Number of vouchers")).to_have_value("25")
    expect(page.get_by_label("Remote proctoring")).to_be_checked()
    expect(page.get_by_label("Expiration date")).to_have_value(expiration.isoformat())
    expect(page.get_by_label("Purchase order number")).to_have_value("PO-2026-0042")
    checked(page)
    steps.to_review(page)
    for term, shown in review.items():
        expect(described(page, term)).to_have_text(shown)

    # step 4: placed while the codes cannot be made yet (the vouchers process is stopped),
    # so that Order History shows the order generating, then fulfilled by itself
    system.stop_process("vouchers-1")
    try:
        order_id = steps.accept_and_place(page)
        expect(page.locator("[aria-current=step]")).to_have_text("Confirmation")
        checked(page)
        page.get_by_role("link", name="Go to Order History").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
        row = order_row(page, order_id)
        status = row.get_by_role("cell").last
        expect(status).to_have_text("Generating Vouchers")
        expect(row).to_contain_text("PO-2026-0042")
        expect(row).to_contain_text(steps.long_date(expiration))
        checked(page)

        # the row opens in place, before the codes exist
        expander = page.get_by_role("button", name="Order {}".format(order_id), exact=True)
        expect(expander).to_have_attribute("aria-expanded", "false")
        region = page.locator("#" + expander.get_attribute("aria-controls"))
        expect(region).to_be_hidden()
        expander.click()
        expect(expander).to_have_attribute("aria-expanded", "true")
        expect(region).to_be_visible()
        expect(described(region, "Order ID")).to_have_text(str(order_id))
        expect(region).to_contain_text("Vouchers are being generated (0 of 25)")
        checked(page)

        # nothing reloads the page: a mark set in it now is still there when fulfilled
        history_url = page.url
        navigations = []
        page.on("framenavigated",
                lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
        marked = page.evaluate(
            "() => { document.body.setAttribute('data-test-mark', 'before'); return true }")
        assert marked is True  # the CSP (no unsafe-eval) does not stop Playwright's evaluate
        # the order's own page (where the confirmation email leads), open in another tab
        order_page = page.context.new_page()
        order_page.goto("/organizations/{}/orders/{}".format(school["id"], order_id))
        expect(order_page.get_by_text("Vouchers are being generated")).to_be_visible()
        system.start_process("vouchers-1")
        expect(status).to_have_text("Fulfilled", timeout=60_000)
        expect(page.locator("#status-announcer")).to_have_text(
            "Order {} is fulfilled: its vouchers can be downloaded.".format(order_id))
        expect(order_page.get_by_role("link", name="Download Vouchers")).to_be_visible(
            timeout=60_000)
        checked(order_page)
        order_page.close()
    finally:
        system.start_process("vouchers-1")
        system.wait_healthy(timeout=60)
    assert page.locator("body").get_attribute("data-test-mark") == "before"
    assert navigations == [] and page.url == history_url

    # the open row shows the fulfilled order's summary, with its codes to download
    download = region.get_by_role("link", name="Download Vouchers")
    expect(download).to_be_visible()
    expect(expander).to_have_attribute("aria-expanded", "true")
    expect(region.get_by_role("link", name=re.compile(r"^25 unused$"))).to_be_visible()
    checked(page)
    screenshot(page, "order-history")
    filename, rows = steps.downloaded(page, download)
    assert filename.endswith(".csv")
    assert rows[0][0] == "voucher_code"
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 25 == len(set(codes))
    assert all(steps.CODE_FORMAT.match(code) for code in codes), codes

    # the Summary counts the order and its codes
    tab(page, "Summary").click()
    for label, number in (("order", "1"), ("vouchers ordered", "25"), ("unused", "25"),
                          ("redeemed", "0"), ("used", "0")):
        expect(steps.stat(page, label)).to_have_text(number)
    checked(page)
    screenshot(page, "summary")


def test_order_details_errors_show_by_the_field_and_keep_what_was_typed(coordinator):
    person, school = coordinator
    page = person.page
    year = steps.this_year()
    tab(page, "Summary").click()
    steps.open_order_details(page)
    quantity = page.get_by_label("Number of vouchers")
    expiration = page.get_by_label("Expiration date")
    po_number = page.get_by_label("Purchase order number")
    later, past = year.last_day + timedelta(days=1), steps.today() - timedelta(days=1)
    range_message = re.compile(r"1\b.*10,?000")

    for typed in ("0", "10001"):
        steps.fill_order_details(page, typed, remote=True, po_number="PO-" + typed)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Order Details")
        message = page.locator("#quantity-error").inner_text().replace("Error:", "").strip()
        assert range_message.search(message), message
        expect_field_error(page, quantity, message)
        expect(steps.error_summary(page)).to_be_focused()
        expect(quantity).to_have_value(typed)
        expect(page.get_by_label("Remote proctoring")).to_be_checked()
        expect(po_number).to_have_value("PO-" + typed)
        checked(page)

    for day, message in ((later, "The expiration date cannot be later than June 30, {} "
                                 "({}).".format(year.last_day.year, year.last_day.isoformat())),
                         (past, "The expiration date cannot be in the past.")):
        steps.fill_order_details(page, 12, expiration=day, po_number="PO-dates")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Order Details")
        expect_field_error(page, expiration, message)
        expect(expiration).to_have_value(day.isoformat())
        expect(quantity).to_have_value("12")
        expect(po_number).to_have_value("PO-dates")
        expect(quantity).not_to_have_attribute("aria-invalid", "true")
        checked(page)

    # the review, without the terms ticked: an error, and nothing placed
    steps.fill_order_details(page, 12, expiration=year.last_day, po_number="PO-dates")
    steps.to_review(page)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")
    expect_field_error(page, page.get_by_label(TERMS_LABEL),
                       "Select that you accept the Online Terms and Conditions for Bulk "
                       "Purchase.")
    expect(described(page, "Number of vouchers")).to_have_text("12")
    expect(described(page, "Purchase order number")).to_have_text("PO-dates")
    checked(page)
    assert steps.orders_seen_by_browser(page, school["id"]) == []
    # ticked now, the same review places the order
    order_id = steps.accept_and_place(page)
    assert [order["id"] for order in steps.orders_seen_by_browser(page, school["id"])] == \
        [order_id]


def test_a_double_click_a_reload_and_a_resubmitted_form_place_one_order(coordinator, system):
    person, school = coordinator
    page = person.page
    tab(page, "Summary").click()
    steps.open_order_details(page)
    steps.fill_order_details(page, 7)
    steps.to_review(page)
    page.get_by_label(TERMS_LABEL).check()
    place_form = page.locator("form", has=page.get_by_role("button", name="Place order"))
    sent = dict(place_form.locator("input[name]").evaluate_all(
        "inputs => inputs.filter(i => i.type !== 'checkbox' || i.checked)"
        ".map(i => [i.name, i.value])"))
    assert sent["accept_terms"] == "yes" and sent["quantity"] == "7"

    page.get_by_role("button", name="Place order").dblclick()
    order_id = steps.received_order_id(page)
    received = page.url
    assert [order["id"] for order in steps.orders_seen_by_browser(page, school["id"])] == \
        [order_id]

    page.reload()
    assert steps.received_order_id(page) == order_id and page.url == received

    # the place step's form sent again, as the browser's "Confirm Form Resubmission" does
    again = page.request.post("/organizations/{}/orders/new/place".format(school["id"]),
                              form=sent,
                              headers={"Origin": system.base_url,
                                       "Referer": system.base_url + "/"})
    assert again.ok and again.url == received, (again.status, again.url)

    page.get_by_role("link", name="Go to Order History").click()
    expect(page.get_by_role("button", name=re.compile(r"^Order \d+$"))).to_have_count(1)
    expect(order_row(page, order_id)).to_be_visible()
    orders = steps.orders_seen_by_browser(page, school["id"])
    assert [(order["id"], order["quantity"]) for order in orders] == [(order_id, 7)]


def test_the_po_number_changes_from_the_expanded_row(coordinator, portal):
    person, school = coordinator
    page = person.page
    account = steps.api_account(portal, person)
    placed = portal.place_order(account, school["id"], quantity=2)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    portal.wait_until_fulfilled(account, school["id"], order_id)

    tab(page, "Order History").click()
    row = order_row(page, order_id)
    expect(row.get_by_role("cell").nth(3)).to_have_text("")
    expander = row.get_by_role("button", name="Order {}".format(order_id))
    region = page.locator("#" + expander.get_attribute("aria-controls"))
    expander.click()
    expect(expander).to_have_attribute("aria-expanded", "true")
    expect(described(region, "Purchase order number")).to_have_text("None")
    region.get_by_label("Add a purchase order number").fill("PO-2026-77")
    checked(page)
    region.get_by_role("button", name="Save PO number").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
    expect(row.get_by_role("cell").nth(3)).to_have_text("PO-2026-77")
    # back with the order's row still open, and the notice that it was saved
    expect(expander).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_text("Purchase order number saved.")).to_be_visible()
    expect(described(region, "Purchase order number")).to_have_text("PO-2026-77")
    field = region.get_by_label("Change the purchase order number")
    expect(field).to_have_value("PO-2026-77")
    checked(page)

    too_long = "P" * 51
    field.fill(too_long)
    region.get_by_role("button", name="Save PO number").click()
    field = page.get_by_label("Change the purchase order number")
    expect_field_error(page, field, "At most 50 characters.")
    expect(field).to_have_value(too_long)
    checked(page)
    kept = portal.order(account, school["id"], order_id).json()
    assert kept["po_number"] == "PO-2026-77"


def test_without_script_a_saved_po_number_brings_you_back_to_the_order(coordinator, portal,
                                                                      browser, system):
    """The pages work without JavaScript: the row opens with ?open=, and saving the PO
    number comes back to that row. The address it comes back to may name a place in the
    page (#...) only if the page has it: otherwise the browser stays at the top."""
    person, school = coordinator
    account = steps.api_account(portal, person)
    placed = portal.place_order(account, school["id"], quantity=2)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    portal.wait_until_fulfilled(account, school["id"], order_id)
    scriptless = browser.new_context(base_url=system.base_url, java_script_enabled=False)
    try:
        scriptless.add_cookies(person.page.context.cookies())
        page = scriptless.new_page()
        page.goto("/organizations/{}/orders".format(school["id"]))
        page.get_by_role("button", name="Order {}".format(order_id)).click()
        expect(page).to_have_url(re.compile(r"[?&]open={}\b".format(order_id)))
        # axe-core needs script: the row opened by the server is checked in the other page
        person.page.goto(page.url)
        expect(person.page.get_by_role("button", name="Order {}".format(order_id))) \
            .to_have_attribute("aria-expanded", "true")
        checked(person.page)
        page.get_by_label("Add a purchase order number").fill("PO-NO-SCRIPT")
        page.get_by_role("button", name="Save PO number").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
        row = order_row(page, order_id)
        expect(row.get_by_role("cell").nth(3)).to_have_text("PO-NO-SCRIPT")
        expect(page.get_by_label("Change the purchase order number")).to_have_value(
            "PO-NO-SCRIPT")
        fragment = urlsplit(page.url).fragment
        if fragment:
            assert page.locator("[id='{}']".format(fragment)).count() == 1, \
                "{} names no place in the page: the browser does not go back to order {}" \
                .format(page.url, order_id)
    finally:
        scriptless.close()


def test_the_confirmation_email_link_opens_the_order_page(coordinator, browser, system,
                                                         system_env, public_url):  # noqa: F811
    person, school = coordinator
    page = person.page
    tab(page, "Summary").click()
    steps.open_order_details(page)
    steps.fill_order_details(page, 3, po_number="PO-MAIL-1")
    steps.to_review(page)
    order_id = steps.accept_and_place(page)

    subject = "CLEP voucher order {} confirmed".format(order_id)
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"],
                                lambda message: message["Subject"] == subject)
    assert person.email in str(mail["To"])
    [link] = re.findall(r"^https?://\S+$", body_of(mail), flags=re.MULTILINE)
    assert link == "{}/organizations/{}/orders/{}".format(public_url, school["id"], order_id)

    wait_for(lambda: steps.orders_seen_by_browser(page, school["id"])[0]["status"] ==
             "fulfilled", timeout=30, interval=0.1, message="the order was not fulfilled")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Order {}".format(order_id))
    expect(page.locator("[data-order-status]")).to_have_text("Fulfilled")
    expect(described(page, "Number of vouchers")).to_have_text("3")
    expect(described(page, "Purchase order number")).to_have_text("PO-MAIL-1")
    expect(page.get_by_role("link", name="Download Vouchers")).to_be_visible()
    checked(page)

    # opened in a browser that is not signed in: sign in, and the link's page opens
    elsewhere = browser.new_context(base_url=system.base_url)
    try:
        other = elsewhere.new_page()
        other.goto(link)
        expect(other.get_by_role("heading", level=1)).to_have_text("Sign in")
        checked(other)
        other.get_by_label("Email").fill(person.email)
        other.get_by_label("Password").fill(person.password)
        other.get_by_role("button", name="Sign in").click()
        expect(other).to_have_url(link)
        expect(other.get_by_role("heading", level=1)).to_have_text("Order {}".format(order_id))
    finally:
        elsewhere.close()
