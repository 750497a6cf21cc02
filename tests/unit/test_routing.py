"""The gateway's request checks: which token may call which route, and reading input.

docs/API.md, "Errors": 401 for no/unknown/expired token, 403 for the wrong kind of token,
400 `malformed_json` / `invalid_input` with `fields` for bad input.
"""
import json
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, validate
from werkzeug.test import EnvironBuilder

from gateway.routing import bearer_token, check_token_kind, load, read_json
from services.common.errors import Forbidden, InvalidInput, NotAuthenticated

CONFIG = {"OPERATIONS_TOKEN": "ops-token-0123456789", "PARTNER_TOKEN": "partner-token-9876543210"}
OPS, PARTNER = CONFIG["OPERATIONS_TOKEN"], CONFIG["PARTNER_TOKEN"]
SESSION = "a-session-token-the-access-service-knows"


class Sessions:
    """The access service's answer to `authenticate`: only SESSION is a session."""

    def authenticate(self, token, require_terms=True):
        if token != SESSION:
            raise NotAuthenticated()
        return {"id": 1}


def gateway(config=CONFIG):
    return SimpleNamespace(config=config, access=Sessions())


def request(body=b"", headers=None, method="POST"):
    return EnvironBuilder(method=method, path="/api/x", data=body,
                          headers=headers or {}).get_request()


# --- token kinds ----------------------------------------------------------------------


@pytest.mark.parametrize("auth, token", [
    ("operations", OPS),
    ("partner", PARTNER),
    ("session", SESSION),  # checked later by the access service, which owns sessions
])
def test_the_right_kind_of_token_passes(auth, token):
    assert check_token_kind(gateway(), auth, token) is None


@pytest.mark.parametrize("auth, token", [
    ("operations", PARTNER),
    ("partner", OPS),
    ("session", OPS),
    ("session", PARTNER),
    ("operations", SESSION),
    ("partner", SESSION),
])
def test_a_known_token_of_another_kind_is_forbidden(auth, token):
    with pytest.raises(Forbidden) as forbidden:
        check_token_kind(gateway(), auth, token)
    assert forbidden.value.code == "wrong_token_kind"


@pytest.mark.parametrize("auth", ["operations", "partner"])
@pytest.mark.parametrize("token", ["unknown", SESSION[:-1], OPS[:-1], OPS + "0", OPS.upper()])
def test_an_unknown_token_on_a_static_route_is_not_authenticated(auth, token):
    with pytest.raises(NotAuthenticated):
        check_token_kind(gateway(), auth, token)


@pytest.mark.parametrize("unset", ["", None])
def test_an_empty_configured_token_never_matches(unset):
    config = {"OPERATIONS_TOKEN": unset, "PARTNER_TOKEN": unset}
    for token in ("", " ", "None", "x"):
        with pytest.raises(NotAuthenticated):
            check_token_kind(gateway(config), "operations", token)
        with pytest.raises(NotAuthenticated):
            check_token_kind(gateway(config), "partner", token)


def test_missing_token_settings_never_match():
    with pytest.raises(NotAuthenticated):
        check_token_kind(gateway({}), "operations", "anything")


def test_bearer_token_is_read_from_the_authorization_header():
    assert bearer_token(request(headers={"Authorization": "Bearer abc.def"})) == "abc.def"
    assert bearer_token(request(headers={"Authorization": "bearer abc.def"})) == "abc.def"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer    "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "abc.def"},
])
def test_no_bearer_token_is_not_authenticated(headers):
    with pytest.raises(NotAuthenticated):
        bearer_token(request(headers=headers))


# --- reading the JSON body ------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n"])
def test_an_empty_body_is_malformed_json(raw):
    with pytest.raises(InvalidInput) as invalid:
        read_json(request(raw))
    assert invalid.value.code == "malformed_json"


@pytest.mark.parametrize("raw", [b"{", b"{'a': 1}", b"quantity=5", b"\xff\xfe\x00",
                                 b'{"a": 1} trailing'])
def test_invalid_json_is_malformed_json(raw):
    with pytest.raises(InvalidInput) as invalid:
        read_json(request(raw))
    assert invalid.value.code == "malformed_json"


