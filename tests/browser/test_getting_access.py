"""Browser tests: an account, signing in and out, and getting access to an organization in
the FAQ's order (access code, then the portal terms, then the organization's profile), or
asking for a code; and the link in an access-code email."""
import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import checked
from tests.browser.steps import (GENERIC_CODE_ERROR, expect_error_summary, fill_contact,
                                 links_in, path_of, session_token)
from tests.e2e.checks import error_of
from tests.mail import body_of, sent_to, wait_for_mail_file


def test_sign_up_sign_out_and_sign_in_again_and_signing_out_ends_the_session(
        page, context, browser, system, portal):
    email = f"new-{uuid.uuid4().hex[:10]}@example.org"
    password = f"a long password {uuid.uuid4().hex[:6]}"
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    checked(page)
    page.get_by_role("link", name="Create a professional account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a professional account")
    checked(page)
    page.get_by_label("Full name").fill("Robin Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/welcome$"))
    expect(page.get_by_role("banner")).to_contain_text("Robin Newcomer")
    checked(page)
    old_token = session_token(context)

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    checked(page)

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not my password at all")
    page.get_by_role("button", name="Sign in").click()
    expect_error_summary(page, "One of them is not right")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    checked(page)

    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/welcome$"))
    new_token = session_token(context)
    assert new_token != old_token

    # the old session ended on the server: its cookie in another browser, and the same
    # token as a bearer, no longer get in
    elsewhere = browser.new_context(base_url=system.base_url)
    try:
        elsewhere.add_cookies([{"name": "clep_session", "value": old_token,
                                "url": system.base_url}])
        other_page = elsewhere.new_page()
        other_page.goto("/welcome")
        expect(other_page).to_have_url(re.compile(r"/sign-in\?next=/welcome$"))
        expect(other_page.get_by_role("heading", level=1)).to_have_text("Sign in")
    finally:
        elsewhere.close()
    error_of(portal.get("/api/me", {"Authorization": "Bearer " + old_token}), 401)
    # ... while the session signed in again works, in the page and as a bearer
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to My CLEP")
    me = portal.get("/api/me", {"Authorization": "Bearer " + new_token})
    assert me.status_code == 200 and me.json()["email"] == email


