"""Steps the browser tests of getting access and of the portal's security share."""
import re
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

from tests.browser.conftest import Coordinator

SESSION_COOKIE = "clep_session"
EVIL_ORIGIN = "http://evil.example"
GENERIC_CODE_ERROR = "The zip code, organization name and access code do not match our records."


def session_cookie(context):
    """The browser's session cookie (a dict as Playwright gives it), or None."""
    return next((cookie for cookie in context.cookies() if cookie["name"] == SESSION_COOKIE),
                None)


def session_token(context):
    cookie = session_cookie(context)
    assert cookie is not None, "no {} cookie: not signed in".format(SESSION_COOKIE)
    return cookie["value"]


def signed_in_as(page, account, name="Pat Coordinator"):
    """Sign an account made through the API in through the sign-in page."""
    person = Coordinator(page, account.email, account.password, name)
    person.sign_in()
    return person


def csrf_of(page):
    """The CSRF token the page's forms carry (a hidden field: it has no accessible name)."""
    return page.locator("input[name=csrf_token]").first.input_value()


def fill_contact(group, name, email, phone):
    group.get_by_label("Name").fill(name)
    group.get_by_label("Email").fill(email)
    group.get_by_label("Phone").fill(phone)


def links_in(text):
    return re.findall(r"https?://\S+", text)


def path_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def same_origin(base_url):
    parts = urlsplit(base_url)
    return "{}://{}".format(parts.scheme, parts.netloc)


def raw(method, base_url, path, token=None, origin=None, **kwargs):
    """A request as another site's page (or a script) could make it: the session cookie
    sent along, the Origin given, no redirect followed."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Cookie"] = "{}={}".format(SESSION_COOKIE, token)
    if origin is not None:
        headers["Origin"] = origin
    return requests.request(method, base_url + path, headers=headers, allow_redirects=False,
                            timeout=30, **kwargs)


def csp_directives(header):
    """{"script-src": ["'self'"], ...} of a Content-Security-Policy header."""
    directives = {}
    for part in (header or "").split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def expect_error_summary(page, message):
    """The error summary at the top of the page, with this message in it."""
    summary = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    return summary
