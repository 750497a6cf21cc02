"""People with access over RPC: the list a coordinator sees, removing someone (at once, for
the year, audited), the rule that only the profile's contacts see scores, and the
academic years access has data of. On SQLite and PostgreSQL."""
import pytest

from services.access.service import AccessService
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.integration.test_access import FROZEN_NOW, PASSWORD, PROFILE

SCHOOL = {"name": "Lincoln High School", "kind": "school", "zip": "48201",
          "city": "Detroit", "state": "MI"}
DISTRICT = {"name": "Detroit Public Schools", "kind": "district", "zip": "48202",
            "city": "Detroit", "state": "MI"}


@pytest.fixture
def access(start_service, rpc):
    start_service(AccessService, CLOCK_NOW=FROZEN_NOW)
    return rpc.access


def account(access, email, name):
    created = access.create_account(email, name, PASSWORD)
    token = access.sign_in(email, PASSWORD)["token"]
    access.accept_portal_terms(token, "2026-07")
    return created["id"], token


def redeem(access, token, org, code):
    return access.redeem_access_code(token, org["zip"], org["name"], code)


@pytest.fixture
def school(access):
    """The school, its code, and its coordinator (named on the complete profile)."""
    org = access.register_organization(dict(SCHOOL, district_id=None))
    code = access.issue_access_code(org["id"], "2026-27")["access_code"]
    casey_id, casey = account(access, "casey@school.example", "Casey Coordinator")
    redeem(access, casey, org, code)
    access.update_profile(casey, org["id"], PROFILE)
    return {"org": org, "code": code, "casey": casey, "casey_id": casey_id}


def test_the_coordinator_sees_who_holds_access_and_how_they_got_it(access, school):
    org = school["org"]
    pat_id, pat = account(access, "pat@school.example", "Pat Principal")
    redeem(access, pat, org, school["code"])
    # Robin asked operations for the code, who approved: the membership says so
    robin_id, robin = account(access, "robin@school.example", "Robin Teacher")
    asked = access.request_access_code(robin, {
        "organization_name": SCHOOL["name"], "zip": SCHOOL["zip"],
        "requester_role": "alternate", "message": "I help with testing."})
    access.approve_access_code_request(asked["id"])
    redeem(access, robin, org, school["code"])

    listed = access.organization_members(school["casey"], org["id"])

    assert listed["academic_year"] == "2026-27"
    assert listed["scores_contacts_only"] is False
    by_email = {member["email"]: member for member in listed["members"]}
    assert [m["name"] for m in listed["members"]] == [
        "Casey Coordinator", "Pat Principal", "Robin Teacher"]
    assert by_email["casey@school.example"] == {
        "account_id": school["casey_id"], "name": "Casey Coordinator",
        "email": "casey@school.example", "access": "manage",
        "granted_at": "2026-09-15T14:00:00+00:00", "granted_via": "access_code",
        "through_organization_id": org["id"], "profile_contact": True, "removable": True,
        "you": True}
    assert by_email["pat@school.example"]["profile_contact"] is True  # the second contact
    assert by_email["robin@school.example"]["profile_contact"] is False  # flagged
    assert by_email["robin@school.example"]["granted_via"] == "access_code_request"
    assert by_email["robin@school.example"]["account_id"] == robin_id
    assert by_email["pat@school.example"]["you"] is False and pat_id


def test_a_school_lists_its_districts_people_read_only_and_cannot_remove_them(access):
    district = access.register_organization(DISTRICT)
    school = access.register_organization(dict(SCHOOL, district_id=district["id"]))
    district_code = access.issue_access_code(district["id"], "2026-27")["access_code"]
    school_code = access.issue_access_code(school["id"], "2026-27")["access_code"]
    dana_id, dana = account(access, "dana@district.example", "Dana District")
    redeem(access, dana, district, district_code)
    access.update_profile(dana, district["id"], dict(PROFILE, coordinator=dict(
        PROFILE["coordinator"], email="dana@district.example")))
    casey_id, casey = account(access, "casey@school.example", "Casey Coordinator")
    redeem(access, casey, school, school_code)

    listed = access.organization_members(casey, school["id"])["members"]

    assert [(m["name"], m["access"], m["granted_via"], m["removable"],
             m["profile_contact"]) for m in listed] == [
        ("Casey Coordinator", "manage", "access_code", True, False),
        ("Dana District", "read_only", "district", False, True)]
    with pytest.raises(Conflict) as through_district:
        access.remove_member(casey, school["id"], dana_id)
    assert through_district.value.code == "access_through_district"
    with pytest.raises(Forbidden) as read_only:  # the district's people only read the school
        access.organization_members(dana, school["id"])
    assert read_only.value.code == "read_only_access"
    # the district's rule concerns its schools: the answer names them, for the gateway
    assert access.set_score_visibility(dana, district["id"], {"scores_contacts_only": True}) \
        == {"scores_contacts_only": True, "organization_ids": [district["id"], school["id"]]}


