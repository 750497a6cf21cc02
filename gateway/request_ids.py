"""Each HTTP request's correlation id: the caller's, when it is sane, else a new one.

A caller (a proxy, the registration system) may name its request with `X-Request-Id` or
`X-Correlation-Id`; an id of 8 to 128 characters among letters, digits and `._:+=/-` is
taken as it is (services/common/correlation.py), anything else is replaced, never
written to a log or passed on. Every response says which id its request ran under, in
`X-Request-Id`; the request's worker gets it in its context_data (ApiServer), which
nameko sends with every RPC the worker makes.
"""
from services.common import correlation

REQUEST_HEADERS = ("HTTP_X_REQUEST_ID", "HTTP_X_CORRELATION_ID")  # as WSGI names them
RESPONSE_HEADER = "X-Request-Id"
ENVIRON_KEY = "clep.correlation_id"


def request_id(environ):
    """The caller's id if one of the headers holds a sane one, else a new id."""
    for name in REQUEST_HEADERS:
        sent = correlation.sane(environ.get(name, "").strip())
        if sent:
            return sent
    return correlation.new_id()


def with_request_ids(app):
    """WSGI middleware: the request's id chosen, current while the app answers (lines
    logged outside the worker carry it too) and named in the response."""
    def app_with_ids(environ, start_response):
        correlation_id = environ[ENVIRON_KEY] = request_id(environ)

        def start(status, headers, exc_info=None):
            return start_response(status, list(headers) + [(RESPONSE_HEADER, correlation_id)],
                                  exc_info)
        token = correlation.bind(correlation_id)
        try:
            return app(environ, start)
        finally:
            correlation.unbind(token)
    return app_with_ids


def context_data(request):
    """The context_data of the request's worker."""
    return {correlation.KEY: request.environ.get(ENVIRON_KEY) or correlation.new_id()}
