"""An HTTP request's correlation id (gateway/request_ids.py): the caller's when it is sane,
else a new one; named in the response, current while the request is answered and given
to its worker."""
import re

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from gateway.request_ids import context_data, with_request_ids
from services.common import correlation

NEW_ID = re.compile(r"[0-9a-f]{32}")


def answered(headers):
    """(the response's id, the id current in the app, the worker's context_data)."""
    seen = {}

    def app(environ, start_response):
        seen["current"] = correlation.current_id()
        seen["context_data"] = context_data(Request(environ))
        return Response("ok")(environ, start_response)

    response = Client(with_request_ids(app)).get("/", headers=headers)
    return response.headers["X-Request-Id"], seen["current"], seen["context_data"]


@pytest.mark.parametrize("sent", [
    "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-5759e988-bd862e3fe1be46a994272793",
    "req_01.HX:9+/z", "x" * 128])
def test_a_sane_id_is_taken_as_sent(sent):
    assert answered({"X-Request-Id": sent}) == (sent, sent, {"correlation_id": sent})


def test_x_correlation_id_is_read_too_and_x_request_id_first():
    assert answered({"X-Correlation-Id": "corr-12345678"})[0] == "corr-12345678"
    assert answered({"X-Correlation-Id": "corr-12345678",
                     "X-Request-Id": "request-12345678"})[0] == "request-12345678"
    # a bad X-Request-Id does not hide a good X-Correlation-Id
    assert answered({"X-Correlation-Id": "corr-12345678",
                     "X-Request-Id": "bad id"})[0] == "corr-12345678"


@pytest.mark.parametrize("sent", [
    "", "short", "x" * 129, "has space inside", 'quote"d-12345', "line\\nbreak-1234",
    "<script>alert(1)</script>", "caf\u00e9-12345678", "semi;colon-1234", "%0d%0aSet-Cookie"])
def test_anything_else_is_replaced_by_a_new_id(sent):
    made, current, data = answered({"X-Request-Id": sent})
    assert NEW_ID.fullmatch(made) and made != sent
    assert current == made and data == {"correlation_id": made}


def test_no_id_sent_gets_a_new_one_each_time_and_nothing_stays_current():
    first, second = answered({})[0], answered({})[0]
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second
    assert correlation.current_id() is None


def test_a_request_that_never_passed_the_middleware_still_gets_an_id():
    request = Request.from_values("/")
    assert NEW_ID.fullmatch(context_data(request)["correlation_id"])