def test_removing_someone_ends_their_access_at_once_and_for_the_year(access, school,
                                                                     listen):
    notices = listen("access", "access_changed")
    org = school["org"]
    robin_id, robin = account(access, "robin@school.example", "Robin Teacher")
    redeem(access, robin, org, school["code"])
    assert access.authorize(robin, org["id"])["access"] == "manage"

    removed = access.remove_member(school["casey"], org["id"], robin_id)

    assert removed == {"account_id": robin_id, "organization_id": org["id"],
                       "academic_year": "2026-27", "removed": True}
    with pytest.raises(NotFound):
        access.authorize(robin, org["id"])
    with pytest.raises(Forbidden) as again:  # the code they know does not bring it back
        redeem(access, robin, org, school["code"])
    assert again.value.code == "access_removed"
    with pytest.raises(NotFound):
        access.authorize(robin, org["id"])
    assert [m["email"] for m in access.organization_members(
        school["casey"], org["id"])["members"]] == ["casey@school.example"]
    notices.wait("access_changed")
    assert any(n["account_id"] == robin_id and n["reason"] == "access_removed"
               for n in notices["access_changed"])
    entry = access.audit_entries(organization_id=org["id"], action="member_removed")[0]
    assert entry["account"]["id"] == school["casey_id"]
    assert entry["detail"]["removed_account_id"] == robin_id
    assert entry["detail"]["removed_email"] == "robin@school.example"
    with pytest.raises(NotFound) as gone:
        access.remove_member(school["casey"], org["id"], robin_id)
    assert gone.value.code == "member_not_found"


def test_the_last_coordinator_cannot_remove_themselves_but_one_of_two_can_leave(access,
                                                                               school):
    org = school["org"]
    with pytest.raises(Conflict) as last:
        access.remove_member(school["casey"], org["id"], school["casey_id"])
    assert last.value.code == "last_manager"
    _pat_id, pat = account(access, "pat@school.example", "Pat Principal")
    redeem(access, pat, org, school["code"])

    access.remove_member(school["casey"], org["id"], school["casey_id"])

    with pytest.raises(NotFound):
        access.authorize(school["casey"], org["id"])
    assert access.authorize(pat, org["id"], "manage")["access"] == "manage"


def test_scores_can_be_kept_to_the_coordinator_and_alternate(access, school):
    org = school["org"]
    _pat_id, pat = account(access, "pat@school.example", "Pat Principal")
    _robin_id, robin = account(access, "robin@school.example", "Robin Teacher")
    for token in (pat, robin):
        redeem(access, token, org, school["code"])
    assert access.authorize(robin, org["id"], "scores")["access"] == "manage"

    assert access.set_score_visibility(school["casey"], org["id"], {
        "scores_contacts_only": True}) == {"scores_contacts_only": True,
                                           "organization_ids": [org["id"]]}

    with pytest.raises(Forbidden) as restricted:
        access.authorize(robin, org["id"], "scores")
    assert restricted.value.code == "scores_restricted"
    assert access.authorize(robin, org["id"], "read")["access"] == "manage"  # the rest opens
    for contact in (school["casey"], pat):
        assert access.authorize(contact, org["id"], "scores")["access"] == "manage"
    assert access.organization_members(school["casey"], org["id"])["scores_contacts_only"]
    entry = access.audit_entries(organization_id=org["id"], action="score_visibility_changed")
    assert entry[0]["detail"] == {"contacts_only": True}

    access.set_score_visibility(school["casey"], org["id"], {"scores_contacts_only": False})
    assert access.authorize(robin, org["id"], "scores")["access"] == "manage"


def test_score_visibility_takes_a_boolean_and_manage_access(access, school):
    org = school["org"]
    for wrong in ({}, {"scores_contacts_only": "yes"}, {"scores_contacts_only": 1}):
        with pytest.raises(InvalidInput) as refused:
            access.set_score_visibility(school["casey"], org["id"], wrong)
        assert "scores_contacts_only" in refused.value.fields
    _id, stranger = account(access, "stranger@example.org", "Sam Stranger")
    with pytest.raises(NotFound):
        access.set_score_visibility(stranger, org["id"], {"scores_contacts_only": True})
    with pytest.raises(NotFound):
        access.remove_member(stranger, org["id"], school["casey_id"])
    with pytest.raises(NotFound):
        access.organization_members(stranger, org["id"])


