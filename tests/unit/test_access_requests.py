""""Don't have an access code" (docs/DOMAIN.md "Access-code requests"): a coordinator's or
alternate's request is queued for operations; anyone else's is referred to the
coordinator on file. Operations approve (the code is issued) or decline with a reason.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.access import accounts, audit, code_requests, organizations
from services.access.models import AccessCode
from services.access.profiles import save_profile
from services.access.terms import PORTAL_TERMS
from services.common.errors import Conflict, InvalidInput, NotFound, TooManyAttempts

PASSWORD = "correct horse battery"


def signed_in_account(store, clock, email="pat@example.org"):
    accounts.create_account(store, clock, email, "Pat Requester", PASSWORD)
    token = accounts.sign_in(store, clock, email, PASSWORD)["token"]
    accounts.accept_terms(store, clock, token, PORTAL_TERMS["version"])
    return token


def ask(store, clock, token, role="coordinator", name="Cass Technical High School",
        zip_code="48201", message="I am the new CLEP coordinator."):
    with store.transaction() as work:
        account = accounts.current_account(work.session, clock, token)
        return code_requests.create_request(work, clock, account, {
            "organization_name": name, "zip": zip_code, "requester_role": role,
            "message": message})


@pytest.fixture
def school(access_store, clock):
    with access_store.transaction() as work:
        org = organizations.register_organization(work, clock, {
            "name": "Cass Technical High School", "kind": "school", "zip": "48201",
            "city": "Detroit", "state": "MI"})
    return org["id"]


def give_coordinator(store, clock, org_id, email="dana@cass.example.org"):
    contact = {"name": "Dana", "email": email, "phone": "313-555-0100"}
    with store.transaction() as work:
        save_profile(work.session, clock, org_id, None, {
            "coordinator": contact,
            "second_contact": dict(contact, role="principal", email="p@cass.example.org"),
            "billing_contact": {"same_as_coordinator": True}})


@pytest.fixture
def token(access_store, clock):
    return signed_in_account(access_store, clock)


@pytest.mark.parametrize("role", ["coordinator", "alternate"])
def test_coordinators_and_alternates_go_to_operations(access_store, clock, token, school,
                                                     role):
    give_coordinator(access_store, clock, school)
    request, referral = ask(access_store, clock, token, role=role)
    assert (request["routed_to"], request["status"], referral) == ("operations", "pending",
                                                                   None)
    assert request["organization_id"] == school


def test_anyone_else_is_referred_to_the_coordinator_on_file(access_store, clock, token, school):
    give_coordinator(access_store, clock, school, email="Dana@Cass.Example.org")
    request, referral = ask(access_store, clock, token, role="other",
                            name="cass technical  high school")
    assert (request["routed_to"], request["status"]) == ("coordinator", "referred")
    assert referral == "dana@cass.example.org"
    assert request["organization_name"] == "Cass Technical High School"


def test_with_nobody_on_file_anyone_else_goes_to_operations(access_store, clock, token, school):
    request, referral = ask(access_store, clock, token, role="other")
    assert (request["routed_to"], referral) == ("operations", None)


def test_an_unregistered_organization_goes_to_operations(access_store, clock, token):
    request, _ = ask(access_store, clock, token, role="other", name="Not Registered Yet")
    assert request["routed_to"] == "operations" and request["organization_id"] is None


def test_the_same_request_twice_is_one_request_and_one_referral(access_store, clock, token,
                                                                school):
    give_coordinator(access_store, clock, school)
    first, referral = ask(access_store, clock, token, role="other")
    again, referral_again = ask(access_store, clock, token, role="other")
    assert again["id"] == first["id"] and referral and referral_again is None
    with access_store.reader() as session:
        assert len(code_requests.list_requests(session)) == 1


def test_an_account_may_send_five_requests_a_day(access_store, clock, token):
    for n in range(5):
        ask(access_store, clock, token, name="School {}".format(n))
    with pytest.raises(TooManyAttempts) as held:
        ask(access_store, clock, token, name="School 6")
    assert held.value.retry_after
    clock.frozen_at += timedelta(days=1, seconds=1)
    token = accounts.sign_in(access_store, clock, "pat@example.org", PASSWORD)["token"]
    assert ask(access_store, clock, token, name="School 6")[0]["status"] == "pending"


@pytest.mark.parametrize("changes, wrong", [
    ({"role": "principal"}, "requester_role"),
    ({"zip_code": "4820"}, "zip"),
    ({"name": ""}, "organization_name"),
    ({"message": " "}, "message"),
    ({"message": "x" * 2001}, "message"),
])
def test_bad_requests_name_the_field(access_store, clock, token, changes, wrong):
    with pytest.raises(InvalidInput) as invalid:
        ask(access_store, clock, token, **changes)
    assert wrong in invalid.value.fields


def test_operations_list_the_queue_with_the_requester(access_store, clock, token, school):
    request, _ = ask(access_store, clock, token)
    with access_store.reader() as session:
        [listed] = code_requests.list_requests(session, "pending")
        assert code_requests.list_requests(session, "declined") == []
    assert listed["id"] == request["id"]
    assert listed["requester"]["email"] == "pat@example.org"
    assert listed["message"] == "I am the new CLEP coordinator."


def approve(store, clock, request_id, organization_id=None):
    with store.transaction() as work:
        request, account = code_requests.approve(work, clock, request_id, organization_id)
        return code_requests.request_view(request, account)


def test_approving_marks_it_for_this_year(access_store, clock, token, school):
    request, _ = ask(access_store, clock, token)
    approved = approve(access_store, clock, request["id"])
    assert (approved["status"], approved["academic_year"]) == ("approved", "2026-27")
    assert approved["requester"]["email"] == "pat@example.org"
    with access_store.reader() as session:
        [entry] = audit.list_entries(session, action="access_code_request_approved")
    assert entry["organization_id"] == school


def test_an_unmatched_request_is_approved_for_a_named_organization(access_store, clock, token,
                                                                   school):
    request, _ = ask(access_store, clock, token, name="Cass Tech HS")
    with pytest.raises(InvalidInput) as invalid:
        approve(access_store, clock, request["id"])
    assert invalid.value.code == "organization_required"
    with pytest.raises(NotFound):
        approve(access_store, clock, request["id"], organization_id=999)
    assert approve(access_store, clock, request["id"], school)["organization_id"] == school


def test_a_decided_or_referred_request_cannot_be_decided_again(access_store, clock, token,
                                                               school):
    request, _ = ask(access_store, clock, token)
    approve(access_store, clock, request["id"])
    with pytest.raises(Conflict) as again:
        approve(access_store, clock, request["id"])
    assert again.value.code == "request_already_decided"
    give_coordinator(access_store, clock, school)
    referred, _ = ask(access_store, clock, token, role="other")
    with pytest.raises(Conflict) as theirs, access_store.transaction() as work:
        code_requests.decline(work, clock, referred["id"], "not ours")
    assert theirs.value.code == "request_referred"


def test_declining_needs_a_reason_and_keeps_it(access_store, clock, token, school):
    request, _ = ask(access_store, clock, token)
    with pytest.raises(InvalidInput), access_store.transaction() as work:
        code_requests.decline(work, clock, request["id"], "  ")
    with access_store.transaction() as work:
        declined, _ = code_requests.decline(work, clock, request["id"], "Not on our list.")
        view = code_requests.request_view(declined)
    assert (view["status"], view["decline_reason"]) == ("declined", "Not on our list.")
    with access_store.reader() as session:
        assert session.scalars(select(AccessCode)).all() == []


def test_an_unknown_request_is_not_found(access_store, clock):
    with pytest.raises(NotFound):
        approve(access_store, clock, 404)
