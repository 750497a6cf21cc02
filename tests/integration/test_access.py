"""The access service over RPC: from a new account to an authorized coordinator, and its
errors arriving in the caller as the same classes the service raised.
"""
import pytest

from services.access.service import AccessService
from services.common.errors import (Conflict, Forbidden, InvalidInput, NotAuthenticated,
                                    NotFound)

FROZEN_NOW = "2026-09-15T14:00:00+00:00"  # academic year 2026-27
PASSWORD = "correct horse battery"
ORGANIZATION = {"name": "Lincoln High School", "kind": "school", "zip": "48201",
                "city": "Detroit", "state": "mi", "state_funded": True}
PROFILE = {
    "coordinator": {"name": "Casey Coordinator", "email": "Casey@School.example",
                    "phone": "313-555-0100"},
    "second_contact": {"role": "principal", "name": "Pat Principal",
                       "email": "pat@school.example", "phone": "313-555-0101"},
    "billing_contact": {"same_as_coordinator": True},
}


@pytest.fixture
def access(start_service, rpc):
    start_service(AccessService, CLOCK_NOW=FROZEN_NOW)
    return rpc.access


def signed_in(access, email="casey@school.example"):
    access.create_account(email, "Casey Coordinator", PASSWORD)
    token = access.sign_in(email, PASSWORD)["token"]
    access.accept_portal_terms(token, "2026-07")
    return token


def with_access(access):
    """A signed-in account that redeemed the school's code (its profile still empty)."""
    token = signed_in(access)
    org = access.register_organization(ORGANIZATION)
    issued = access.issue_access_code(org["id"], "2026-27")
    access.redeem_access_code(token, "48201", "Lincoln High School", issued["access_code"])
    return token, org


def test_coordinator_gets_from_new_account_to_authorized_access(access, listen):
    registered = listen("access", "organization_registered")

    account = access.create_account("Casey@School.example", "Casey Coordinator", PASSWORD)
    token = access.sign_in("casey@school.example", PASSWORD)["token"]
    assert access.accept_portal_terms(token, "2026-07") == {"document": "portal",
                                                            "version": "2026-07"}
    org = access.register_organization(ORGANIZATION)
    issued = access.issue_access_code(org["id"], "2026-27")
    # typed the way people type: lower case, no dashes, the name spaced differently
    granted = access.redeem_access_code(token, "48201", "lincoln  high school",
                                        issued["access_code"].replace("-", "").lower())
    assert granted == {"organization": {"id": org["id"], "name": "Lincoln High School",
                                        "kind": "school"},
                       "access": "manage", "academic_year": "2026-27"}
    access.update_profile(token, org["id"], PROFILE)
    principal = access.authorize(token, org["id"], "manage")

    assert principal == {
        "account": {"id": account["id"], "email": "casey@school.example",
                    "name": "Casey Coordinator"},
        "organization": {"id": org["id"], "name": "Lincoln High School", "kind": "school",
                         "state": "MI", "state_funded": True},
        "access": "manage", "academic_year": "2026-27", "access_year": "2026-27",
        "session_expires_at": "2026-09-16T02:00:00+00:00"}  # signed in 12 hours before
    event = registered.wait("organization_registered")[0]
    assert {key: event[key] for key in ("id", "name", "kind", "zip", "state")} == {
        "id": org["id"], "name": "Lincoln High School", "kind": "school", "zip": "48201",
        "state": "MI"}
    assert event["event_id"]


def test_access_code_is_issued_once_per_organization_and_year(access):
    org = access.register_organization(ORGANIZATION)

    first = access.issue_access_code(org["id"], "2026-27")
    again = access.issue_access_code(org["id"], "2026-27")
    next_year = access.issue_access_code(org["id"], "2027-28")

    assert again["access_code"] == first["access_code"]
    assert next_year["access_code"] != first["access_code"]


def test_wrong_password_arrives_as_not_authenticated(access):
    access.create_account("casey@school.example", "Casey Coordinator", PASSWORD)

    with pytest.raises(NotAuthenticated) as raised:
        access.sign_in("casey@school.example", "not the password")

    assert raised.value.code == "invalid_credentials"


def test_unknown_token_arrives_as_not_authenticated(access):
    with pytest.raises(NotAuthenticated) as raised:
        access.authorize("no-such-token", 1)

    assert raised.value.code == "not_authenticated"