def test_academic_years_access_has_data_of(access, school, dispatch, wait_for):
    org = school["org"]
    access.issue_access_code(org["id"], "2027-28")
    dispatch("orders", "order_placed", {
        "event_id": "order-1", "id": 1, "organization_id": org["id"],
        "academic_year": "2024-25", "placed_at": "2024-10-01T12:00:00+00:00"})

    wait_for(lambda: "2024-25" in access.academic_years(org["id"]))
    assert access.academic_years(org["id"]) == ["2027-28", "2026-27", "2024-25"]
    assert access.academic_years(999999) == []


def test_only_a_profile_contact_removes_a_profile_contact(access, school):
    """Everyone who redeems the code manages; the profile's two contacts are kept from
    being removed by anyone else (else any member could lock the coordinator out)."""
    org = school["org"]
    pat_id, pat = account(access, "pat@school.example", "Pat Principal")
    robin_id, robin = account(access, "robin@school.example", "Robin Teacher")
    for token in (pat, robin):
        redeem(access, token, org, school["code"])

    for contact_id in (school["casey_id"], pat_id):
        with pytest.raises(Forbidden) as protected:
            access.remove_member(robin, org["id"], contact_id)
        assert protected.value.code == "profile_contact_protected"
    assert access.authorize(school["casey"], org["id"], "manage")["access"] == "manage"
    assert access.audit_entries(organization_id=org["id"], action="member_removed") == []

    access.remove_member(pat, org["id"], robin_id)  # a contact removes anyone
    access.remove_member(pat, org["id"], school["casey_id"])  # and the other contact
    with pytest.raises(NotFound):
        access.authorize(school["casey"], org["id"])


def test_operations_undoes_a_removal_and_the_code_lets_them_in_again(access, school):
    org = school["org"]
    robin_id, robin = account(access, "robin@school.example", "Robin Teacher")
    redeem(access, robin, org, school["code"])
    access.remove_member(school["casey"], org["id"], robin_id)

    restored = access.restore_member(org["id"], robin_id, "2026-27")

    assert restored == {"account_id": robin_id, "organization_id": org["id"],
                        "academic_year": "2026-27", "restored": True}
    with pytest.raises(NotFound):  # nothing is granted: the code is redeemed again
        access.authorize(robin, org["id"])
    redeem(access, robin, org, school["code"])
    assert access.authorize(robin, org["id"], "manage")["access"] == "manage"
    entry = access.audit_entries(organization_id=org["id"], action="member_restored")[0]
    assert entry["account"] is None
    assert entry["detail"]["restored_account_id"] == robin_id
    assert entry["detail"]["restored_email"] == "robin@school.example"
    assert entry["detail"]["academic_year"] == "2026-27"
    with pytest.raises(NotFound) as again:
        access.restore_member(org["id"], robin_id)  # the current year by default
    assert again.value.code == "removal_not_found"


def test_two_managers_removing_each_other_at_once_leave_one(access, rpc):
    """The last-manager check holds under concurrency: the organization's row is locked
    first (on PostgreSQL; SQLite's writers are serialized), so the second removal sees the
    first. Without the lock both commit and nobody manages the organization."""
    ann_id, ann = account(access, "ann@school.example", "Ann")
    bob_id, bob = account(access, "bob@school.example", "Bob")
    for round_ in range(6):
        org = access.register_organization(dict(SCHOOL, name="School {}".format(round_),
                                                district_id=None))
        code = access.issue_access_code(org["id"], "2026-27")["access_code"]
        for token in (ann, bob):
            redeem(access, token, org, code)
        calls = [rpc.access.remove_member.call_async(ann, org["id"], bob_id),
                 rpc.access.remove_member.call_async(bob, org["id"], ann_id)]
        outcomes = []
        for call in calls:
            try:
                outcomes.append(call.result()["removed"])
            except (Conflict, NotFound) as refused:
                outcomes.append(refused.code)
        assert outcomes.count(True) == 1, outcomes
        managers = [m for token in (ann, bob)
                    for m in _managers_seen_by(access, token, org["id"])]
        assert len(managers) == 1, managers


def _managers_seen_by(access, token, org_id):
    try:
        return [m["account_id"] for m in access.organization_members(token, org_id)["members"]
                if m["access"] == "manage"]
    except NotFound:
        return []
