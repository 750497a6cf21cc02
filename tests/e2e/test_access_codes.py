"""Getting access with a yearly access code, asking for one, and the audit of it, through
HTTP with the real processes (issue 3; docs/DOMAIN.md "Access codes and yearly access",
"Access-code requests", "The audit")."""
import pytest

from services.common.academic_year import AcademicYear
from tests.access_mail import access_code_in
from tests.mail import body_of, mail_files, sent_to, wait_for_mail_file
from tests.e2e.checks import error_of

GENERIC = "The zip code, organization name and access code do not match our records."


def my_organizations(portal, account):
    return [(o["id"], o["access"], o["academic_year"])
            for o in portal.get("/api/me", account.headers).json()["organizations"]]


def typed(organization, code, **changes):
    body = {"zip": organization["zip"], "organization_name": organization["name"],
            "access_code": code}
    body.update(changes)
    return body


@pytest.fixture
def two_schools(portal):
    school = portal.register_organization()
    other = portal.register_organization()
    return (dict(school, code=portal.issue_access_code(school["id"])),
            dict(other, code=portal.issue_access_code(other["id"])))


def test_every_mismatch_gets_one_generic_error_and_no_access(portal, two_schools):
    school, other = two_schools
    next_year = str(AcademicYear.parse(portal.academic_year).next())
    next_years_code = portal.issue_access_code(school["id"], year=next_year)
    accounts = []
    mismatches = {
        "unknown zip": typed(school, school["code"], zip="99999"),
        "wrong name": typed(school, school["code"], organization_name="No Such School"),
        "wrong code": typed(school, "AAAA-BBBB-CCCC"),
        "a code of another year": typed(school, next_years_code),
        "a code of another organization": typed(school, other["code"]),
        "not a code at all": typed(school, "hello"),
    }
    for case, body in mismatches.items():
        account = portal.new_account()  # one each: five failures in a row are held off
        accounts.append(account)
        error = error_of(portal.post("/api/access-codes/redemptions", account.headers,
                                     json=body), 400)
        assert (error["code"], error["message"], error.get("fields")) == (
            "invalid_access_code", GENERIC, None), case
    for account in accounts:
        assert my_organizations(portal, account) == []
        assert portal.get(f"/api/organizations/{school['id']}/profile",
                          account.headers).status_code == 404


@pytest.mark.parametrize("changes, field", [
    ({"organization_name": "x" * 201}, "organization_name"),
    ({"access_code": "A" * 41}, "access_code"),
    ({"zip": ""}, "zip"),
    ({"access_code": 123412341234}, "access_code"),
])
def test_oversized_or_malformed_fields_are_invalid_input(portal, two_schools, changes, field):
    school, _ = two_schools
    account = portal.new_account()
    error = error_of(portal.post("/api/access-codes/redemptions", account.headers,
                                 json=typed(school, school["code"], **changes)), 400)
    assert error["code"] == "invalid_input" and field in error["fields"]
    assert my_organizations(portal, account) == []


def test_the_code_typed_loosely_gives_manage_access_for_this_year(portal, two_schools):
    school, _ = two_schools
    account = portal.new_account()
    redeemed = portal.post("/api/access-codes/redemptions", account.headers, json=typed(
        school, school["code"].lower().replace("-", " "),
        organization_name="  " + school["name"].upper() + " "))
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json() == {"organization": {"id": school["id"], "name": school["name"],
                                                "kind": "school"},
                               "access": "manage", "academic_year": portal.academic_year}
    assert my_organizations(portal, account) == [(school["id"], "manage",
                                                  portal.academic_year)]


def test_five_wrong_codes_hold_the_account_off_even_for_the_right_code(portal, two_schools):
    school, _ = two_schools
    account = portal.new_account()
    for _ in range(5):
        assert portal.redeem(account, school, "0000-0000-0000").status_code == 400
    held = portal.redeem(account, school, school["code"])
    assert error_of(held, 429)["code"] == "too_many_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 60
    assert my_organizations(portal, account) == []
    colleague = portal.new_account()  # the hold is the account's, not the organization's
    assert portal.redeem(colleague, school, school["code"]).status_code == 201


