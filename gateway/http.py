"""nameko's HTTP entrypoint for the API and the portal: one web server for both.

Unknown routes and wrong methods (answered by the WSGI app before any entrypoint runs)
and every exception an entrypoint raises come back as `{"error": {...}}` under /api (as an
HTML page elsewhere); an unexpected exception is logged and answered with a plain 500,
never with a traceback. The server also serves the portal's static files and puts the
security headers (CSP and the rest) on every response, whoever made it. Every `@http` of
the gateway must use `api` (this server): a second nameko server would share the port.
"""
import io
import json
import logging
import socket
from time import perf_counter

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WsgiApp
from werkzeug.exceptions import (BadRequest, HTTPException, MethodNotAllowed, NotFound,
                                 RequestEntityTooLarge)
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Request, Response

from gateway.draining import DrainingWebServer
from gateway.errors import error_response, response_for
from gateway.portal.render import STATIC_DIR, error_page
from gateway.request_ids import context_data, with_request_ids
from gateway.request_metrics import observe_request
from services.common.errors import ClepError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
STATIC_CACHE_SECONDS = 7 * 24 * 3600  # asset URLs carry a content hash (render.asset_url)

# No inline script or style anywhere: the portal's script and stylesheet are files of ours.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
    "object-src 'none'"])
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def is_api_path(path):
    return path.startswith("/api/") or path == "/api" or path.startswith("/health")


def http_error_response(exc):
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", "There is nothing at this address.")
    if isinstance(exc, MethodNotAllowed):
        return error_response(405, "method_not_allowed",
                               "This address does not accept that method.",
                               headers={"Allow": ", ".join(exc.valid_methods or [])})
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(413, "body_too_large", "The request body is too large.")
    return error_response(exc.code or 400, "bad_request", "The request could not be read.")


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        started = perf_counter()  # until the response is ready (a streamed body runs later)
        rule = None
        try:
            rule, values = self.url_map.bind_to_environ(environ).match(return_rule=True)
            buffer_chunked_body(environ)
        except HTTPException as exc:
            if not is_api_path(environ.get("PATH_INFO", "")):
                response = error_page(exc.code or 400)
            else:
                response = http_error_response(exc)
        else:
            request = Request(environ, shallow=True)
            request.max_content_length = MAX_BODY_BYTES
            request.path_values = values
            response = rule.endpoint.handle_request(request)
        observe_request(rule, environ["REQUEST_METHOD"], response.status_code,
                        perf_counter() - started)
        return response(environ, start_response)


def buffer_chunked_body(environ):
    """A chunked body (`Transfer-Encoding: chunked`, no Content-Length) read here, under
    the size limit of every body, and handed on as a body of known length: werkzeug
    takes a body without a Content-Length as empty."""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
        return
    try:
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)  # eventlet joins the chunks
    except (OSError, ValueError):  # chunks that do not add up
        raise BadRequest()
    if len(body) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    del environ["HTTP_TRANSFER_ENCODING"]


class IdConverter(IntegerConverter):
    """`<int:...>` in our routes: at most 9 digits. A longer id is no address at all (404),
    rather than a number that overflows the database driver. (Rejecting it in to_python
    instead would make werkzeug answer 405 when another method's rule has the same path.)"""
    regex = r"\d{1,9}"


class ApiServer(DrainingWebServer):  # SIGTERM: gateway/draining.py
    def make_url_map(self):
        url_map = Map(converters={"int": IdConverter})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def get_wsgi_app(self):
        static = SharedDataMiddleware(JsonWsgiApp(self), {"/static": str(STATIC_DIR)},
                                      cache_timeout=STATIC_CACHE_SECONDS)
        return with_request_ids(with_security_headers(static))

    def context_data_from_headers(self, request):
        return context_data(request)  # the request's correlation id, for its RPCs

    def process_request(self, sock, address):
        # The server writes a response's headers and its body separately: without
        # TCP_NODELAY the body waits for the client's delayed ACK, about 40 ms a response.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not TCP (a test's socket pair), or already closed
            pass
        super().process_request(sock, address)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        # an idle keep-alive connection must not hold up a graceful stop for long
        server.socket_timeout = 30
        return server


def with_security_headers(app):
    """WSGI middleware: the security headers on every response that lacks them."""
    def app_with_headers(environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = list(headers) + [header for header in SECURITY_HEADERS
                                       if header[0].lower() not in present]
            return start_response(status, headers, exc_info)
        return app(environ, start)
    return app_with_headers


class ApiHandler(HttpRequestHandler):
    server = ApiServer()

    def check_signature(self, args, kwargs):
        """Nothing to check: the URL map hands every entrypoint exactly the values its
        rule names (and nameko's check, by inspect, was a twentieth of a request's CPU)."""

    def response_from_exception(self, exc):
        if isinstance(exc, ClepError):
            return response_for(exc)
        if isinstance(exc, HTTPException):
            return http_error_response(exc)
        log.error("unexpected error in %s", self.method_name, exc_info=exc)
        return error_response(500, "internal_error",
                              "Something went wrong on our side; it has been logged.")


api = ApiHandler.decorator


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload, default=str), status=status, headers=headers,
                    mimetype="application/json")