def test_wrong_access_code_arrives_as_invalid_input_with_one_generic_code(access):
    token = signed_in(access)
    org = access.register_organization(ORGANIZATION)
    access.issue_access_code(org["id"], "2026-27")

    with pytest.raises(InvalidInput) as wrong_code:
        access.redeem_access_code(token, "48201", "Lincoln High School", "AAAA-BBBB-CCCC")
    with pytest.raises(InvalidInput) as wrong_zip:
        access.redeem_access_code(token, "10001", "Lincoln High School", "AAAA-BBBB-CCCC")

    assert wrong_code.value.code == wrong_zip.value.code == "invalid_access_code"
    assert wrong_code.value.message == wrong_zip.value.message
    with pytest.raises(NotFound) as no_access:  # and no access was granted
        access.authorize(token, org["id"], require_profile=False)
    assert no_access.value.code == "organization_not_found"


def test_terms_must_be_accepted_before_the_portal_opens(access):
    access.create_account("casey@school.example", "Casey Coordinator", PASSWORD)
    token = access.sign_in("casey@school.example", PASSWORD)["token"]

    with pytest.raises(Forbidden) as raised:
        access.authorize(token, 1)
    assert raised.value.code == "terms_not_accepted"
    with pytest.raises(Forbidden) as strict:
        access.authenticate(token)
    assert strict.value.code == "terms_not_accepted"
    assert access.authenticate(token, require_terms=False)["email"] == "casey@school.example"

    with pytest.raises(InvalidInput) as wrong_version:
        access.accept_portal_terms(token, "1999-01")
    assert wrong_version.value.code == "unknown_terms_version"


def test_authorize_waits_for_a_complete_profile(access):
    token, org = with_access(access)

    with pytest.raises(Conflict) as raised:
        access.authorize(token, org["id"])

    assert raised.value.code == "profile_incomplete"


def test_getting_access_comes_before_the_terms(access):
    access.create_account("casey@school.example", "Casey Coordinator", PASSWORD)
    token = access.sign_in("casey@school.example", PASSWORD)["token"]
    org = access.register_organization(ORGANIZATION)
    issued = access.issue_access_code(org["id"], "2026-27")

    granted = access.redeem_access_code(token, "48201", "Lincoln High School",
                                        issued["access_code"])
    requested = access.request_access_code(token, {
        "organization_name": "Lincoln High School", "zip": "48201",
        "requester_role": "coordinator", "message": "For next year."})

    assert granted["access"] == "manage"
    assert requested["routed_to"] == "operations"
    assert [o["id"] for o in access.me(token)["organizations"]] == [org["id"]]
    with pytest.raises(Forbidden) as profile:  # the organization itself waits for the terms
        access.get_profile(token, org["id"])
    assert profile.value.code == "terms_not_accepted"


def test_a_portal_page_gets_authorize_and_me_in_one_call(access):
    token, org = with_access(access)
    with pytest.raises(Conflict):  # the same refusals as authorize
        access.authorize_page(token, org["id"])
    access.update_profile(token, org["id"], PROFILE)

    page = access.authorize_page(token, org["id"], "manage")

    assert page == {"principal": access.authorize(token, org["id"], "manage"),
                    "me": access.me(token)}
    assert [held["id"] for held in page["me"]["organizations"]] == [org["id"]]
    with pytest.raises(NotFound):
        access.authorize_page(token, org["id"] + 1)
    with pytest.raises(NotAuthenticated):
        access.authorize_page("no-such-token", org["id"])


def test_announce_profiles_tells_every_complete_profile_again(access, listen, stays):
    """For a consumer deployed after the profiles were saved (vouchers' reminders)."""
    updated = listen("access", "profile_updated")
    token, org = with_access(access)
    access.update_profile(token, org["id"], PROFILE)
    incomplete = access.register_organization(dict(ORGANIZATION, name="Cass Tech",
                                                   zip="48202"))
    saved = updated.wait("profile_updated", 1)[0]

    assert access.announce_profiles() == {"announced": 1}  # not the one without a profile
    again = updated.wait("profile_updated", 2)[1]
    assert again["event_id"] != saved["event_id"]
    assert {key: value for key, value in again.items() if key != "event_id"} == \
        {key: value for key, value in saved.items() if key != "event_id"}
    assert again["organization_id"] == org["id"] != incomplete["id"]
    assert stays(lambda: updated.count("profile_updated") == 2)