@pytest.mark.parametrize("raw", [b"[]", b"[{}]", b'"text"', b"5", b"null", b"true"])
def test_json_that_is_not_an_object_is_malformed_json(raw):
    with pytest.raises(InvalidInput) as invalid:
        read_json(request(raw))
    assert invalid.value.code == "malformed_json"
    assert "object" in invalid.value.message


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000,
                                 b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}"])
def test_json_nested_without_end_is_malformed_json(raw):
    with pytest.raises(InvalidInput) as invalid:
        read_json(request(raw))
    assert invalid.value.code == "malformed_json"


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}'])
def test_numbers_json_does_not_have_are_malformed_json(raw):
    with pytest.raises(InvalidInput) as invalid:
        read_json(request(raw))
    assert invalid.value.code == "malformed_json"


def test_a_json_object_is_read():
    body = {"quantity": 5, "po_number": "PO-1", "nested": {"a": [1, 2]}, "name": "Zoë"}
    assert read_json(request(json.dumps(body).encode())) == body


# --- schema errors become `fields` -------------------------------------------------------


class Contact(Schema):
    name = fields.String(required=True)
    email = fields.Email(required=True)


class Profile(Schema):
    coordinator = fields.Nested(Contact, required=True)
    billing_contact = fields.Nested(Contact, required=True)
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))


class Results(Schema):
    results = fields.List(fields.Nested(Contact), required=True)


GOOD = {"name": "Dana", "email": "dana@example.org"}


def test_load_returns_the_loaded_data():
    data = {"coordinator": GOOD, "billing_contact": GOOD, "quantity": 5}
    assert load(Profile, data) == data


def test_nested_errors_are_flattened_to_dotted_fields():
    with pytest.raises(InvalidInput) as invalid:
        load(Profile, {"coordinator": {"name": "Dana", "email": "not-an-email"},
                         "billing_contact": GOOD, "quantity": 0})
    error = invalid.value
    assert error.code == "invalid_input"
    assert set(error.fields) == {"coordinator.email", "quantity"}
    assert error.fields["coordinator.email"] == ["Not a valid email address."]
    assert all(isinstance(messages, list) for messages in error.fields.values())


def test_missing_nested_fields_are_named_each():
    with pytest.raises(InvalidInput) as invalid:
        load(Profile, {"coordinator": {}})
    assert set(invalid.value.fields) == {"coordinator.name", "coordinator.email",
                                         "billing_contact"}


def test_list_items_are_named_by_position():
    with pytest.raises(InvalidInput) as invalid:
        load(Results, {"results": [GOOD, {"name": "Pat", "email": "nope"}]})
    assert set(invalid.value.fields) == {"results.1.email"}


def test_unknown_fields_are_named():
    with pytest.raises(InvalidInput) as invalid:
        load(Profile, {"coordinator": GOOD, "billing_contact": GOOD, "cancel": True})
    assert invalid.value.fields == {"cancel": ["Unknown field."]}


@pytest.mark.parametrize("data, field", [
    ({"coordinator": {"name": "\ud800", "email": "dana@example.org"}}, "coordinator.name"),
    ({"coordinator": GOOD, "billing_contact": {"name": "Da\x00na"}}, "billing_contact.name"),
    ({"quantity": 2 ** 63}, "quantity"),
    ({"quantity": -2 ** 63 - 1}, "quantity"),
    ({"quantity": 1e400}, "quantity"),
    ({"\udfff": 1}, "\\udfff"),
])
def test_values_no_database_takes_are_invalid_fields(data, field):
    with pytest.raises(InvalidInput) as invalid:
        load(Profile, data)
    assert invalid.value.code == "invalid_input"
    assert set(invalid.value.fields) == {field}
    json.dumps(invalid.value.fields).encode("utf-8")  # the answer itself can be sent


def test_values_no_database_takes_are_named_in_lists():
    with pytest.raises(InvalidInput) as invalid:
        load(Results, {"results": [GOOD, {"name": "P\ud83dt", "email": "p@example.org"}]})
    assert set(invalid.value.fields) == {"results.1.name"}


def test_flattened_fields_survive_json():
    with pytest.raises(InvalidInput) as invalid:
        load(Results, {"results": [{"name": "Pat", "email": "nope"}]})
    assert json.loads(json.dumps(invalid.value.fields)) == invalid.value.fields
