"""Browser tests of the portal's security: the session cookie script cannot read, requests
from other sites refused, the security headers on every page, markup shown as text, and
bearer tokens for API clients next to browser sessions."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import checked
from tests.browser.steps import (EVIL_ORIGIN, csp_directives, csrf_of, path_of, raw,
                                 same_origin, session_cookie, session_token, signed_in_as)
from tests.e2e.checks import error_of

SCRIPT_STORAGE = ("() => JSON.stringify([document.cookie, Object.keys(localStorage), "
                  "Object.keys(sessionStorage), Object.values(localStorage), "
                  "Object.values(sessionStorage)])")


@pytest.fixture
def signed_in(page, portal):
    """A coordinator made through the API (its bearer token in `account.headers`), with a
    complete profile and one order with a PO number, signed in in the browser: returns
    (account, organization, order)."""
    portal.set_fees()
    account, organization = portal.coordinator_of()
    placed = portal.place_order(account, organization["id"], quantity=3, po_number="PO-1001")
    assert placed.status_code == 201, placed.text
    signed_in_as(page, account)
    return account, organization, placed.json()


def profile_of(portal, account, organization):
    response = portal.get(f"/api/organizations/{organization['id']}/profile", account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def po_number_of(portal, account, organization, order):
    return portal.order(account, organization["id"], order["id"]).json()["po_number"]


def profile_form(csrf=None, **changes):
    form = {"coordinator.name": "Mallory Attacker", "coordinator.email": "mallory@evil.example",
            "coordinator.phone": "313-555-0199", "second_contact.role": "principal",
            "second_contact.name": "Dana Principal",
            "second_contact.email": "principal@example.org",
            "second_contact.phone": "313-555-0101",
            "billing_contact.same_as_coordinator": "yes"}
    if csrf is not None:
        form["csrf_token"] = csrf
    form.update(changes)
    return form


def test_the_session_cookie_is_http_only_and_script_sees_no_token(page, context, portal,
                                                                    system):
    account = portal.new_account()
    signed_in_as(page, account)
    cookie = session_cookie(context)
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"], cookie["path"]) == (
        True, "Lax", False, "/"), cookie
    token = cookie["value"]

    # as the server sets it, over http
    answer = raw("POST", system.base_url, "/sign-in", origin=same_origin(system.base_url),
                 data={"email": account.email, "password": account.password, "next": "/"})
    assert answer.status_code == 303, answer.text
    set_cookie = answer.headers["Set-Cookie"]
    assert set_cookie.startswith("clep_session="), set_cookie
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes and "secure" not in attributes
    assert "SameSite=Lax" in set_cookie

    # script on the portal's pages finds no token anywhere
    for path in ("/welcome", "/get-access"):
        page.goto(path)
        expect(page.get_by_role("banner").get_by_role("button", name="Sign out")) \
            .to_be_visible()
        seen = page.evaluate(SCRIPT_STORAGE)
        assert token not in seen, seen
        document_cookie, *storage = json.loads(seen)
        assert "clep_session" not in document_cookie
        assert storage == [[], [], [], []], storage


def test_requests_from_another_site_are_refused_and_change_nothing(page, context, portal,
                                                                    system, signed_in):
    account, organization, order = signed_in
    base = system.base_url
    page.goto(f"/organizations/{organization['id']}/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization profile")
    checked(page)
    csrf, token = csrf_of(page), session_token(context)
    profile_before = profile_of(portal, account, organization)
    profile_path = f"/organizations/{organization['id']}/profile"
    order_path = f"/api/organizations/{organization['id']}/orders/{order['id']}"

    # with the cookie and even the right CSRF token, but from another site: 403
    refused = raw("POST", base, profile_path, token, EVIL_ORIGIN, data=profile_form(csrf))
    assert refused.status_code == 403, refused.text
    assert "did not come from a page of this site" in refused.text
    assert "Set-Cookie" not in refused.headers
    refused = raw("PATCH", base, order_path, token, EVIL_ORIGIN,
                  headers={"X-CSRF-Token": csrf}, json={"po_number": "EVIL-1"})
    assert error_of(refused, 403)["code"] == "cross_site_request"
    refused = raw("POST", base, "/sign-out", token, EVIL_ORIGIN, data={"csrf_token": csrf})
    assert refused.status_code == 403, refused.text
    assert "Set-Cookie" not in refused.headers
    # a Referer of another site and no Origin: the same
    refused = raw("POST", base, profile_path, token, headers={"Referer": EVIL_ORIGIN + "/x"},
                  data=profile_form(csrf))
    assert refused.status_code == 403, refused.text

    # from this site, but without the form's CSRF token (or with another session's): 403
    refused = raw("POST", base, profile_path, token, same_origin(base), data=profile_form())
    assert refused.status_code == 403, refused.text
    assert "This form has expired or did not come from this site" in refused.text
    refused = raw("POST", base, profile_path, token, same_origin(base),
                  data=profile_form("0" * 64))
    assert refused.status_code == 403, refused.text
    refused = raw("PATCH", base, order_path, token, same_origin(base),
                  json={"po_number": "EVIL-2"})
    assert error_of(refused, 403)["code"] == "csrf_token_invalid"

    # nothing changed, and the session still works
    assert profile_of(portal, account, organization) == profile_before
    assert po_number_of(portal, account, organization, order) == "PO-1001"
    page.goto(f"/organizations/{organization['id']}/orders")
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("row", name=f"Order {order['id']}")).to_contain_text("PO-1001")
    me = portal.get("/api/me", {"Authorization": "Bearer " + token})
    assert me.status_code == 200 and me.json()["email"] == account.email

    # what the portal's own script sends (same origin and the token) does go through
    allowed = raw("PATCH", base, order_path, token, same_origin(base),
                  headers={"X-CSRF-Token": csrf}, json={"po_number": "PO-2002"})
    assert allowed.status_code == 200, allowed.text
    page.reload()
    expect(page.get_by_role("row", name=f"Order {order['id']}")).to_contain_text("PO-2002")


def test_another_sites_form_in_the_browser_neither_changes_nor_signs_out(page, context,
                                                                          portal, system,
                                                                          signed_in):
    """A page on another site with a form that posts to the portal, submitted in the same
    browser (SameSite=Lax keeps the cookie off the request): the profile stays as it was
    and the person stays signed in."""
    account, organization, _ = signed_in
    base = system.base_url
    profile_before = profile_of(portal, account, organization)
    fields = "".join('<input type="hidden" name="{}" value="{}">'.format(name, value)
                     for name, value in profile_form().items())
    evil_page = ("<!DOCTYPE html><html lang='en'><head><title>Prizes</title></head><body>"
                 "<main><h1>You won</h1>"
                 f"<form method='post' action='{base}/organizations/{organization['id']}"
                 f"/profile'>{fields}<button type='submit'>Claim your prize</button></form>"
                 f"<form method='post' action='{base}/sign-out'>"
                 "<button type='submit'>Unsubscribe</button></form></main></body></html>")
    context.route(f"{EVIL_ORIGIN}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=evil_page))
    signed_out_by = []
    for button in ("Claim your prize", "Unsubscribe"):
        cookie = session_cookie(context)
        page.goto(EVIL_ORIGIN + "/prize")
        page.get_by_role("button", name=button).click()
        expect(page).to_have_url(re.compile("^" + re.escape(base)))
        assert profile_of(portal, account, organization) == profile_before
        if session_cookie(context) is None:  # the portal's answer deleted the cookie
            signed_out_by.append((button, path_of(page.url)))
            context.add_cookies([cookie])  # (the session itself is still valid)
        page.goto("/welcome")
        expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to My CLEP")
        expect(page.get_by_role("banner").get_by_role("button", name="Sign out")) \
            .to_be_visible()
    assert not signed_out_by, (
        "another site's form signed the person out (the portal answered with the sign-in "
        "page and deleted the session cookie): {}".format(signed_out_by))


def test_another_site_cannot_frame_the_portal(page, context, system):
    base = system.base_url
    for path in ("/sign-in", "/no-such-page"):
        headers = raw("GET", base, path).headers
        assert headers["X-Frame-Options"] == "DENY"
        assert csp_directives(headers["Content-Security-Policy"])["frame-ancestors"] == [
            "'none'"]
    framing = ("<!DOCTYPE html><html lang='en'><head><title>Framing</title></head><body>"
               f"<h1>Another site</h1><iframe title='Portal' src='{base}/sign-in'></iframe>"
               "</body></html>")
    context.route(f"{EVIL_ORIGIN}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=framing))
    page.goto(EVIL_ORIGIN + "/frame")  # returns after the frame's load (or refusal)
    [frame] = [frame for frame in page.frames if frame != page.main_frame]
    assert not frame.url.startswith(base), frame.url
    expect(page.frame_locator("iframe").get_by_role("button", name="Sign in")) \
        .to_have_count(0)
    expect(page.frame_locator("iframe").get_by_label("Password")).to_have_count(0)


def test_every_page_has_the_security_headers(page, browser, system, signed_in):
    """A tour of the portal; every answer has the CSP (script only from the portal itself),
    nosniff and a Referrer-Policy; its pages are never stored by a cache."""
    _, organization, _ = signed_in
    org = f"/organizations/{organization['id']}"
    tour = {"/welcome": "Welcome to My CLEP", "/get-access": "Get access to My CLEP",
            "/terms": "Portal terms of use", f"{org}/profile": "Organization profile",
            org: organization["name"], f"{org}/orders": "Order History",
            f"{org}/scores": "Scores", f"{org}/invoices": "Invoices",
            f"{org}/orders/new": "Start an Order", "/no-such-page": "Page not found"}
    problems = []

    def check_headers(response, html=True):
        headers = response.headers  # lower-case names
        where = response.url
        csp = csp_directives(headers.get("content-security-policy"))
        script_src = csp.get("script-src", csp.get("default-src", []))
        if "'self'" not in script_src or "'unsafe-inline'" in script_src \
                or "'unsafe-eval'" in script_src:
            problems.append((where, "script-src", script_src))
        if headers.get("x-content-type-options") != "nosniff":
            problems.append((where, "x-content-type-options",
                             headers.get("x-content-type-options")))
        if not headers.get("referrer-policy"):
            problems.append((where, "referrer-policy", None))
        if html and "no-store" not in headers.get("cache-control", ""):
            problems.append((where, "cache-control", headers.get("cache-control")))

    signed_out = browser.new_context(base_url=system.base_url)  # the signed-out pages
    try:
        other = signed_out.new_page()
        for path, heading in (("/sign-in", "Sign in"),
                              ("/create-account", "Create a professional account")):
            response = other.goto(path)
            expect(other.get_by_role("heading", level=1)).to_have_text(heading)
            check_headers(response)
            checked(other)
    finally:
        signed_out.close()

    for path, heading in tour.items():
        response = page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if path == "/no-such-page":
            assert response.status == 404
        check_headers(response)
        checked(page)
    stylesheet = page.locator("link[rel=stylesheet]").get_attribute("href")
    script = page.locator("script[src]").get_attribute("src")
    for asset in (stylesheet, script):
        response = page.request.get(asset)
        assert response.status == 200, asset
        check_headers(response, html=False)
    assert not problems, problems


def test_markup_typed_into_a_name_is_shown_as_text_and_never_run(page, new_coordinator):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    markup = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    new_coordinator(name=markup)
    expect(page.get_by_role("banner")).to_contain_text(markup)
    expect(page.get_by_role("img")).to_have_count(0)
    checked(page)

    # typed into a form that shows it again (in value attributes) and on its answer page
    page.get_by_role("link", name="Don't have an access code").click()
    organization_name = "\"><script>alert(3)</script> & <b>Sons</b>"
    page.get_by_label("Organization name").fill(organization_name)
    page.get_by_label("Zip code").fill("48201")
    page.get_by_role("group", name="Your role").get_by_label("CLEP coordinator").check()
    page.get_by_role("button", name="Send request").click()  # no message: shown again
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Organization name")).to_have_value(organization_name)
    checked(page)
    page.get_by_label("Message").fill("<script>alert(4)</script>")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request was sent")
    expect(page.get_by_role("main")).to_contain_text(organization_name)
    page.reload()
    expect(page.get_by_role("banner")).to_contain_text(markup)
    assert dialogs == []


def test_bearer_tokens_keep_working_next_to_a_browser_session(page, context, portal,
                                                              signed_in):
    account, organization, order = signed_in
    browser_token = session_token(context)
    assert browser_token != account.token  # the browser signed in for a session of its own
    me = portal.get("/api/me", account.headers)
    assert me.status_code == 200 and me.json()["email"] == account.email
    changed = portal.patch(f"/api/organizations/{organization['id']}/orders/{order['id']}",
                           account.headers, json={"po_number": "PO-API-7"})
    assert changed.status_code == 200, changed.text
    page.goto(f"/organizations/{organization['id']}/orders")
    expect(page.get_by_role("row", name=f"Order {order['id']}")).to_contain_text("PO-API-7")

    # signing out in the browser ends the browser's session, not the API client's
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    error_of(portal.get("/api/me", {"Authorization": "Bearer " + browser_token}), 401)
    assert portal.get("/api/me", account.headers).status_code == 200
