"""The audit of who got in, kept by the access service: who redeemed which code, every
failed redemption, codes issued; listed for operations, newest first, filtered."""
import pytest

from services.access import accounts, audit, organizations
from services.access.terms import PORTAL_TERMS
from services.common.academic_year import AcademicYear
from services.common.errors import InvalidInput, TooManyAttempts

PASSWORD = "correct horse battery"


def signed_in(store, clock, email):
    account = accounts.create_account(store, clock, email, "Someone", PASSWORD)
    token = accounts.sign_in(store, clock, email, PASSWORD)["token"]
    accounts.accept_terms(store, clock, token, PORTAL_TERMS["version"])
    return account, token


def redeem(store, clock, token, zip_code, name, code):
    with store.transaction() as work:
        account = accounts.current_account(work.session, clock, token)
        result, error = organizations.redeem_access_code(work, clock, account, zip_code,
                                                         name, code)
    if error is not None:
        raise error
    return result


@pytest.fixture
def school(access_store, clock):
    with access_store.transaction() as work:
        org = organizations.register_organization(work, clock, {
            "name": "Cass Technical High School", "kind": "school", "zip": "48201",
            "city": "Detroit", "state": "MI"})
        issued, _ = organizations.issue_access_code(work, clock, org["id"], AcademicYear(2026))
    return dict(org, code=issued["access_code"])


def entries(store, **filters):
    with store.reader() as session:
        return audit.list_entries(session, **filters)


def test_who_redeemed_which_code(access_store, clock, school):
    dana, token = signed_in(access_store, clock, "dana@example.org")
    redeem(access_store, clock, token, "48201", "Cass Technical High School", school["code"])
    [entry] = entries(access_store, action="access_code_redeemed")
    assert entry["account"] == {"id": dana["id"], "email": "dana@example.org",
                                "name": "Someone"}
    assert entry["organization_id"] == school["id"]
    assert entry["detail"] == {"academic_year": "2026-27", "access_code": school["code"]}


def test_every_failed_redemption_is_kept_with_what_was_typed(access_store, clock, school):
    pat, token = signed_in(access_store, clock, "pat@example.org")
    for zip_code, name in (("48201", "Cass Technical High School"), ("10001", "Nowhere High")):
        with pytest.raises(InvalidInput):
            redeem(access_store, clock, token, zip_code, name, "0000-0000-0000")
    unknown, known = entries(access_store, account_id=pat["id"])
    assert (known["action"], known["organization_id"]) == ("access_code_rejected",
                                                           school["id"])
    assert (unknown["action"], unknown["organization_id"]) == ("access_code_rejected", None)
    assert unknown["detail"] == {"zip": "10001", "organization_name": "Nowhere High",
                                 "access_code": "0000-0000-0000", "academic_year": "2026-27"}
    assert known["detail"]["access_code"] == "0000-0000-0000"


def test_tries_while_held_off_are_audited_too(access_store, clock, school):
    pat, token = signed_in(access_store, clock, "pat@example.org")
    for _ in range(5):
        with pytest.raises(InvalidInput):
            redeem(access_store, clock, token, "48201", "Cass Technical High School", "nope")
    with pytest.raises(TooManyAttempts):
        redeem(access_store, clock, token, "48201", "Cass Technical High School",
               school["code"])
    assert entries(access_store, account_id=pat["id"])[0]["action"] == "access_code_held_off"
    assert entries(access_store, action="access_code_redeemed") == []


def test_the_list_is_newest_first_and_filtered_by_organization(access_store, clock, school):
    with access_store.transaction() as work:
        other = organizations.register_organization(work, clock, {
            "name": "Renaissance High School", "kind": "school", "zip": "48201",
            "city": "Detroit", "state": "MI"})
        organizations.issue_access_code(work, clock, other["id"], AcademicYear(2026))
    _, token = signed_in(access_store, clock, "dana@example.org")
    redeem(access_store, clock, token, "48201", "Cass Technical High School", school["code"])
    actions = [e["action"] for e in entries(access_store, organization_id=school["id"])]
    assert actions == ["access_code_redeemed", "access_code_issued"]
    assert [e["action"] for e in entries(access_store, organization_id=other["id"])] == [
        "access_code_issued"]
    assert len(entries(access_store, limit=1)) == 1
