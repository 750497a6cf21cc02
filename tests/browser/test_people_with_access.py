"""People with access in the browser (issue 13): the coordinator sees who holds access,
flagged when the profile does not name them, keeps scores to the profile's contacts, and
removes someone; the other person, in a browser of their own, is refused the scores and
then locked out at once."""
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import checked
from tests.browser.steps import csrf_of, raw, same_origin, session_token, signed_in_as
from tests.browser.tab_steps import report_attending, student, tab, this_year
from tests.e2e.portal import Account

MEMBER_NAME = "Robin Volunteer"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def second_page(browser, system):
    """Another person's browser: a context of its own (its own cookies)."""
    made = browser.new_context(base_url=system.base_url,
                               viewport={"width": 1280, "height": 900})
    made.set_default_timeout(15_000)
    yield made.new_page()
    made.close()


def member_of(portal, organization, code, name=MEMBER_NAME):
    """Someone who got the organization's code too, and whom its profile does not name."""
    email = f"volunteer-{uuid.uuid4().hex[:10]}@example.org"
    password = f"a long password {uuid.uuid4().hex[:6]}"
    made = portal.post("/api/accounts", json={"email": email, "name": name,
                                              "password": password})
    assert made.status_code == 201, made.text
    token = portal.sign_in(email, password).json()["token"]
    account = Account(email, password, token)
    portal.accept_terms(account)
    assert portal.redeem(account, organization, code).status_code == 201
    return account


def test_the_coordinator_restricts_scores_and_removes_someone(portal, page, second_page):
    college = portal.register_organization(kind="college")
    code = portal.issue_access_code(college["id"])
    coordinator = portal.new_account()
    assert portal.redeem(coordinator, college, code).status_code == 201
    portal.complete_profile(coordinator, college["id"])
    member = member_of(portal, college, code)
    report_attending(portal, college["id"], student("Ada", "Lovelace"))
    scores_url = "/organizations/{}/scores".format(college["id"])

    signed_in_as(second_page, member, MEMBER_NAME)
    second_page.goto(scores_url)
    expect(second_page.get_by_role("heading", level=1)).to_have_text("Scores")
    expect(second_page.get_by_role("button", name="Ada Lovelace")).to_be_visible()

    signed_in_as(page, coordinator)
    page.goto("/organizations/{}".format(college["id"]))
    tab(page, "People with access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People with access")
    rows = page.get_by_role("row")
    expect(rows.filter(has_text=coordinator.email)).not_to_contain_text("Not in the profile")
    member_row = rows.filter(has_text=member.email)
    expect(member_row).to_contain_text("Not in the profile")
    expect(member_row).to_contain_text("Manage")
    expect(member_row).to_contain_text("Access code")
    checked(page)

    page.get_by_label("Only the CLEP coordinator and the alternate named in the profile "
                      "see scores").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Score visibility saved.")
    expect(page.get_by_label(re.compile("^Only the CLEP coordinator"))).to_be_checked()

    refused = second_page.goto(scores_url)
    assert refused.status == 403
    expect(second_page.get_by_text(re.compile(
        "scores visible only to the CLEP coordinator and the alternate"))).to_be_visible()
    checked(second_page)
    page.goto(scores_url)  # the coordinator still reads them
    expect(page.get_by_role("button", name="Ada Lovelace")).to_be_visible()

    page.goto("/organizations/{}/people".format(college["id"]))
    page.get_by_role("button", name="Remove " + MEMBER_NAME).click()
    expect(page.get_by_role("status")).to_have_text("Their access was removed.")
    expect(page.get_by_role("row").filter(has_text=member.email)).to_have_count(0)
    checked(page)

    gone = second_page.goto("/organizations/{}".format(college["id"]))
    assert gone.status == 404
    expect(second_page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_the_last_coordinator_is_told_why_they_cannot_remove_themselves(portal, page):
    coordinator, college = portal.coordinator_of(kind="college")
    signed_in_as(page, coordinator)
    page.goto("/organizations/{}/people".format(college["id"]))

    page.get_by_role("button", name="Remove Pat Coordinator").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "removing yourself would leave nobody to manage it")
    expect(page.get_by_role("row").filter(has_text=coordinator.email)).to_have_count(1)
    checked(page)

    # once someone else manages it too, they may leave: the portal takes them home
    member_of(portal, college, portal.issue_access_code(college["id"]))
    page.goto("/organizations/{}/people".format(college["id"]))
    page.get_by_role("button", name="Remove Pat Coordinator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to My CLEP")
    assert page.goto("/organizations/{}".format(college["id"])).status == 404


def test_a_name_is_shown_as_text_and_removing_needs_the_forms_csrf_token(
        portal, page, context, system):
    coordinator, college = portal.coordinator_of(kind="college")
    code = portal.issue_access_code(college["id"])
    member = member_of(portal, college, code, name=MARKUP)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    signed_in_as(page, coordinator)
    people = "/organizations/{}/people".format(college["id"])
    page.goto(people)

    expect(page.get_by_role("row").filter(has_text=member.email)).to_contain_text(MARKUP)
    member_id = next(person["account_id"] for person in portal.get(
        "/api/organizations/{}/members".format(college["id"]),
        coordinator.headers).json()["members"] if person["email"] == member.email)
    remove = "{}/{}/remove".format(people, member_id)
    token = session_token(context)
    refused = raw("POST", system.base_url, remove, token, same_origin(system.base_url),
                  data={"csrf_token": "0" * 64})
    assert refused.status_code == 403, refused.text
    refused = raw("POST", system.base_url, remove, token, "https://evil.example",
                  data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 403, refused.text
    page.reload()
    expect(page.get_by_role("row").filter(has_text=member.email)).to_have_count(1)
    assert dialogs == []


def test_the_year_selector_marks_the_years_without_data(portal, page):
    coordinator, college = portal.coordinator_of(kind="college")
    current = this_year()
    last, before = str(current.previous(1)), str(current.previous(2))
    signed_in_as(page, coordinator)
    page.goto("/organizations/{}".format(college["id"]))
    options = page.get_by_label("Academic year").locator("option")
    expect(options).to_have_text(["{} (current)".format(current)] + [
        "{} (no data)".format(current.previous(back)) for back in range(1, 5)])

    # a score of last year: the scores service's notice ends what the gateway kept
    report_attending(portal, college["id"], student("Ada", "Lovelace"),
                     test_date="{}-10-15".format(last[:4]))
    started = time.monotonic()  # the notice follows the commit by milliseconds; a loaded
    # CI machine may take seconds: reload until it shows
    while options.nth(1).text_content().strip() != last and time.monotonic() - started < 15:
        time.sleep(0.2)
        page.reload()

    expect(options.nth(1)).to_have_text(last)
    expect(options.nth(2)).to_have_text(before + " (no data)")
    page.get_by_label("Academic year").select_option(last)
    page.get_by_role("button", name="Show").click()
    tab(page, "Scores").click()
    expect(page.get_by_role("button", name="Ada Lovelace")).to_be_visible()
    checked(page)
