"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas."""
import functools
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.browser_session import COOKIE_NAME
from gateway.schemas.common import ErrorOut
from gateway.routing import ROUTES

DESCRIPTIONS = {400: "Invalid input", 401: "Not signed in", 403: "Not allowed",
                404: "Not found", 405: "Method not allowed", 409: "State conflict",
                410: "Gone",
                422: "Idempotency-Key reused with another body", 429: "Too many attempts",
                503: "A service did not answer in time"}


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
    for route in ROUTES:
        operation = {"summary": route.summary, "tags": [route.tag], "responses": {}}
        if route.auth == "session":
            operation["security"] = [{"session": []}, {"portal_session": []}]
        elif route.auth != "none":
            operation["security"] = [{route.auth: []}]
        parameters = [{"in": "path", "name": name, "required": True,
                       "schema": {"type": "integer" if converter == "int" else "string"}}
                      for converter, name in _path_parameters(route.path)]
        if route.query is not None:
            parameters.append({"in": "query", "schema": route.query})
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": route.body}}}
        success = {"description": "OK"}
        if route.response is not None:
            success["content"] = {route.content_type: {"schema": route.response}}
        elif route.content_type != "application/json":
            success["content"] = {route.content_type: {"schema": {"type": "string"}}}
        operation["responses"][str(route.status)] = success
        for status in route.errors + ((503,) if route.auth != "none" else ()):
            operation["responses"][str(status)] = {
                "description": DESCRIPTIONS[status],
                "content": {"application/json": {"schema": "Error"}}}
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path_parameters(path):
    return [(match.group(1) or "string", match.group(2))
            for match in re.finditer(r"<(?:(\w+):)?(\w+)>", path)]
