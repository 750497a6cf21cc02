"""Accounts, sessions and the portal terms through HTTP with the real processes
(issue 3; docs/DOMAIN.md "Accounts and sign-in", "Terms")."""
import uuid
from datetime import datetime, timezone

import pytest
from tests.e2e.checks import error_of


def new_email():
    return f"someone-{uuid.uuid4().hex[:10]}@example.org"


def test_failed_sign_ins_are_held_off_with_retry_after(portal):
    account = portal.new_account()
    for _ in range(5):
        assert error_of(portal.sign_in(account.email, "not my password"), 401)["code"] == \
            "invalid_credentials"
    held = portal.sign_in(account.email, account.password)  # even the right password
    assert error_of(held, 429)["code"] == "too_many_sign_in_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 15 * 60
    assert portal.sign_in(account.email.upper(), account.password).status_code == 429
    # the session the account already had keeps working, and other emails are not held
    assert portal.get("/api/me", account.headers).status_code == 200
    other = portal.new_account()
    assert portal.sign_in(other.email, other.password).status_code == 201


def test_unknown_emails_are_held_off_too(portal):
    email = new_email()
    for _ in range(5):
        assert portal.sign_in(email, "a guess at a password").status_code == 401
    assert portal.sign_in(email, "a guess at a password").status_code == 429


def test_four_failures_then_the_right_password_signs_in(portal):
    account = portal.new_account()
    for _ in range(4):
        portal.sign_in(account.email, "not my password")
    assert portal.sign_in(account.email, account.password).status_code == 201


def test_a_signed_out_session_stops_working_everywhere(portal):
    account = portal.new_account()
    other_session = portal.sign_in(account.email, account.password).json()["token"]
    assert portal.request("DELETE", "/api/sessions/current", account.headers).status_code == 204
    for method, path in (("GET", "/api/me"), ("GET", "/api/organizations?zip=48201"),
                         ("DELETE", "/api/sessions/current")):
        assert error_of(portal.request(method, path, account.headers), 401)["code"] == \
            "not_authenticated"
    redeemed = portal.post("/api/access-codes/redemptions", account.headers, json={
        "zip": "48201", "organization_name": "Any", "access_code": "AAAA-BBBB-CCCC"})
    assert redeemed.status_code == 401
    # only that session ended
    assert portal.get("/api/me", {"Authorization": "Bearer " + other_session}).status_code == 200


def test_before_the_terms_only_getting_access_answers(portal):
    school = portal.register_organization()
    code = portal.issue_access_code(school["id"])
    account = portal.new_account(accept_terms=False)
    me = portal.get("/api/me", account.headers)
    assert me.status_code == 200
    assert me.json()["terms_accepted"] is False and me.json()["organizations"] == []
    # the FAQ's order: the access code first, then the terms, then the profile
    found = portal.get("/api/organizations?zip=48201", account.headers)
    assert found.status_code == 200, found.text
    assert school["id"] in [org["id"] for org in found.json()["organizations"]]
    assert portal.request_access_code(account, school).status_code == 202
    assert portal.redeem(account, school, code).status_code == 201
    me = portal.get("/api/me", account.headers).json()
    assert [(o["id"], o["access"]) for o in me["organizations"]] == [(school["id"], "manage")]
    profile_path = f"/api/organizations/{school['id']}/profile"
    refused = [
        portal.get(profile_path, account.headers),
        portal.put_profile(account, school["id"], portal.profile_body(account)),
        portal.get(f"/api/organizations/{school['id']}/orders", account.headers),
    ]
    for response in refused:
        assert error_of(response, 403)["code"] == "terms_not_accepted"
    assert portal.get("/api/me", portal.ops).status_code == 403  # nor by the wrong token

    terms = portal.get("/api/terms/portal").json()
    assert terms["document"] == "portal" and terms["version"] and terms["text"]
    old = portal.post("/api/terms/portal/acceptances", account.headers,
                      json={"version": "2019-01"})
    assert error_of(old, 400)["code"] == "unknown_terms_version"
    assert error_of(portal.get(profile_path, account.headers), 403)["code"] == \
        "terms_not_accepted"  # still closed
    accepted = portal.post("/api/terms/portal/acceptances", account.headers,
                           json={"version": terms["version"]})
    assert accepted.status_code == 201
    assert accepted.json() == {"document": "portal", "version": terms["version"]}
    assert portal.get("/api/me", account.headers).json()["terms_accepted"] is True
    assert portal.get(profile_path, account.headers).status_code == 200
    # recorded once per account: a new session does not ask again
    again = portal.sign_in(account.email, account.password).json()["token"]
    me = portal.get("/api/me", {"Authorization": "Bearer " + again}).json()
    assert me["terms_accepted"] is True
    assert [(o["id"], o["access"]) for o in me["organizations"]] == [(school["id"], "manage")]


@pytest.mark.parametrize("body, fields", [
    ({"email": "a@b.org", "password": "x"}, {"name", "password"}),
    ({"email": "not-an-email", "name": "A", "password": "long enough password"}, {"email"}),
    ({"email": "a" * 250 + "@b.org", "name": "A", "password": "long enough password"},
     {"email"}),
    ({"email": "a@b.org", "name": "A" * 201, "password": "long enough password"}, {"name"}),
    ({"email": "a@b.org", "name": "A", "password": "p" * 201}, {"password"}),
])
def test_bad_sign_ups_name_the_fields_and_create_nothing(portal, body, fields):
    error = error_of(portal.post("/api/accounts", json=body), 400)
    assert set(error["fields"]) == fields
    assert portal.sign_in(body["email"], body.get("password", "")).status_code in (400, 401)


def test_a_session_says_when_it_expires(portal):
    account = portal.new_account()
    signed_in = portal.sign_in(account.email, account.password).json()
    left = datetime.fromisoformat(signed_in["expires_at"]) - datetime.now(timezone.utc)
    assert 11.9 * 3600 < left.total_seconds() <= 12 * 3600
    assert len(signed_in["token"]) >= 32 and signed_in["token"] != account.token


def test_refusals_are_one_log_line_not_a_traceback(portal, system):
    """A wrong password, a taken email, an unknown token, another organization: each is
    one INFO line in the gateway's and the access service's logs, never a traceback."""
    account = portal.new_account()
    marker = uuid.uuid4().hex
    refused = [
        portal.sign_in(account.email, "wrong " + marker),
        portal.post("/api/accounts", json={"email": account.email, "name": "Again",
                                           "password": "a long password"}),
        portal.get("/api/me", {"Authorization": "Bearer unknown-" + marker}),
        portal.get("/api/organizations/999999/orders", account.headers),
    ]
    assert [response.status_code for response in refused] == [401, 409, 401, 404]
    logs = {name: system.log_path(name).read_text() for name in ("gateway", "access")}
    for name, text in logs.items():
        assert "Traceback" not in text, "{}.log:\n{}".format(name, text[-3000:])
        assert " ERROR " not in text, "{}.log:\n{}".format(name, text[-3000:])
    assert "invalid_credentials" in logs["access"] and "email_taken" in logs["access"]
    assert "organization_not_found" in logs["gateway"]