def test_getting_access_in_the_faqs_order_then_the_profile_then_the_summary(
        page, new_coordinator, portal):
    school = portal.register_organization()
    code = portal.issue_access_code(school["id"])
    person = new_coordinator("Sam Coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to My CLEP")
    expect(page.get_by_role("link", name="Don't have an access code")).to_be_visible()
    checked(page)

    page.get_by_role("link", name="Enter access code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get access to My CLEP")
    checked(page)
    page.get_by_label("Zip code").fill(school["zip"])
    page.get_by_role("button", name="Find organizations").click()
    organization = page.get_by_label("Organization name")
    expect(organization).to_be_visible()
    checked(page)
    organization.select_option(school["name"])
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Get access").click()

    # the portal terms come next, before anything of the organization
    profile_path = "/organizations/{}/profile".format(school["id"])
    expect(page).to_have_url(re.compile(r"/terms\?next=" + re.escape(profile_path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Portal terms of use")
    checked(page)
    page.get_by_role("button", name="Accept and continue").click()  # without the box
    expect_error_summary(page, "Select that you accept the terms to go on.")
    checked(page)
    page.get_by_label("I accept the portal terms of use").check()
    page.get_by_role("button", name="Accept and continue").click()

    # then the profile, and nothing else opens until it is complete
    expect(page).to_have_url(re.compile(re.escape(profile_path) + "$"))
    expect(page.get_by_text("Complete your organization's profile.")).to_be_visible()
    expect(page.get_by_text(f"Nothing else of {school['name']} opens until the profile is "
                            "complete")).to_be_visible()
    checked(page)
    for tab in ("", "/orders"):
        page.goto("/organizations/{}{}".format(school["id"], tab))
        expect(page).to_have_url(re.compile(re.escape(profile_path) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Organization profile")

    # a bad email: shown next to its field and in the summary, everything typed kept
    coordinator = page.get_by_role("group", name="CLEP coordinator")
    second = page.get_by_role("group", name="Principal or alternate coordinator")
    fill_contact(coordinator, person.name, "sam.at.example.org", "313-555-0100")
    second.get_by_label("Alternate coordinator").check()
    fill_contact(second, "Alex Alternate", "alex@example.org", "313-555-0101")
    page.get_by_label("Same as coordinator").check()
    page.get_by_role("button", name="Save profile").click()
    message = "Enter the coordinator's email in the right format, like name@example.org."
    expect_error_summary(page, message)
    expect(coordinator.get_by_label("Email")).to_have_accessible_description(
        re.compile(re.escape(message)))
    expect(coordinator.get_by_text(message)).to_be_visible()
    expect(coordinator.get_by_label("Name")).to_have_value(person.name)
    expect(coordinator.get_by_label("Email")).to_have_value("sam.at.example.org")
    expect(coordinator.get_by_label("Phone")).to_have_value("313-555-0100")
    expect(second.get_by_label("Alternate coordinator")).to_be_checked()
    expect(second.get_by_label("Name")).to_have_value("Alex Alternate")
    expect(second.get_by_label("Email")).to_have_value("alex@example.org")
    expect(second.get_by_label("Phone")).to_have_value("313-555-0101")
    expect(page.get_by_label("Same as coordinator")).to_be_checked()
    checked(page)

    coordinator.get_by_label("Email").fill(person.email)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Profile saved.")
    expect(page.get_by_text("Complete your organization's profile.")).to_have_count(0)
    checked(page)
    page.get_by_role("link", name="Summary").click()
    expect(page).to_have_url(re.compile(r"/organizations/{}(\?|$)".format(school["id"])))
    expect(page.get_by_role("heading", level=1)).to_have_text(school["name"])
    checked(page)
    page.get_by_role("link", name="Order History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order History")


def test_wrong_access_codes_get_one_generic_error_and_five_hold_the_account_off(
        page, context, new_coordinator, portal):
    school = portal.register_organization()
    code = portal.issue_access_code(school["id"])
    new_coordinator()
    page.goto("/get-access")
    page.get_by_label("Zip code").fill(school["zip"])
    page.get_by_role("button", name="Find organizations").click()
    page.get_by_label("Organization name").select_option(school["name"])
    wrong = ["AAAA-BBBB-CCCC", "AAAA-BBBB-CCCD", "0000-0000-0000", "ZZZZ-ZZZZ-ZZZZ",
             "hello"]
    for attempt, typed in enumerate(wrong):
        page.get_by_label("Access code").fill(typed)
        page.get_by_role("button", name="Get access").click()
        expect_error_summary(page, GENERIC_CODE_ERROR)
        expect(page.get_by_label("Access code")).to_have_accessible_description(
            re.compile(re.escape(GENERIC_CODE_ERROR)))
        expect(page.get_by_label("Zip code")).to_have_value(school["zip"])
        expect(page.get_by_label("Organization name")).to_have_value(school["name"])
        expect(page.get_by_label("Access code")).to_have_value(typed)
        if attempt == 0:
            checked(page)

    # held off now, even with the right code, and told for how long
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Get access").click()
    held = expect_error_summary(page, "Try again in")
    expect(held).to_contain_text(re.compile(r"Try again in \d+ minutes?"))
    expect(page.get_by_label("Access code")).to_have_accessible_description(
        re.compile(r"Try again in \d+ minutes?"))
    expect(page).to_have_url(re.compile(r"/get-access$"))
    checked(page)
    page.goto("/welcome")
    expect(page.get_by_role("heading", name="Your organizations this academic year")) \
        .to_have_count(0)
    me = portal.get("/api/me", {"Authorization": "Bearer " + session_token(context)})
    assert me.json()["organizations"] == []


def test_asking_for_an_access_code_goes_to_the_program_or_the_coordinator_on_file(
        page, new_coordinator, portal, system_env):
    coordinator, school = portal.coordinator_of()  # its profile names a coordinator
    unlisted = portal.register_organization()
    requester = new_coordinator("Kim Requester")
    page.get_by_role("link", name="Don't have an access code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Don't have an access code")
    checked(page)
    page.get_by_role("button", name="Send request").click()  # nothing filled in
    summary = expect_error_summary(page, "Enter the organization's name.")
    expect(summary.get_by_role("link", name="Enter a message.")).to_be_visible()
    checked(page)

    def ask(organization, role, message):
        page.get_by_label("Organization name").fill(organization["name"])
        page.get_by_label("Zip code").fill(organization["zip"])
        page.get_by_role("group", name="Your role").get_by_label(role).check()
        page.get_by_label("Message").fill(message)
        page.get_by_role("button", name="Send request").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your request was sent")

    ask(unlisted, "CLEP coordinator", "I am the new CLEP coordinator here.")
    expect(page.get_by_role("main")).to_contain_text(
        f"Your request for the access code of {unlisted['name']} went to the CLEP program.")
    checked(page)

    page.get_by_role("link", name="Back to Welcome").click()
    page.get_by_role("link", name="Don't have an access code").click()
    ask(school, "Someone else at the organization", "I teach AP Biology and proctor CLEP.")
    expect(page.get_by_role("main")).to_contain_text(
        f"Your request for access to {school['name']} was referred to the organization's "
        "CLEP coordinator on file")
    expect(page.get_by_role("main")).not_to_contain_text("the CLEP program")
    checked(page)

    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(coordinator.email))
    assert school["name"] in str(mail["Subject"])
    body = body_of(mail)
    assert requester.email in body and "Kim Requester" in body
    assert "I teach AP Biology and proctor CLEP." in body


def test_the_link_in_an_access_code_email_opens_get_access(page, portal, system,
                                                             system_env):
    coordinator, school = portal.coordinator_of()
    code = portal.issue_access_code(school["id"])  # again: now mailed to the coordinator
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(coordinator.email))
    body = body_of(mail)
    assert code in body
    [link] = links_in(body)
    assert link.startswith(system.base_url + "/"), (link, system.base_url)

    page.goto(link)  # not signed in yet: signing in leads on to the link's page
    expect(page).to_have_url(re.compile(r"/sign-in\?next=" + re.escape(path_of(link)) + "$"))
    checked(page)
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(coordinator.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Get access to My CLEP")
    expect(page.get_by_label("Zip code")).to_be_editable()
    checked(page)
    page.goto(link)  # and signed in, straight there
    expect(page.get_by_role("heading", level=1)).to_have_text("Get access to My CLEP")
