"""Request bodies as anyone can send them: JSON no parser or database takes is a 400 that
changes nothing, and chunked bodies are read like any other. On PostgreSQL, which refuses
NUL characters, as SQLite and psycopg2 both refuse unpaired surrogates."""
import uuid

import pytest
import requests

from tests.e2e.checks import error_of

DATABASE = "postgresql"
JSON = {"Content-Type": "application/json"}
LONE_SURROGATE = "\\ud800"  # as JSON text: the escape of half a UTF-16 pair
TWO_MEBIBYTES = 2 * 1024 * 1024


def raw_json(text):
    """A JSON body written by hand (requests' json= would escape differently)."""
    return {"data": text.encode("utf-8"), "headers": JSON}


def email():
    return f"edge-{uuid.uuid4().hex[:10]}@example.org"


def test_unpaired_surrogates_in_accounts_and_sessions_are_refused(portal):
    taken = email()
    created = portal.post("/api/accounts", **raw_json(
        '{"email": "%s", "name": "Pat %s", "password": "a long password"}'
        % (taken, LONE_SURROGATE)))
    assert error_of(created, 400)["fields"] == {
        "name": ["Not valid Unicode text (an unpaired surrogate)."]}
    signed_in = portal.post("/api/sessions", **raw_json(
        '{"email": "%s@example.org", "password": "whatever"}' % LONE_SURROGATE))
    assert set(error_of(signed_in, 400)["fields"]) == {"email"}
    # nothing was made: the email is still free
    assert portal.post("/api/accounts", json={"email": taken, "name": "Pat",
                                              "password": "a long password"}).status_code == 201


def test_unpaired_surrogates_in_organizations_profiles_and_codes_are_refused(portal):
    zip_code = "4{:04d}".format(uuid.uuid4().int % 10_000)
    registered = portal.post("/api/admin/organizations", headers=dict(JSON, **portal.ops),
                             data=('{"name": "School %s", "kind": "school", "zip": "%s", '
                                   '"city": "Detroit", "state": "MI"}'
                                   % (LONE_SURROGATE, zip_code)).encode())
    assert set(error_of(registered, 400)["fields"]) == {"name"}

    account, school = portal.coordinator_of()
    before = portal.get(f"/api/organizations/{school['id']}/profile", account.headers).json()
    profile = portal.put(f"/api/organizations/{school['id']}/profile",
                         headers=dict(JSON, **account.headers), data=(
        '{"coordinator": {"name": "Pat %s", "email": "%s", "phone": "313-555-0100"}, '
        '"second_contact": {"role": "principal", "name": "Dana", "email": "d@example.org", '
        '"phone": "313-555-0101"}, "billing_contact": {"same_as_coordinator": true}}'
        % (LONE_SURROGATE, account.email)).encode())
    assert set(error_of(profile, 400)["fields"]) == {"coordinator.name"}
    assert portal.get(f"/api/organizations/{school['id']}/profile",
                      account.headers).json() == before

    newcomer = portal.new_account()
    redeemed = portal.post("/api/access-codes/redemptions",
                           headers=dict(JSON, **newcomer.headers), data=(
        '{"zip": "%s", "organization_name": "%s %s", "access_code": "ABCD-EFGH"}'
        % (school["zip"], school["name"], LONE_SURROGATE)).encode())
    assert set(error_of(redeemed, 400)["fields"]) == {"organization_name"}
    assert portal.get("/api/me", newcomer.headers).json()["organizations"] == []
    assert portal.get("/api/organizations", account.headers,
                      params={"zip": zip_code}).json() == {"organizations": []}


def test_nul_characters_postgresql_refuses_are_invalid_fields(portal):
    account = portal.new_account()
    signed_in = portal.post("/api/sessions", json={"email": account.email + "\x00",
                                                   "password": account.password})
    assert set(error_of(signed_in, 400)["fields"]) == {"email"}