def test_guessers_at_an_organization_are_held_off_not_its_coordinator(portal, two_schools):
    school, _ = two_schools
    for _ in range(4):  # 4 accounts x 5 wrong codes: 20 failures against one organization
        attacker = portal.new_account()
        for _ in range(5):
            assert portal.redeem(attacker, school, "0000-0000-0000").status_code == 400
    held = portal.redeem(attacker, school, school["code"])
    assert error_of(held, 429)["code"] == "too_many_attempts"
    assert 0 < int(held.headers["Retry-After"]) <= 60
    coordinator = portal.new_account()  # the real one, with the code: in
    assert portal.redeem(coordinator, school, school["code"]).status_code == 201
    assert my_organizations(portal, coordinator) == [(school["id"], "manage",
                                                      portal.academic_year)]


def test_one_account_holds_several_organizations(portal, two_schools):
    school, other = two_schools
    third = portal.register_organization()
    portal.set_fees()
    account = portal.new_account()
    for organization in (school, other):
        assert portal.redeem(account, organization, organization["code"]).status_code == 201
        portal.complete_profile(account, organization["id"])
    assert sorted(my_organizations(portal, account)) == sorted(
        [(school["id"], "manage", portal.academic_year),
         (other["id"], "manage", portal.academic_year)])
    for organization in (school, other):
        assert portal.get(f"/api/organizations/{organization['id']}/order-quote",
                          account.headers).status_code == 200
    assert error_of(portal.get(f"/api/organizations/{third['id']}/order-quote",
                               account.headers), 404)["code"] == "organization_not_found"


def test_operations_see_who_redeemed_which_code_and_every_failure(portal, two_schools):
    school, _ = two_schools
    account = portal.new_account()
    portal.redeem(account, school, "0000-0000-0000")
    portal.redeem(account, school, school["code"])
    portal.complete_profile(account, school["id"])
    entries = portal.audit(organization_id=school["id"])
    actions = [entry["action"] for entry in entries]
    assert actions == ["profile_updated", "access_code_redeemed", "access_code_rejected",
                       "access_code_issued"]
    profile, redeemed, rejected, _ = entries
    assert redeemed["account"]["email"] == account.email
    assert redeemed["detail"] == {"academic_year": portal.academic_year,
                                  "access_code": school["code"]}
    assert rejected["account"]["email"] == account.email
    assert rejected["detail"]["organization_name"] == school["name"]
    assert rejected["detail"]["access_code"] == "0000-0000-0000"  # what was typed
    assert profile["account"]["email"] == account.email
    assert "coordinator.email" in profile["detail"]["changed"]
    nowhere = portal.new_account()
    portal.post("/api/access-codes/redemptions", nowhere.headers,
                json=typed(school, school["code"], zip="99999"))
    account_id = portal.get("/api/me", nowhere.headers).json()["id"]
    [failure] = portal.audit(account_id=account_id)
    assert (failure["action"], failure["organization_id"], failure["detail"]["zip"]) == (
        "access_code_rejected", None, "99999")
    assert portal.get("/api/admin/audit", account.headers).status_code == 403


# --- "Don't have an access code" -------------------------------------------------------


