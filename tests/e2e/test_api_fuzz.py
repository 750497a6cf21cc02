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


def test_every_operation_answers_as_documented(portal, coordinator):
    account, school, order = coordinator
    schema = schemathesis.openapi.from_url(portal.url("/api/openapi.json"), timeout=30)
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