def test_numbers_past_what_a_database_stores_are_invalid_fields(portal):
    district = portal.post("/api/admin/organizations", portal.ops, json={
        "name": f"Org {uuid.uuid4().hex[:8]}", "kind": "school", "zip": "48201",
        "city": "Detroit", "state": "MI", "district_id": 10 ** 30})
    assert set(error_of(district, 400)["fields"]) == {"district_id"}
    legacy = portal.post("/api/admin/legacy-vouchers", portal.ops, json={
        "organization_id": 10 ** 30, "academic_year": portal.academic_year,
        "voucher_codes": ["ABCD1234"]})
    assert set(error_of(legacy, 400)["fields"]) == {"organization_id"}


@pytest.mark.parametrize("path", ["/api/accounts", "/api/sessions"])
def test_json_nested_100000_deep_is_malformed(portal, path):
    response = portal.post(path, data=b"[" * 100_000 + b"]" * 100_000, headers=JSON)
    assert error_of(response, 400)["code"] == "malformed_json"
    response = portal.post(path, data=b'{"email": ' + b'{"a": ' * 100_000 + b"1"
                           + b"}" * 100_001, headers=JSON)
    assert error_of(response, 400)["code"] == "malformed_json"


def chunked(body, size=7):
    """`body` as a generator: requests sends it with Transfer-Encoding: chunked."""
    return (body[start:start + size] for start in range(0, len(body), size))


def test_chunked_json_bodies_are_read(portal):
    address = email()
    created = portal.post("/api/accounts", headers=JSON, data=chunked(
        ('{"email": "%s", "name": "Pat Chunked", "password": "a long password"}'
         % address).encode()))
    assert created.status_code == 201, created.text
    signed_in = portal.post("/api/sessions", headers=JSON, data=chunked(
        ('{"email": "%s", "password": "a long password"}' % address).encode()))
    assert signed_in.status_code == 201, signed_in.text
    assert portal.get("/api/me", {"Authorization": "Bearer " + signed_in.json()["token"]}
                      ).json()["name"] == "Pat Chunked"


def test_a_chunked_body_over_the_limit_is_too_large(portal):
    padding = b" " * (TWO_MEBIBYTES + 1)
    body = b'{"email": "' + email().encode() + b'", "password": "x"}' + padding
    try:
        response = portal.post("/api/sessions", headers=JSON, data=chunked(body, 64 * 1024))
    except requests.ConnectionError:
        return  # the server may close before the client finished sending: no 500 either
    assert error_of(response, 413)["code"] == "body_too_large"


def test_a_chunked_portal_form_is_read(portal):
    account = portal.new_account()
    form = "email={}&password={}".format(
        requests.utils.quote(account.email), requests.utils.quote(account.password))
    response = requests.post(portal.url("/sign-in"), data=chunked(form.encode()),
                             headers={"Origin": portal.base_url,
                                      "Content-Type": "application/x-www-form-urlencoded"},
                             allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.text[:300]
    assert "clep_session" in response.cookies


@pytest.mark.parametrize("email_field", [
    b"a%00b%40example.org",          # NUL, which PostgreSQL refuses
    b"a%ED%A0%80b%40example.org",    # a surrogate, percent-encoded as UTF-8 would
    b"a\xed\xa0\x80b%40example.org",  # the same bytes, raw: not UTF-8 at all
    b"a\xffb%40example.org",
])
def test_portal_forms_with_text_no_database_takes_never_fail(portal, email_field):
    """Refused with the form asked again, or (werkzeug keeps undecodable bytes as their
    %-escapes or U+FFFD) taken as that text: never a 500."""
    for path, form in [("/sign-in", b"email=" + email_field + b"&password=a+long+password"),
                       ("/create-account", b"name=Pat&email=" + email_field
                        + b"&password=a+long+password")]:
        response = requests.post(portal.url(path), data=form, allow_redirects=False,
                                 headers={"Origin": portal.base_url, "Content-Type":
                                          "application/x-www-form-urlencoded"}, timeout=30)
        assert response.status_code in (303, 400), (path, response.status_code,
                                                    response.text[:300])
        assert "Traceback" not in response.text
