"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas."""
import functools
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.browser_session import COOKIE_NAME
from gateway.schemas.common import ErrorOut
from gateway.routing import ROUTES

METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

DESCRIPTIONS = {400: "Invalid input", 401: "Not signed in: no token, or an unknown or "
                                           "expired one",
                403: "Not allowed; `wrong_token_kind` for a valid token of another kind "
                     "(a session token where the operations or partner token is needed, "
                     "or the other way round)",
                404: "Not found", 405: "Method not allowed", 409: "State conflict",
                410: "Gone", 413: "The request body is over 2 MiB",
                422: "Idempotency-Key reused with another body", 429: "Too many attempts",
                503: "A service or the message broker did not answer; see Retry-After"}


@functools.lru_cache(maxsize=1)
def openapi_document():
    spec = APISpec(title="CLEP professional portal", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Coordinators, operations and partner systems."})
    spec.components.schema("Error", schema=ErrorOut)
    for kind in ("session", "operations", "partner"):
        spec.components.security_scheme(kind, {"type": "http", "scheme": "bearer",
                                               "description": "{} token".format(kind)})
    spec.components.security_scheme("portal_session", {
        "type": "apiKey", "in": "cookie", "name": COOKIE_NAME,
        "description": "The portal's session cookie, instead of a session token; a request "
                       "that changes something also needs the X-CSRF-Token header and an "
                       "Origin of this site."})
    paths = {}
    # one order whatever imported the route modules first: by tag, path, then method
    for route in sorted(ROUTES, key=lambda route: (
            route.tag, route.openapi_path, METHOD_ORDER.index(route.method))):
        operation = {"summary": route.summary, "tags": [route.tag], "responses": {}}
        if route.auth == "session":
            operation["security"] = [{"session": []}, {"portal_session": []}]
        elif route.auth != "none":
            operation["security"] = [{route.auth: []}]
        operation_parameters = _parameters(route)
        if operation_parameters:
            operation["parameters"] = operation_parameters
        if route.body is not None:
            operation["requestBody"] = {"required": not route.body_optional, "content": {
                "application/json": {"schema": route.body}}}
        elif route.upload is not None:
            operation["requestBody"] = {"required": True, "content": {
                route.upload: {"schema": {"type": "string"}}}}
        success = {"description": "OK"}
        if route.response is not None:
            success["content"] = {route.content_type: {"schema": route.response}}
        elif route.content_type != "application/json":
            success["content"] = {route.content_type: {"schema": {"type": "string"}}}
        operation["responses"][str(route.status)] = success
        if route.replayed:
            operation["responses"]["200"] = dict(
                success, description="Made before with this Idempotency-Key: the same answer")
        for status in sorted(set(route.errors) | _answered_by_every(route)):
            operation["responses"][str(status)] = {
                "description": DESCRIPTIONS[status],
                "content": {"application/json": {"schema": "Error"}}}
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _parameters(route):
    """Path, query and header parameters: the route's own schemas where it has them
    (apispec turns a schema's fields into parameters), a path's ids otherwise."""
    named = set(route.path_params().fields) if route.path_params is not None else set()
    parameters = [{"in": "path", "name": name, "required": True,
                   "schema": {"type": "integer" if converter == "int" else "string"}}
                  for converter, name in _path_parameters(route.path) if name not in named]
    for location, schema in (("path", route.path_params), ("query", route.query),
                             ("header", route.headers)):
        if schema is not None:
            parameters.append({"in": location, "schema": schema})
    return parameters


def _answered_by_every(route):
    """What any route of its kind may answer, besides its own errors."""
    statuses = set()
    if "<" in route.path:  # a path value of the wrong shape is no address (404 not_found)
        statuses.add(404)
    if route.auth != "none":
        statuses |= {401, 403, 503}
    if route.body is not None or route.upload is not None:
        statuses |= {400, 413}
    if route.query is not None or route.path_params is not None or route.headers is not None:
        statuses.add(400)
    return statuses


def _path_parameters(path):
    return [(match.group(1) or "string", match.group(2))
            for match in re.finditer(r"<(?:(\w+):)?(\w+)>", path)]
