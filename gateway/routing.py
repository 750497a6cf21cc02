"""Declaring a route: its auth, its input schemas, its answer; also feeds the OpenAPI.

A handler receives a `Call`: the parsed body and query, the path values, and the caller's
bearer token. Authentication by static token (operations, partner) happens here; session
tokens are checked by the access service, which owns sessions. A session route also
takes the portal's session cookie instead of a bearer token (so the portal's downloads and
its script use the same routes), with the CSRF checks when the request changes something.
"""
import functools
import json
import re
import secrets
from dataclasses import dataclass, field

from gateway.browser_session import SAFE_METHODS, check_csrf, session_cookie
from gateway.http import api
from services.common.errors import Forbidden, InvalidInput, NotAuthenticated
from services.common.validation import load  # the services' own: one way to check input

AUTH_KINDS = ("none", "session", "operations", "partner")


@dataclass
class RouteSpec:
    method: str
    path: str  # werkzeug form: /api/organizations/<int:org_id>
    auth: str
    summary: str
    tag: str
    body: type = None
    query: type = None
    response: type = None
    status: int = 200
    errors: tuple = ()
    content_type: str = "application/json"

    @property
    def openapi_path(self):
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)


ROUTES = []


@dataclass
class Call:
    request: object
    token: str = None
    body: dict = None
    query: dict = field(default_factory=dict)


def route(method, path, *, auth, summary, tag, body=None, query=None, response=None,
          status=200, errors=(), content_type="application/json"):
    assert auth in AUTH_KINDS
    spec = RouteSpec(method, path, auth, summary, tag, body, query, response, status,
                     errors, content_type)
    ROUTES.append(spec)

    def decorate(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **path_values):
            call = Call(request=request)
            if auth != "none":
                call.token = caller_token(request, auth, self.config.get("PUBLIC_URL"))
                check_token_kind(self.config, auth, call.token)
            if body is not None:
                call.body = load(body(), read_json(request))
            if query is not None:
                call.query = load(query(), request.args.to_dict())
            return handler(self, call, **path_values)
        return api(method, path)(entrypoint)
    return decorate


def caller_token(request, auth, public_url=None):
    """The bearer token; for session routes, failing that, the browser's session cookie."""
    cookie = session_cookie(request) if auth == "session" else None
    if cookie and "Authorization" not in request.headers:
        if request.method not in SAFE_METHODS:
            check_csrf(request, cookie, public_url=public_url)
        return cookie
    return bearer_token(request)


def bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("not_authenticated",
                               "Send a bearer token: Authorization: Bearer <token>.")
    return token.strip()


def _matches(configured, token):
    return bool(configured) and secrets.compare_digest(str(configured).encode(), token.encode())


def check_token_kind(config, auth, token):
    """Static tokens for operations and partners; 403 for a known token of another kind."""
    static = {"operations": config.get("OPERATIONS_TOKEN"), "partner": config.get("PARTNER_TOKEN")}
    kind = next((name for name, value in static.items() if _matches(value, token)), "session")
    if kind == auth:
        return
    if auth in static and kind == "session":
        raise NotAuthenticated("not_authenticated", "Unknown token.")
    raise Forbidden("wrong_token_kind", "This token cannot be used here.")


def read_json(request):
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise InvalidInput("malformed_json", "Send a JSON object as the request body.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("malformed_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise InvalidInput("malformed_json", "The request body must be a JSON object.")
    return data