def test_a_coordinators_request_is_approved_and_the_code_mailed(portal, system_env,
                                                                 two_schools, public_url):
    school, _ = two_schools
    requester = portal.new_account()
    asked = portal.request_access_code(requester, school, role="coordinator")
    assert asked.status_code == 202, asked.text
    assert asked.json()["routed_to"] == "operations"
    queued = [r for r in portal.access_code_requests(status="pending")
              if r["id"] == asked.json()["id"]]
    assert queued and queued[0]["requester"]["email"] == requester.email
    assert queued[0]["organization_id"] == school["id"]

    approved = portal.approve_access_code_request(asked.json()["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["emailed_to"] == requester.email
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(requester.email))
    assert access_code_in(mail) == school["code"]
    assert f"{public_url}/get-access\n" in body_of(mail)  # the portal's get-access page
    assert portal.redeem(requester, school, access_code_in(mail)).status_code == 201
    again = portal.approve_access_code_request(asked.json()["id"])
    assert error_of(again, 409)["code"] == "request_already_decided"


def test_anyone_elses_request_is_referred_to_the_coordinator_on_file(portal, system_env,
                                                                      public_url):
    coordinator, school = portal.coordinator_of()
    teacher = portal.new_account()
    asked = portal.request_access_code(teacher, school, role="other",
                                       message="I teach AP Biology and proctor CLEP.")
    assert asked.status_code == 202
    assert asked.json()["routed_to"] == "coordinator"
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(coordinator.email))
    assert teacher.email in body_of(mail) and "AP Biology" in body_of(mail)
    assert access_code_in(mail) is None  # the coordinator decides; the code is not in it
    assert f"{public_url}/sign-in\n" in body_of(mail)
    assert not [m for m in mail_files(system_env["CLEP_DATA_DIR"]) if sent_to(teacher.email)(m)]
    listed = [r for r in portal.access_code_requests() if r["id"] == asked.json()["id"]]
    assert listed[0]["status"] == "referred"
    refused = portal.approve_access_code_request(asked.json()["id"])
    assert error_of(refused, 409)["code"] == "request_referred"


def test_a_declined_request_tells_the_requester_why(portal, system_env, two_schools):
    school, _ = two_schools
    requester = portal.new_account()
    asked = portal.request_access_code(requester, school, role="alternate").json()
    assert asked["routed_to"] == "operations"
    no_reason = portal.decline_access_code_request(asked["id"], "")
    assert error_of(no_reason, 400)["fields"].keys() == {"reason"}
    declined = portal.decline_access_code_request(asked["id"], "The coordinator on file "
                                                  "does not know you.")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(requester.email))
    assert "does not know you" in body_of(mail) and access_code_in(mail) is None


def test_a_request_for_an_unregistered_organization_is_approved_once_named(portal, system_env):
    requester = portal.new_account()
    unregistered = {"name": "Brand New Academy", "zip": "48226"}
    asked = portal.request_access_code(requester, unregistered, role="coordinator").json()
    assert asked["routed_to"] == "operations"
    unnamed = portal.approve_access_code_request(asked["id"])
    assert error_of(unnamed, 400)["code"] == "organization_required"
    academy = portal.register_organization(name="Brand New Academy", zip="48226")
    approved = portal.approve_access_code_request(asked["id"], organization_id=academy["id"])
    assert approved.status_code == 200 and approved.json()["organization_id"] == academy["id"]
    [mail] = wait_for_mail_file(system_env["CLEP_DATA_DIR"], sent_to(requester.email))
    assert portal.redeem(requester, academy, access_code_in(mail)).status_code == 201


@pytest.mark.parametrize("changes, field", [
    ({"requester_role": "principal"}, "requester_role"),
    ({"zip": "4820"}, "zip"),
    ({"message": ""}, "message"),
    ({"message": "x" * 2001}, "message"),
    ({"organization_name": "x" * 201}, "organization_name"),
])
def test_bad_requests_are_refused_and_queue_nothing(portal, changes, field):
    requester = portal.new_account()
    body = {"organization_name": "Some School", "zip": "48201",
            "requester_role": "coordinator", "message": "Please."}
    body.update(changes)
    error = error_of(portal.post("/api/access-code-requests", requester.headers, json=body), 400)
    assert field in error["fields"]
    account_id = portal.get("/api/me", requester.headers).json()["id"]
    assert [r for r in portal.access_code_requests()
            if r["requester"]["id"] == account_id] == []
