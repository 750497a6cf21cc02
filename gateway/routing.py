"""Declaring a route: its auth, its input schemas, its answer; also feeds the OpenAPI.

A handler receives a `Call`: the parsed body and query, the path values, and the caller's
bearer token. Authentication by static token (operations, partner) happens here; session
tokens are checked by the access service, which owns sessions. A session route also
takes the portal's session cookie instead of a bearer token (so the portal's downloads and
its script use the same routes), with the CSRF checks when the request changes something.
"""
import functools
import re
import secrets
from dataclasses import dataclass, field

from gateway.browser_session import SAFE_METHODS, check_csrf, session_cookie
from gateway.client_input import parse_json_object, unstorable_fields
from gateway.http import api
from services.common.errors import Forbidden, InvalidInput, NotAuthenticated
from services.common.validation import instance_of, load as load_checked  # the services' own rules

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
    path_params: type = None  # a schema of the path's text values (ids are checked by type)
    headers: type = None
    replayed: bool = False  # the same Idempotency-Key again answers 200 with what it made
    body_optional: bool = False  # an empty body is read as {}
    upload: str = None  # a raw body of this media type (a CSV file), read by the handler

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
    headers: dict = field(default_factory=dict)


def route(method, path, *, auth, summary, tag, body=None, query=None, response=None,
          status=200, errors=(), content_type="application/json", path_params=None,
          headers=None, replayed=False, body_optional=False, upload=None):
    """An API route. `body`, `query`, `path_params` and `headers` are the marshmallow
    schemas its input is loaded with before the handler runs, and the OpenAPI document
    states; a headers schema names its fields by `data_key` (the header's name) and may
    give the `error_code` its refusal has."""
    assert auth in AUTH_KINDS
    spec = RouteSpec(method, path, auth, summary, tag, body, query, response, status,
                     errors, content_type, path_params, headers, replayed, body_optional,
                     upload)
    ROUTES.append(spec)

    def decorate(handler):
        @functools.wraps(handler)
        def entrypoint(self, request, **path_values):
            call = Call(request=request)
            if auth != "none":
                call.token = caller_token(request, auth, self.config.get("PUBLIC_URL"))
                check_token_kind(self, auth, call.token)
            if body is not None:
                sent = {} if body_optional and not request.get_data(cache=True).strip() \
                    else read_json(request)
                call.body = load(body, sent)
            if query is not None:
                call.query = load(query, request.args.to_dict())
            if path_params is not None:
                load(path_params, path_values)
            if headers is not None:
                call.headers = load_headers(headers, request)
            return handler(self, call, **path_values)
        return api(method, path)(entrypoint)
    return decorate


def caller_token(request, auth, public_url=None):
    """The bearer token; for session routes, failing that, the browser's session cookie."""
    if "Authorization" in request.headers or auth != "session":
        return bearer_token(request)
    cookie = session_cookie(request)
    if cookie:
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


def check_token_kind(service, auth, token):
    """Static tokens for operations and partners, session tokens for the rest: a valid token
    of another kind is 403 `wrong_token_kind` whichever way round, an unknown one 401.
    (On a session route the access service checks the session itself, later.)"""
    config = service.config
    static = {"operations": config.get("OPERATIONS_TOKEN"), "partner": config.get("PARTNER_TOKEN")}
    kind = next((name for name, value in static.items() if _matches(value, token)), None)
    if kind == auth or (kind is None and auth == "session"):
        return
    if kind is None and not _is_session(service, token):
        raise NotAuthenticated("not_authenticated", "Unknown token.")
    raise Forbidden("wrong_token_kind", "This token cannot be used here.")


def _is_session(service, token):
    try:
        service.access.authenticate(token, require_terms=False)
    except NotAuthenticated:
        return False
    return True


def read_json(request):
    return parse_json_object(request.get_data(cache=False))


def header_text(value):
    """A header as the client wrote it: HTTP hands headers over as latin-1, so a UTF-8 value
    (`é` as two bytes) would count, and be stored, as two characters of mojibake."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not UTF-8: keep what latin-1 made of it
        return value


def load_headers(schema, request):
    """The headers `schema` names, as text and trimmed, loaded by it."""
    sent = {}
    for loaded in instance_of(schema).fields.values():
        name = loaded.data_key or loaded.name
        if name in request.headers:
            sent[name] = header_text(request.headers[name]).strip()
    try:
        return load(schema, sent)
    except InvalidInput as invalid:
        raise InvalidInput(getattr(schema, "error_code", invalid.code),
                           getattr(schema, "error_message", invalid.message),
                           fields=invalid.fields)


def load(schema, data):
    """`data` (a JSON body, a query, a form) loaded by `schema` (the services' own rules);
    InvalidInput naming the fields otherwise, including values no database would store."""
    unstorable = unstorable_fields(data)
    if unstorable:
        raise InvalidInput("invalid_input", "Some fields are invalid.", fields=unstorable)
    return load_checked(schema, data)
