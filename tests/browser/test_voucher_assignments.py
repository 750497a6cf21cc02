"""Giving codes to students in the portal (issue 13): on the order's page the coordinator
gives the next codes to a typed list, changes one code's student on its own page, takes
it back, finds codes by student, and uploads the downloaded CSV (a bad row listed,
nothing applied; then the file filled right). Markup typed as a name stays text."""
import csv
import io

from playwright.sync_api import expect

from tests.browser.conftest import checked
from tests.browser.steps import signed_in_as
from tests.e2e.test_redemption import order_with_codes
from tests.mail import wait_for_mail_file

MARKUP = "<b>Bold</b> Student"


def test_the_coordinator_gives_codes_out_changes_one_and_uploads_the_file(portal, page,
                                                                         tmp_path, system_env):
    account, school, order, codes = order_with_codes(portal, quantity=4)
    order_url = "/organizations/{}/orders/{}".format(school["id"], order["id"])
    signed_in_as(page, account)
    page.goto(order_url)
    checked(page)

    page.get_by_label("Students").fill("Ada Lovelace, ada@example.org\n{}".format(MARKUP))
    page.get_by_label("Email each student with an email address their code").check()
    page.get_by_role("button", name="Give out codes").click()
    expect(page.get_by_role("status").first).to_contain_text("Codes given out.")
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"],
                                lambda message: message["To"] == "ada@example.org")
    assert codes[0] in mail.get_content()
    rows = page.locator("#codes ~ table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Ada Lovelace")
    expect(rows.nth(1)).to_contain_text(MARKUP)  # shown as typed, never as markup
    expect(page.get_by_role("link", name="Assigned (2)")).to_be_visible()
    checked(page)

    page.get_by_role("link", name="Change {}".format(codes[1])).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(codes[1])
    page.get_by_label("Student's name").fill("Grace Hopper")
    page.get_by_label("Student's email (optional)").fill("not an email")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_contain_text("email")
    checked(page)
    page.get_by_label("Student's email (optional)").fill("grace@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Codes given out.")

    page.goto(order_url + "/vouchers/" + codes[1])
    checked(page)
    page.get_by_role("button", name="Email the code to the student").click()
    expect(page.get_by_role("status")).to_contain_text("being mailed")
    wait_for_mail_file(system_env["CLEP_DATA_DIR"],
                       lambda message: message["To"] == "grace@example.org")

    page.goto(order_url + "/vouchers/" + codes[0])
    page.get_by_role("button", name="Take the code back").click()
    expect(page.get_by_role("status")).to_contain_text("unused again")
    page.get_by_label("Find codes by student name or email").fill("hopper")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("grace@example.org")

    downloaded = list(csv.reader(io.StringIO(portal.get(
        "/api" + order_url + "/vouchers.csv", account.headers).text)))
    bad = [downloaded[0]] + [row[:5] + ["Alan Turing", "someday", ""] if n == 0 else row
                             for n, row in enumerate(downloaded[1:])]
    upload = tmp_path / "codes.csv"
    upload.write_text(as_csv(bad))
    page.goto(order_url)
    page.get_by_label("The order's vouchers CSV").set_input_files(str(upload))
    page.get_by_role("button", name="Upload file").click()
    expect(page.locator("#row-errors")).to_contain_text("date_given_out")
    checked(page)
    expect(page.get_by_role("link", name="Assigned (1)")).to_be_visible()  # nothing applied

    bad[1][6] = "10/14/2026"
    upload.write_text(as_csv(bad))
    page.get_by_label("The order's vouchers CSV").set_input_files(str(upload))
    page.get_by_role("button", name="Upload file").click()
    expect(page.get_by_role("status")).to_contain_text("Codes given out or changed: 1.")
    expect(page.get_by_role("link", name="Assigned (2)")).to_be_visible()
    usage = portal.voucher_usage(account, school["id"], order["id"], status="assigned")
    assert sorted(row["assignment"]["student_name"] for row in usage["vouchers"]) == [
        "Alan Turing", "Grace Hopper"]


def as_csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()
