"""Declaring a portal page: its session and CSRF checks, and what each refusal looks like.

A page handler receives a `Visit` (the request, the session token from the cookie, the
form and query) and returns a response. It calls the same RPCs as the JSON routes, which
hold every rule: the page only turns their answers, and their refusals, into HTML. A
refusal the handler does not show itself (next to a field) becomes what a person expects:
sign in again, accept the terms, complete the profile, or a page that says what happened.
"""
import functools
import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.utils import redirect as werkzeug_redirect

from gateway.browser_session import (CSRF_FIELD, check_csrf, check_same_origin,
                                     clear_session_cookie, csrf_token, session_cookie)
from gateway.errors import status_of
from gateway.http import api
from gateway.portal.render import error_page
from services.common.errors import ClepError, NotAuthenticated, ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass
class Visit:
    request: object
    token: str = None

    @property
    def form(self):
        return self.request.form

    @property
    def query(self):
        return self.request.args

    @property
    def csrf(self):
        return csrf_token(self.token) if self.token else ""

    @property
    def here(self):
        """This page's path and query: where to come back to."""
        query = self.request.query_string.decode("latin-1")
        return self.request.path + ("?" + query if query else "")


def redirect(location):
    """303 See Other: after a form, the browser GETs the next page."""
    return werkzeug_redirect(location, code=303)


def local_path(value, default="/"):
    """`value` if it is a path on this site (never another host, nothing that could not
    go into a Location header), else `default`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") \
            or "\\" in value or not value.isprintable() or not value.isascii() \
            or urlsplit(value).netloc:
        return default
    return value


def with_flag(location, name):
    """`location` with `name=1` in its query (before any #fragment), once."""
    address, hash_mark, fragment = location.partition("#")
    if "{}=1".format(name) in address.partition("?")[2].split("&"):
        return location
    return "{}{}{}=1{}{}".format(address, "&" if "?" in address else "?", name, hash_mark,
                                 fragment)


def with_next(path, next_path):
    return "{}?next={}".format(path, quote(next_path, safe="/"))


PAGES = []  # (method, path, handler name): every page, for the check that none is shadowed


def page(method, path, *, signed_in=True):
    """A portal page at `path`. `signed_in=False` for the pages of people not signed in."""

    def decorate(handler):
        PAGES.append((method, path, handler.__name__))

        @functools.wraps(handler)
        def entrypoint(self, request, **path_values):
            visit = Visit(request, token=session_cookie(request))
            try:
                if method == "POST":
                    # first: another site's form (which SameSite=Lax sends without the
                    # cookie) must not end up signing the person out
                    public_url = self.config.get("PUBLIC_URL")
                    check_same_origin(request, public_url)
                    if signed_in:
                        if not visit.token:
                            raise NotAuthenticated()
                        check_csrf(request, visit.token, request.form.get(CSRF_FIELD, ""),
                                   public_url)
                elif signed_in and not visit.token:
                    raise NotAuthenticated()
                return handler(self, visit, **path_values)
            except ClepError as refusal:
                return refused_page(self.config, visit, refusal, path_values)
            except HTTPException as refusal:  # e.g. a body over the size limit
                return error_page(refusal.code or 400)
            except Exception:
                log.exception("unexpected error on %s %s", method, path)
                return error_page(500)
        return api(method, path)(entrypoint)
    return decorate


def refused_page(config, visit, refusal, path_values):
    """What a person sees for a refusal no form showed next to its field."""
    back = visit.here if visit.request.method == "GET" else \
        local_path(urlsplit(visit.request.headers.get("Referer", "")).path)
    if isinstance(refusal, NotAuthenticated):
        response = redirect(with_next("/sign-in", back))
        clear_session_cookie(response, config, visit.request)
        return response
    if refusal.code == "terms_not_accepted":
        return redirect(with_next("/terms", back))
    if refusal.code == "profile_incomplete" and "org_id" in path_values:
        # the profile to complete may be another's: a school's district, for its schools
        owner = (refusal.details or {}).get("profile", {}).get("organization_id",
                                                                path_values["org_id"])
        return redirect("/organizations/{}/profile{}".format(
            owner, "" if owner == path_values["org_id"] else
            "?needed_for={}".format(path_values["org_id"])))
    log.info("portal %s %s refused: %s", visit.request.method, visit.request.path, refusal)
    status = status_of(refusal)
    retry_after = refusal.retry_after or (5 if isinstance(refusal, ServiceUnavailable) else None)
    return error_page(status, refusal.message if status not in (404, 503) else None,
                      retry_after=retry_after)
