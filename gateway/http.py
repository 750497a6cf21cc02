"""nameko's HTTP entrypoint, speaking the API's JSON errors for every failure.

Unknown routes and wrong methods (answered by the WSGI app before any entrypoint runs)
and every exception an entrypoint raises come back as `{"error": {...}}`; an unexpected
exception is logged and answered with a plain 500, never with a traceback.
"""
import json
import logging

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Request, Response

from gateway.errors import error_response, response_for
from services.common.errors import ClepError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024


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
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return http_error_response(exc)(environ, start_response)
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY_BYTES
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class IdConverter(IntegerConverter):
    """`<int:...>` in our routes: at most 9 digits. A longer id is no address at all (404),
    rather than a number that overflows the database driver. (Rejecting it in to_python
    instead would make werkzeug answer 405 when another method's rule has the same path.)"""
    regex = r"\d{1,9}"


class ApiServer(WebServer):
    def make_url_map(self):
        url_map = Map(converters={"int": IdConverter})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, **kwargs)
        # an idle keep-alive connection must not hold up a graceful stop for long
        server.socket_timeout = 30
        return server


class ApiHandler(HttpRequestHandler):
    server = ApiServer()

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
