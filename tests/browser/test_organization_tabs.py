"""An organization's tabs in the browser: the organization switcher and the academic year
selector of the menu bar, a district's read-only view of its schools, a prior academic
year, the Scores tab and the Invoices tab (FAQ: "How do I switch organizations?", "Can I
see prior years?", "Where are my students' scores?", "Where are my invoices?")."""
import re

from playwright.sync_api import expect

from tests.browser import tab_steps as steps
from tests.browser.conftest import checked
from tests.browser.tab_steps import described, tab


def menu_bar(page):
    return page.get_by_role("navigation", name="Organization")


def open_switcher(page, organization_name):
    """The menu bar's organization name opens the switcher; returns its select."""
    switcher = page.get_by_role("combobox", name="Organization", exact=True)
    expect(switcher).to_be_hidden()
    menu_bar(page).get_by_text(
        re.compile(r"^Organization: {}\b".format(re.escape(organization_name)))).click()
    expect(switcher).to_be_visible()
    return switcher


def score_row(page, student_name):
    return page.get_by_role("row").filter(
        has=page.get_by_role("button", name=student_name, exact=True))


def expect_cells(row, texts):
    expect(row.get_by_role("cell")).to_have_text(texts)


def test_the_switcher_and_the_academic_year_keep_the_tab(coordinator, portal):
    person, first = coordinator
    page = person.page
    # the same account gets access to a second organization, through the pages
    second = portal.register_organization()
    person.get_access(second, portal.issue_access_code(second["id"]))
    expect(page).to_have_url(re.compile(r"/organizations/{}/profile$".format(second["id"])))
    person.complete_profile()

    current = steps.this_year()
    years = [str(current.previous(back)) for back in range(5)]
    page.goto("/organizations/{}/orders".format(first["id"]))
    year_select = page.get_by_label("Academic year")
    expect(year_select.locator("option")).to_have_text(  # no data before this year
        ["{} (current)".format(years[0])] + [year + " (no data)" for year in years[1:]])
    expect(year_select).to_have_value(years[0])
    checked(page)

    # a year chosen stays chosen from tab to tab: the tab links carry it
    choose_year(page, years[1])
    expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
    expect(page.locator("main .lead")).to_have_text(
        "{}, {} academic year.".format(first["name"], years[1]))
    for name in ("Summary", "Order History", "Scores", "Invoices", "Profile"):
        expect(tab(page, name)).to_have_attribute(
            "href", re.compile(r"academic_year={}$".format(re.escape(years[1]))))
    tab(page, "Scores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scores")
    expect(page.get_by_label("Academic year")).to_have_value(years[1])
    expect(page.get_by_text("No scores in the {} academic year.".format(years[1]))).to_be_visible()
    checked(page)
    tab(page, "Invoices").click()
    expect(tab(page, "Invoices")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Academic year")).to_have_value(years[1])
    expect(page.get_by_text("No invoices in the {} academic year.".format(years[1]))) \
        .to_be_visible()
    checked(page)

    # the switcher: the other organization, the same tab and year
    switcher = open_switcher(page, first["name"])
    expect(switcher.locator("option")).to_have_text(sorted([first["name"], second["name"]]))
    expect(switcher).to_have_value(str(first["id"]))
    checked(page)
    switcher.select_option(label=second["name"])
    page.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(re.compile(r"/organizations/{}/invoices\?academic_year={}$".format(
        second["id"], re.escape(years[1]))))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    expect(menu_bar(page).locator("summary")).to_contain_text(second["name"])
    expect(page.locator("main .lead")).to_contain_text(
        "{}, {} academic year.".format(second["name"], years[1]))
    expect(page.get_by_label("Academic year")).to_have_value(years[1])
    expect(tab(page, "Invoices")).to_have_attribute("aria-current", "page")
    checked(page)

    # back to the current year, on the other organization's Summary
    choose_year(page, years[0])
    tab(page, "Summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second["name"])
    expect(page.get_by_role("link", name="Start an Order")).to_be_visible()


def choose_year(page, year):
    steps.choose_year(page, year)
    expect(page.get_by_label("Academic year")).to_have_value(str(year))


def test_a_district_coordinator_sees_a_school_of_the_district_read_only(coordinator, portal):
    person, own_school = coordinator
    page = person.page
    district = portal.register_organization(kind="district")
    school = portal.register_organization(kind="school", district_id=district["id"])
    person.get_access(district, portal.issue_access_code(district["id"]))
    expect(page).to_have_url(re.compile(r"/organizations/{}/profile$".format(district["id"])))
    person.complete_profile()
    grace = steps.student("Grace", "Hopper")
    result = steps.report_attending(portal, school["id"], grace, exam="Biology", score=66)

    tab(page, "Summary").click()
    switcher = open_switcher(page, district["name"])
    expect(switcher.locator("option", has_text=school["name"])).to_have_text(
        "{} (read-only)".format(school["name"]))
    expect(switcher.locator("option", has_text=district["name"])).to_have_text(district["name"])
    expect(switcher.locator("option", has_text=own_school["name"])).to_have_text(
        own_school["name"])
    checked(page)
    switcher.select_option(label="{} (read-only)".format(school["name"]))
    page.get_by_role("button", name="Switch").click()

    # the school's Summary: read-only, nothing to order
    expect(page).to_have_url(re.compile(r"/organizations/{}(\?|$)".format(school["id"])))
    expect(page.get_by_role("heading", level=1)).to_have_text(school["name"])
    expect(page.locator("main .lead")).to_contain_text("Your access is read-only")
    expect(menu_bar(page).locator("summary")).to_contain_text("Read-only")
    expect(page.get_by_role("link", name="Start an Order")).to_have_count(0)
    checked(page)
    tab(page, "Order History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
    expect(page.get_by_role("link", name="Start an Order")).to_have_count(0)
    checked(page)

    # its Scores: the student who named the school, read-only
    tab(page, "Scores").click()
    expect(page.locator("main .lead")).to_contain_text("(read-only)")
    row = score_row(page, "Grace Hopper")
    expect_cells(row, ["Biology", steps.long_date(steps.today()), "66", "Pass", "Other"])
    expander = row.get_by_role("button", name="Grace Hopper")
    expander.click()
    expect(expander).to_have_attribute("aria-expanded", "true")
    detail = page.locator("#" + expander.get_attribute("aria-controls"))
    expect(described(detail, "Student ID")).to_have_text(grace["id"])
    expect(described(detail, "Result ID")).to_have_text(result["result_id"])
    expect(page.locator("main form[method=post]")).to_have_count(0)
    checked(page)

    # its Profile is kept by its coordinator; ordering is refused
    tab(page, "Profile").click()
    expect(page.get_by_text("Your access to {} is read-only".format(school["name"]))) \
        .to_be_visible()
    expect(page.get_by_role("button", name="Save profile")).to_have_count(0)
    checked(page)
    page.goto("/organizations/{}/orders/new".format(school["id"]))
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that")
    expect(page.get_by_text("Your access to this organization is read-only.")).to_be_visible()
    checked(page)


def test_a_prior_academic_year_has_its_own_orders_and_no_start_an_order(coordinator, portal):
    person, school = coordinator
    page = person.page
    account = steps.api_account(portal, person)
    placed = portal.place_order(account, school["id"], quantity=4, po_number="PO-THIS-YEAR")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    portal.wait_until_fulfilled(account, school["id"], order_id)
    current = steps.this_year()
    previous = current.previous()

    tab(page, "Order History").click()
    expect(steps.order_row(page, order_id)).to_contain_text("PO-THIS-YEAR")

    choose_year(page, previous)
    expect(page.get_by_role("heading", level=1)).to_have_text("Order History")
    expect(page.get_by_text("No orders in the {} academic year.".format(previous))) \
        .to_be_visible()
    expect(page.get_by_role("button", name="Order {}".format(order_id))).to_have_count(0)
    expect(page.get_by_role("link", name="Start an Order")).to_have_count(0)
    checked(page)
    tab(page, "Summary").click()
    expect(page.get_by_text("You are looking at a past academic year")).to_be_visible()
    expect(steps.stat(page, "orders")).to_have_text("0")
    expect(page.get_by_role("link", name="Start an Order")).to_have_count(0)
    checked(page)

    choose_year(page, current)
    expect(page.get_by_text("You are looking at a past academic year")).to_have_count(0)
    expect(steps.stat(page, "order")).to_have_text("1")
    expect(steps.stat(page, "vouchers ordered")).to_have_text("4")
    expect(page.get_by_role("link", name="Start an Order")).to_be_visible()
    tab(page, "Order History").click()
    expect(steps.order_row(page, order_id)).to_contain_text("PO-THIS-YEAR")
    expect(page.get_by_role("link", name="Start an Order")).to_be_visible()


def test_scores_list_expand_filter_and_export(coordinator, portal):
    person, school = coordinator
    page = person.page
    account = steps.api_account(portal, person)
    _order, codes = steps.order_codes(portal, account, school["id"], 2)
    grace, alan = steps.student("Grace", "Hopper"), steps.student("Alan", "Turing")
    attending = steps.report_attending(portal, school["id"], grace, exam="Biology", score=48)
    paid = steps.take_exam_with_voucher(portal, codes[0], alan, score=71,
                                        delivery_mode="remote")
    test_date = steps.long_date(steps.today())

    tab(page, "Scores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scores")
    expect(page.get_by_role("row")).to_have_count(1 + 2)  # the header, two students
    expect_cells(score_row(page, "Grace Hopper"), ["Biology", test_date, "48", "Did not pass",
                                                   "Other"])
    expect_cells(score_row(page, "Alan Turing"), ["College Algebra", test_date, "71", "Pass",
                                                  "Voucher"])
    checked(page)

    # a row opens in place with the rest of the student's data
    expander = page.get_by_role("button", name="Alan Turing", exact=True)
    expect(expander).to_have_attribute("aria-expanded", "false")
    detail = page.locator("#" + expander.get_attribute("aria-controls"))
    expect(detail).to_be_hidden()
    expander.click()
    expect(expander).to_have_attribute("aria-expanded", "true")
    expect(detail).to_be_visible()
    for term, shown in (("Student ID", alan["id"]), ("Email", alan["email"]),
                        ("Delivery", "Remote proctoring"), ("Voucher code", codes[0]),
                        ("Seen here as", "paid with this organization's voucher"),
                        ("Result ID", paid["result_id"])):
        expect(described(detail, term)).to_have_text(shown)
    checked(page)

    # the exam filter, and the export of what is shown
    exam = page.get_by_label("Exam", exact=True)
    expect(exam.locator("option")).to_have_text(["All exams", "Biology", "College Algebra"])
    exam.select_option("Biology")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("Exam", exact=True)).to_have_value("Biology")
    expect(score_row(page, "Grace Hopper")).to_be_visible()
    expect(score_row(page, "Alan Turing")).to_have_count(0)
    checked(page)
    _name, rows = steps.downloaded(page, page.get_by_role("link", name="Export Score Data"))
    exported = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [(row["result_id"], row["first_name"], row["last_name"], row["exam"])
            for row in exported] == [(attending["result_id"], "Grace", "Hopper", "Biology")]

    page.get_by_label("Exam", exact=True).select_option("")
    page.get_by_role("button", name="Filter").click()
    expect(score_row(page, "Alan Turing")).to_be_visible()
    _name, rows = steps.downloaded(page, page.get_by_role("link", name="Export Score Data"))
    exported = {row[rows[0].index("result_id")]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(exported) == {attending["result_id"], paid["result_id"]}
    assert (exported[paid["result_id"]]["first_name"], exported[paid["result_id"]]["score"],
            exported[paid["result_id"]]["funding"]) == ("Alan", "71", "voucher")
    assert (exported[attending["result_id"]]["passed"],
            exported[attending["result_id"]]["funding"]) == ("no", "other")


def test_the_invoices_tab_shows_the_months_invoice_and_its_csv(coordinator, portal, system):
    person, school = coordinator
    page = person.page
    account = steps.api_account(portal, person)
    order, codes = steps.order_codes(portal, account, school["id"], 3, po_number="PO-INV-9")
    steps.take_exam_with_voucher(portal, codes[0], steps.student("Ada", "Lovelace"))
    invoice, issued_on = steps.billed_once_the_month_is_over(system, portal, school["id"], 1)

    tab(page, "Invoices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    title = "Invoice {}: {} to {}".format(
        invoice["id"], steps.long_date(steps.date_of(invoice["period_start"])),
        steps.long_date(steps.date_of(invoice["period_end"])))
    section = page.get_by_role("region", name=title)
    expect(section.get_by_role("heading", level=2)).to_have_text(title)
    expect(described(section, "Billing contact")).to_have_text(
        "{}, {}".format(person.name, person.email))
    expect(described(section, "Exams")).to_have_text("1")
    expect(described(section, "Total")).to_have_text("$93.00")
    expect(described(section, "Issued")).to_have_text(steps.long_date(issued_on))
    line = section.get_by_role("row").filter(has=page.get_by_role("cell", name=str(order["id"]),
                                                                  exact=True))
    expect_cells(line, [str(order["id"]), "PO-INV-9", "1", "$93.00"])
    total = section.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total"))
    expect(total.get_by_role("cell")).to_have_text(["1", "$93.00"])
    checked(page)

    _name, rows = steps.downloaded(
        page, section.get_by_role("link", name="Download invoice {} (CSV)".format(invoice["id"])))
    lines = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [(row["order_id"], row["po_number"], row["exams"], row["amount_cents"])
            for row in lines] == [(str(order["id"]), "PO-INV-9", "1", "9300"),
                                  ("total", "", "1", "9300")]
