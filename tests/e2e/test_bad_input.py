"""Bad input gets the error shape and status of docs/API.md, and changes nothing."""
import uuid

import pytest
from tests.e2e.checks import error_of


def test_unknown_route_and_wrong_method(portal):
    assert error_of(portal.get("/api/nothing-here"), 404)["code"] == "not_found"
    account, school = portal.coordinator_of()
    portal.set_fees()
    order = portal.place_order(account, school["id"], quantity=1).json()
    error = error_of(portal.request("DELETE", "/api/organizations/{}/orders/{}".format(
        school["id"], order["id"]), account.headers), 405)
    assert error["code"] == "orders_cannot_be_cancelled"
    assert error_of(portal.get("/api/organizations/not-a-number/orders", account.headers),
                    404)["code"] == "not_found"


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "not_authenticated"),
    ({"Authorization": "Bearer not-a-real-token"}, 401, "not_authenticated"),
    ({"Authorization": "Basic abc"}, 401, "not_authenticated"),
])
def test_missing_or_bad_tokens(portal, headers, status, code):
    assert error_of(portal.get("/api/me", headers), status)["code"] == code
    response = portal.post("/api/admin/organizations", headers, json={})
    assert error_of(response, status)["code"] == code


def test_tokens_of_the_wrong_kind(portal):
    """A valid token of another kind is 403 `wrong_token_kind` whichever way round."""
    account = portal.new_account()
    for headers in (account.headers, portal.partner):
        assert error_of(portal.post("/api/admin/organizations", headers, json={}),
                        403)["code"] == "wrong_token_kind"
    for headers in (account.headers, portal.ops):
        assert error_of(portal.post("/api/voucher-redemptions", headers, json={}),
                        403)["code"] == "wrong_token_kind"
    for headers in (portal.ops, portal.partner):
        assert error_of(portal.get("/api/me", headers), 403)["code"] == "wrong_token_kind"
    portal.request("DELETE", "/api/sessions/current", account.headers)
    assert error_of(portal.post("/api/admin/organizations", account.headers, json={}),
                    401)["code"] == "not_authenticated"


def test_signed_out_session_stops_working(portal):
    account = portal.new_account()
    assert portal.request("DELETE", "/api/sessions/current", account.headers).status_code == 204
    assert error_of(portal.get("/api/me", account.headers), 401)["code"] == "not_authenticated"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "", "\"text\""])
def test_malformed_json(portal, body):
    response = portal.post("/api/accounts", data=body,
                           headers={"Content-Type": "application/json"})
    assert error_of(response, 400)["code"] == "malformed_json"


def test_missing_and_wrong_typed_fields_are_named(portal):
    error = error_of(portal.post("/api/accounts", json={"email": "not-an-email", "name": 5}), 400)
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"email", "name", "password"}
    error = error_of(portal.post("/api/admin/organizations", portal.ops, json={
        "name": "X", "kind": "castle", "zip": "4820", "city": "Detroit", "state": "Michigan",
        "state_funded": "yes"}), 400)
    assert set(error["fields"]) == {"kind", "zip", "state", "state_funded"}
    error = error_of(portal.put("/api/admin/fees/2026-27", portal.ops,
                                json={"exam_fee_cents": 1.5}), 400)
    assert set(error["fields"]) == {"exam_fee_cents", "remote_proctoring_fee_cents"}
    error = error_of(portal.put("/api/admin/fees/2026-28", portal.ops, json={
        "exam_fee_cents": 9300, "remote_proctoring_fee_cents": 3000}), 400)
    assert set(error["fields"]) == {"academic_year"}


def test_duplicate_email(portal):
    email = f"dup-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "name": "A", "password": "long enough password"}
    assert portal.post("/api/accounts", json=body).status_code == 201
    assert error_of(portal.post("/api/accounts", json=dict(body, email=email.upper())),
                    409)["code"] == "email_taken"


def test_wrong_password(portal):
    account = portal.new_account()
    error = error_of(portal.post("/api/sessions", json={"email": account.email,
                                                        "password": "wrong password!"}), 401)
    assert error["code"] == "invalid_credentials"


