"""schemathesis against the running system's own /api/openapi.json: every operation, with
data the document allows (positive) and data it does not (negative), as a coordinator
with a redeemed code and an order, with the operations token and with the partner token.
No answer may be a 5xx, and every answer must be one the document states: its status,
its content type, its body's schema.

Bounded and repeatable: a few examples per operation and mode, generated from a fixed
seed (Hypothesis' derandomize), no shrinking, no example database, no health checks.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                                response_schema_conformance,
                                                status_code_conformance)

from tests.e2e.portal import Portal

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SIGN_OUT = "DELETE /api/sessions/current"


@pytest.fixture(scope="module")
def coordinator(portal):
    """A coordinator who redeemed a code, accepted the terms, completed the profile and
    placed an order, fulfilled."""
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=3).json()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    return account, school, order


@pytest.fixture(scope="module")
def portal(system, system_env):
    """The module's one client (the coordinator below is made once for the module)."""
    return Portal(system.base_url, system_env["CLEP_OPERATIONS_TOKEN"],
                  system_env["CLEP_PARTNER_TOKEN"])


@pytest.fixture(scope="module")
def api_schema(portal):
    return schemathesis.openapi.from_url(portal.url("/api/openapi.json"), timeout=30)


def token_kind(operation):
    """session, operations, partner, or None for an open route."""
    security = operation.definition.raw.get("security") or [{}]
    return next(iter(security[0]), None)


def fuzz(operation, mode, headers_of, path_parameters):
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
              database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode,
                                      path_parameters=path_parameters or None))
    def run(case):
        case.call_and_validate(headers=headers_of(), checks=CHECKS, timeout=60)
    run()


def test_every_operation_answers_as_documented(portal, coordinator, api_schema):
    account, school, order = coordinator
    schema = api_schema
    tokens = {"session": lambda: account.headers, "operations": lambda: portal.ops,
              "partner": lambda: portal.partner, None: dict}
    known = {"org_id": school["id"], "order_id": order["id"]}
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.label)
    failures = {}
    for operation in operations:
        # signing out ends the session it is given: each example signs in afresh
        headers_of = (lambda: portal.new_account(accept_terms=False).headers) \
            if operation.label == SIGN_OUT else tokens[token_kind(operation)]
        fixed = {name: value for name, value in known.items()
                 if "{%s}" % name in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, headers_of, fixed)
            except Unsatisfiable:
                pass  # nothing to make invalid: an operation without inputs
            except (Exception, BaseExceptionGroup) as found:  # schemathesis' FailureGroup
                failures["{} ({})".format(operation.label, mode.value)] = str(found)
    assert not failures, "\n\n".join("{}:\n{}".format(label, found)
                                     for label, found in failures.items())


def test_what_fuzzing_found_answers_as_documented(portal, coordinator, api_schema):
    """Cases schemathesis found, kept: each was a 500 or an answer the document did not
    state."""
    account, school, order = coordinator
    result_ids = [False, 12345]
    cases = [
        # an unpaired surrogate in a name: a 500 from the database driver
        ("PATCH /api/admin/organizations/{org_id}", portal.ops, {
            "path_parameters": {"org_id": school["id"]}, "body": {"name": "A\udc81"}}),
        # an id past any database's INTEGER: a 500
        ("GET /api/admin/audit", portal.ops, {"query": {"organization_id": 10 ** 30}}),
        # a rejected row's result_id echoed as sent (false, a number), not as text or null
        ("POST /api/exam-results", portal.partner, {"body": {"results": [
            {"result_id": result_id} for result_id in result_ids]}}),
        # ids that are no numbers: 404, undocumented on the route that is always 405
        ("DELETE /api/organizations/{org_id}/orders/{order_id}", account.headers, {
            "path_parameters": {"org_id": "0", "order_id": "null,null"}}),
    ]
    for label, headers, data in cases:
        case = api_schema.find_operation_by_label(label).Case(**data)
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)
        assert response.status_code < 500, label
    rejected = portal.post("/api/exam-results", portal.partner, json={
        "results": [{"result_id": result_id} for result_id in result_ids]}).json()["rejected"]
    assert [row["result_id"] for row in rejected] == [None, "12345"]

    placing = api_schema.find_operation_by_label("POST /api/organizations/{org_id}/orders")
    body = {"quantity": 1, "covers_remote_proctoring": False,
            "terms_version": portal.get("/api/terms/bulk_purchase").json()["version"]}
    for status in (201, 200):  # the same key again: the same order, 200 (it was undocumented)
        case = placing.Case(path_parameters={"org_id": school["id"]}, body=body,
                            headers={"Idempotency-Key": "fuzz-{}".format(order["id"])})
        assert case.call_and_validate(headers=account.headers, checks=CHECKS,
                                      timeout=60).status_code == status
