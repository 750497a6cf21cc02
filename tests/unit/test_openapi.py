"""The OpenAPI document states the inputs the server checks, from the same schemas and
validators, so a client generated from it sends what the server takes."""
import re

import pytest
from marshmallow import ValidationError

from gateway.openapi import openapi_document
from gateway.routing import ROUTES
from services.access.schemas import Contact
from gateway.schemas.common import AcademicYearIn
from gateway.service import GatewayService  # noqa: F401  (registers every route)
from services.access.terms import PORTAL_TERMS
from services.orders.terms import BULK_PURCHASE_TERMS

DOCUMENT = openapi_document()
SCHEMAS = DOCUMENT["components"]["schemas"]
PATHS = DOCUMENT["paths"]
ORDERS = "/api/organizations/{org_id}/orders"


def operation(path, method):
    return PATHS[path][method]


def parameter(path, method, name):
    return next(found for found in operation(path, method)["parameters"]
                if found["name"] == name)


def accepted(schema, data):
    try:
        schema.load(data)
    except ValidationError:
        return False
    return True


def test_the_academic_year_pattern_is_stated_wherever_one_is_taken():
    pattern = SCHEMAS["AcademicYearIn"]["properties"]["academic_year"]["pattern"]
    assert parameter("/api/admin/fees/{academic_year}", "put",
                     "academic_year")["schema"]["pattern"] == pattern
    assert parameter("/api/admin/academic-years/{academic_year}/close", "post",
                     "academic_year")["schema"]["pattern"] == pattern
    assert parameter(ORDERS, "get", "academic_year")["schema"]["pattern"] == pattern
    assert SCHEMAS["LegacyVouchersIn"]["properties"]["academic_year"]["pattern"] == pattern


@pytest.mark.parametrize("year", ["2026-27", "2099-00", "2026-28", "1999-00", "26-27",
                                  "2026-27\n", "2026/27", "٢٠٢٦-٢٧"])
def test_what_the_academic_year_pattern_refuses_the_server_refuses(year):
    pattern = SCHEMAS["AcademicYearIn"]["properties"]["academic_year"]["pattern"]
    if not re.search(pattern, year) or "\n" in year:  # JSON Schema's $ ends the text
        assert not accepted(AcademicYearIn(), {"academic_year": year})


@pytest.mark.parametrize("phone", ["313-555-0100", "+1 (313) 555-0100", "(---) ---.----",
                                   "313 555 01OO", "3135550100313555010031355501", "555"])
def test_what_the_phone_pattern_refuses_the_server_refuses(phone):
    pattern = SCHEMAS["Contact"]["properties"]["phone"]["pattern"]
    contact = {"name": "Pat", "email": "pat@example.org", "phone": phone}
    if not re.search(pattern, phone):
        assert not accepted(Contact(), contact)
    assert SCHEMAS["SecondContact"]["properties"]["phone"]["pattern"] == pattern
    assert SCHEMAS["BillingContact"]["properties"]["phone"]["pattern"] == pattern


def test_the_terms_versions_are_the_current_ones():
    assert SCHEMAS["OrderIn"]["properties"]["terms_version"]["enum"] == [
        BULK_PURCHASE_TERMS["version"]]
    assert SCHEMAS["TermsAcceptanceIn"]["properties"]["version"]["enum"] == [
        PORTAL_TERMS["version"]]


def test_placing_an_order_requires_the_idempotency_key_header():
    key = parameter(ORDERS, "post", "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is True
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}


def test_the_patch_of_an_order_takes_only_the_po_number():
    body = operation(ORDERS + "/{order_id}", "patch")["requestBody"]
    assert body["required"] is True
    schema = SCHEMAS[body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert set(schema["properties"]) == {"po_number"} and schema["required"] == ["po_number"]
    assert schema["additionalProperties"] is False


def test_every_route_with_a_token_may_answer_403_wrong_token_kind_and_401():
    for route in ROUTES:
        if route.auth == "none":
            continue
        responses = operation(route.openapi_path, route.method.lower())["responses"]
        assert "wrong_token_kind" in responses["403"]["description"], route.path
        assert {"401", "503"} <= set(responses), route.path


def test_every_route_with_a_body_may_answer_400_and_413():
    for route in ROUTES:
        if route.body is not None:
            responses = operation(route.openapi_path, route.method.lower())["responses"]
            assert {"400", "413"} <= set(responses), route.path


def test_every_route_with_a_path_value_may_answer_404():
    """A value of the wrong shape (`/api/organizations/x/orders`) is no address at all."""
    for route in ROUTES:
        if "<" in route.path:
            responses = operation(route.openapi_path, route.method.lower())["responses"]
            assert "404" in responses, route.path


def test_placing_the_same_order_again_is_documented_as_200():
    responses = operation(ORDERS, "post")["responses"]
    assert responses["200"]["content"] == responses["201"]["content"]


def test_the_optional_body_of_approving_a_request_is_stated():
    body = operation("/api/admin/access-code-requests/{request_id}/approve", "post")[
        "requestBody"]
    assert body["required"] is False
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApproveIn"}
