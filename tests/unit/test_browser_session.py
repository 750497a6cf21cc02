"""Browser sessions: the cookie that carries the access service's token, and the CSRF
checks a state-changing request riding on it must pass (issue 9)."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from gateway.browser_session import (COOKIE_NAME, check_csrf, csrf_token, set_session_cookie)
from gateway.routing import caller_token
from services.common.errors import Forbidden, NotAuthenticated

TOKEN = "session-token-from-the-access-service"
SITE = "http://portal.example"


def request(method="POST", headers=None, cookie=TOKEN, url=SITE + "/organizations/1/profile",
            data=None):
    builder = EnvironBuilder(method=method, base_url=SITE, path=url[len(SITE):],
                             headers=headers or {}, data=data)
    if cookie:
        builder.headers["Cookie"] = "{}={}".format(COOKIE_NAME, cookie)
    return builder.get_request()


def test_the_csrf_token_is_per_session_and_not_the_session_token():
    assert csrf_token(TOKEN) == csrf_token(TOKEN)
    assert csrf_token(TOKEN) != csrf_token(TOKEN + "x")
    assert TOKEN not in csrf_token(TOKEN)


def test_a_same_origin_request_with_the_sessions_token_passes():
    check_csrf(request(headers={"Origin": SITE}), TOKEN, csrf_token(TOKEN))
    check_csrf(request(headers={"Referer": SITE + "/organizations/1/profile"}), TOKEN,
               csrf_token(TOKEN))
    check_csrf(request(headers={"Origin": SITE, "X-CSRF-Token": csrf_token(TOKEN)}), TOKEN)


def test_behind_a_tls_proxy_the_public_url_is_this_site():
    # the proxy speaks http to the gateway; the browser's page was https://portal.example
    check_csrf(request(headers={"Origin": "https://portal.example"}), TOKEN, csrf_token(TOKEN),
               public_url="https://portal.example/")
    with pytest.raises(Forbidden):
        check_csrf(request(headers={"Origin": "https://evil.example"}), TOKEN,
                   csrf_token(TOKEN), public_url="https://portal.example/")


@pytest.mark.parametrize("headers, submitted", [
    ({"Origin": "http://evil.example"}, csrf_token(TOKEN)),          # another site
    ({"Origin": "https://portal.example"}, csrf_token(TOKEN)),       # another scheme
    ({"Origin": "http://portal.example.evil.example"}, csrf_token(TOKEN)),
    ({"Referer": "http://evil.example/portal.example"}, csrf_token(TOKEN)),
    ({}, csrf_token(TOKEN)),                                         # says nothing
    ({"Origin": "null"}, csrf_token(TOKEN)),                         # sandboxed frame
    ({"Origin": SITE}, ""),                                          # no token
    ({"Origin": SITE}, csrf_token("another session")),               # another session's
    ({"Origin": SITE}, "é" * 10),                                    # not even ASCII
])
def test_a_cross_site_or_tokenless_request_is_forbidden(headers, submitted):
    with pytest.raises(Forbidden):
        check_csrf(request(headers=headers), TOKEN, submitted)


def test_the_cookie_is_httponly_samesite_lax_and_secure_as_configured():
    for setting, scheme, secure in (("auto", "http", False), ("auto", "https", True),
                                    ("true", "http", True), ("false", "https", False)):
        response = Response()
        built = EnvironBuilder(base_url="{}://portal.example".format(scheme)).get_request()
        set_session_cookie(response, {"SESSION_COOKIE_SECURE": setting}, built, TOKEN)
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("{}={};".format(COOKIE_NAME, TOKEN))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert ("Secure" in cookie) is secure, (setting, scheme, cookie)


def test_api_session_routes_take_the_cookie_and_check_csrf_when_changing_something():
    assert caller_token(request(method="GET"), "session") == TOKEN
    with pytest.raises(Forbidden):  # a PATCH from the cookie alone: no CSRF header
        caller_token(request(method="PATCH", headers={"Origin": SITE}), "session")
    assert caller_token(request(method="PATCH", headers={
        "Origin": SITE, "X-CSRF-Token": csrf_token(TOKEN)}), "session") == TOKEN


def test_a_bearer_token_wins_over_the_cookie_and_needs_no_csrf():
    sent = request(method="POST", headers={"Authorization": "Bearer api-client-token"})
    assert caller_token(sent, "session") == "api-client-token"


def test_operations_and_partner_routes_never_take_the_cookie():
    with pytest.raises(NotAuthenticated):
        caller_token(request(method="GET"), "operations")
    with pytest.raises(NotAuthenticated):
        caller_token(request(method="GET", cookie=None), "session")