@pytest.mark.parametrize("quantity", [0, 10001, "5", 5.5, None, True])
def test_bad_quantities_place_nothing(portal, quantity):
    account, school = portal.coordinator_of()
    portal.set_fees()
    error = error_of(portal.place_order(account, school["id"], quantity=quantity), 400)
    assert "quantity" in error["fields"]
    orders = portal.get("/api/organizations/{}/orders".format(school["id"]), account.headers)
    assert orders.json() == {"orders": []}


def test_bad_order_fields(portal):
    account, school = portal.coordinator_of()
    portal.set_fees()
    year_end = int(portal.academic_year[:4]) + 1
    for fields, field in [
        ({"expiration_date": f"{year_end}-07-01"}, "expiration_date"),
        ({"expiration_date": "2020-01-01"}, "expiration_date"),
        ({"expiration_date": "not a date"}, "expiration_date"),
        ({"po_number": "P" * 51}, "po_number"),
        ({"po_number": "PO\x07-1"}, "po_number"),
        ({"terms_version": "1999-01"}, "terms_version"),
        ({"covers_remote_proctoring": "yes"}, "covers_remote_proctoring"),
        ({"surprise": 1}, "surprise"),
    ]:
        error = error_of(portal.place_order(account, school["id"], **fields), 400)
        assert field in error["fields"], (fields, error)
    response = portal.post("/api/organizations/{}/orders".format(school["id"]), account.headers,
                           json={"quantity": 1, "covers_remote_proctoring": False,
                                 "terms_version": "2026-07"})
    assert error_of(response, 400)["code"] == "idempotency_key_required"
    assert portal.get("/api/organizations/{}/orders".format(school["id"]),
                      account.headers).json() == {"orders": []}


def test_idempotency_key_reused_with_another_body(portal):
    account, school = portal.coordinator_of()
    portal.set_fees()
    key = uuid.uuid4().hex
    first = portal.place_order(account, school["id"], quantity=3, key=key)
    assert first.status_code == 201
    error = error_of(portal.place_order(account, school["id"], quantity=4, key=key), 422)
    assert error["code"] == "idempotency_key_reused"
    orders = portal.get("/api/organizations/{}/orders".format(school["id"]),
                        account.headers).json()["orders"]
    assert [order["quantity"] for order in orders] == [3]


def test_only_the_po_number_changes_after_placing(portal):
    account, school = portal.coordinator_of()
    portal.set_fees()
    order = portal.place_order(account, school["id"], quantity=2).json()
    path = "/api/organizations/{}/orders/{}".format(school["id"], order["id"])
    error = error_of(portal.patch(path, account.headers, json={"quantity": 5}), 400)
    assert error["code"] == "only_po_number_can_change"
    error = error_of(portal.patch(path, account.headers, json={"po_number": "X" * 51}), 400)
    assert "po_number" in error["fields"]
    changed = portal.patch(path, account.headers, json={"po_number": "PO-NEW-7"})
    assert changed.status_code == 200 and changed.json()["po_number"] == "PO-NEW-7"
    assert portal.order(account, school["id"], order["id"]).json()["quantity"] == 2


def test_another_organizations_order_is_not_found(portal):
    account, school = portal.coordinator_of()
    other, other_school = portal.coordinator_of()
    portal.set_fees()
    order = portal.place_order(other, other_school["id"], quantity=1).json()
    assert error_of(portal.get("/api/organizations/{}/orders/{}".format(
        other_school["id"], order["id"]), account.headers), 404)["code"] == "organization_not_found"
    assert error_of(portal.get("/api/organizations/{}/orders/{}".format(
        school["id"], order["id"]), account.headers), 404)["code"] == "order_not_found"


def test_ids_too_large_for_any_database_are_not_found(portal):
    account, school = portal.coordinator_of()
    for path, headers in [
        ("/api/organizations/{}/orders".format(2 ** 70), account.headers),
        ("/api/organizations/{}/orders/{}".format(school["id"], 2 ** 64), account.headers),
        ("/api/admin/access-code-requests/{}/decline".format(2 ** 90), portal.ops),
    ]:
        method = "POST" if path.endswith("decline") else "GET"
        response = portal.request(method, path, headers, json={"reason": "x"})
        assert error_of(response, 404)["code"] == "not_found"
