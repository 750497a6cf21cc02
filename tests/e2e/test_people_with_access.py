"""People with access and an organization's academic years, through the API with two
gateway processes that keep authorizations (issue 13): removing a member locks them out
of every process by the notice, not by the kept answer's expiry; scores kept to the
coordinator and alternate refuse another member, in the API's error shape; only the
profile's contacts remove one of them, and operations can undo a removal."""
import os
import subprocess
import sys
import uuid
from datetime import date

from scripts.system import PROJECT_ROOT
from services.common.clock import Clock
from tests.e2e.gateway_processes import get
from tests.e2e.test_gateway_processes import (  # noqa: F401 (connections: the fixture)
    connections, every_connection, seconds_until)

GATEWAY_WORKERS = 2
# kept answers end only by notice here: a lost one would show, not expire
SETTINGS = {"CLEP_CACHE_SECONDS": "3600"}
# The product promises about a second (the notice follows the commit by milliseconds);
# a loaded CI machine may take longer, and what this checks is that the notice, not the
# hour-long expiry, ends what every process kept: no timing is asserted.
NOTICE_GIVE_UP_SECONDS = 30


def refused_everywhere_by_the_notice(held, path, token, status, code):
    """Every process answers `path` with `status` and `code`, though each kept the
    previous answer for an hour: the notice ended it."""
    seconds_until(held, path, token, lambda answered, body: answered == status,
                  give_up_after=NOTICE_GIVE_UP_SECONDS)
    for connection in every_connection(held):
        answered, body = get(connection, path, token)
        assert (answered, body["error"]["code"]) == (status, code)
        assert body["error"]["message"]


def college_with_a_member(portal):
    """A college, its coordinator (on the profile) and a second person who redeemed the
    same code (named nowhere)."""
    college = portal.register_organization(kind="college")
    code = portal.issue_access_code(college["id"])
    coordinator = portal.new_account()
    assert portal.redeem(coordinator, college, code).status_code == 201
    portal.complete_profile(coordinator, college["id"])
    member = portal.new_account()
    assert portal.redeem(member, college, code).status_code == 201
    return college, code, coordinator, member


def score_of(portal, college):
    result_id = "R-" + uuid.uuid4().hex[:10]
    recorded = portal.record_exam_results([{
        "result_id": result_id, "exam": "Biology", "test_date": Clock().today().isoformat(),
        "score": 61, "delivery_mode": "test_center", "attending_institution_id": college["id"],
        "student": {"id": "S-1", "first_name": "Ada", "last_name": "Lovelace",
                    "email": "ada@example.org"}}])
    assert recorded["accepted"] == 1, recorded
    return result_id


def test_removing_a_member_locks_them_out_of_every_process_at_once(
        portal, connections):  # noqa: F811 (the imported fixture)
    college, code, coordinator, member = college_with_a_member(portal)
    members_path = f"/api/organizations/{college['id']}/members"
    orders = f"/api/organizations/{college['id']}/orders"
    for connection in every_connection(connections):  # each process keeps their answer
        assert get(connection, orders, member.token)[0] == 200

    listed = portal.get(members_path, coordinator.headers)
    assert listed.status_code == 200, listed.text
    people = {person["email"]: person for person in listed.json()["members"]}
    assert set(people) == {coordinator.email, member.email}
    assert people[coordinator.email]["profile_contact"] is True
    assert people[member.email]["profile_contact"] is False  # flagged
    assert people[member.email]["access"] == "manage"
    assert people[member.email]["granted_via"] == "access_code"
    assert people[member.email]["granted_at"]

    removed = portal.request("DELETE", f"{members_path}/{people[member.email]['account_id']}",
                             coordinator.headers)
    assert removed.status_code == 200, removed.text

    refused_everywhere_by_the_notice(connections, orders, member.token, 404,
                                       "organization_not_found")
    again = portal.redeem(member, college, code)
    assert again.status_code == 403 and again.json()["error"]["code"] == "access_removed"
    for connection in every_connection(connections):
        assert get(connection, orders, coordinator.token)[0] == 200
    entry = portal.audit(organization_id=college["id"], action="member_removed")[0]
    assert entry["detail"]["removed_email"] == member.email
    assert entry["account"]["email"] == coordinator.email


def test_scores_kept_to_the_coordinator_and_alternate_refuse_another_member(
        portal, connections):  # noqa: F811 (the imported fixture)
    college, _code, coordinator, member = college_with_a_member(portal)
    result_id = score_of(portal, college)
    scores = f"/api/organizations/{college['id']}/scores"
    for connection in every_connection(connections):
        assert get(connection, scores, member.token)[0] == 200

    turned_on = portal.put(f"/api/organizations/{college['id']}/score-visibility",
                           coordinator.headers, json={"scores_contacts_only": True})
    assert turned_on.json() == {"scores_contacts_only": True}, turned_on.text

    refused_everywhere_by_the_notice(connections, scores, member.token, 403,
                                       "scores_restricted")
    for path in (f"{scores}/{result_id}", f"/api/organizations/{college['id']}/scores.csv"):
        refused = portal.get(path, member.headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "scores_restricted"
    for connection in every_connection(connections):  # the coordinator reads; the member
        # still reads the rest
        assert get(connection, scores, coordinator.token)[0] == 200
        assert get(connection, f"/api/organizations/{college['id']}/orders",
                   member.token)[0] == 200
    assert portal.get(f"{scores}/{result_id}", coordinator.headers).status_code == 200
    assert portal.get(f"/api/organizations/{college['id']}/members",
                      coordinator.headers).json()["scores_contacts_only"] is True


def access_cli(system_env, *args):
    return subprocess.run([sys.executable, "-m", "services.access.cli", *args],
                          cwd=PROJECT_ROOT, env=dict(os.environ, **system_env),
                          capture_output=True, text=True, timeout=120)


def test_a_member_cannot_lock_out_the_coordinator_and_operations_undoes_a_removal(
        portal, system_env):
    college, code, coordinator, member = college_with_a_member(portal)
    base = f"/api/organizations/{college['id']}"
    people = {p["email"]: p["account_id"] for p in
              portal.get(f"{base}/members", coordinator.headers).json()["members"]}

    refused = portal.request("DELETE", f"{base}/members/{people[coordinator.email]}",
                             member.headers)

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "profile_contact_protected"
    assert refused.json()["error"]["message"]
    assert portal.get(f"{base}/orders", coordinator.headers).status_code == 200
    # the coordinator removes the member; operations undoes it, by the API then the CLI
    for undo in ("api", "cli"):
        removed = portal.request("DELETE", f"{base}/members/{people[member.email]}",
                                 coordinator.headers)
        assert removed.status_code == 200, removed.text
        again = portal.redeem(member, college, code)
        assert again.json()["error"]["code"] == "access_removed"
        removal = f"/api/admin/organizations/{college['id']}/member-removals/" \
                  f"{people[member.email]}"
        if undo == "api":
            assert portal.request("DELETE", removal, member.headers).status_code == 403
            restored = portal.request("DELETE", removal, portal.ops)
            assert restored.status_code == 200, restored.text
            assert restored.json()["restored"] is True
            twice = portal.request("DELETE", removal, portal.ops)
            assert twice.status_code == 404
            assert twice.json()["error"]["code"] == "removal_not_found"
        else:
            ran = access_cli(system_env, "restore-member", str(college["id"]),
                             str(people[member.email]), "--year", portal.academic_year)
            assert ran.returncode == 0, ran.stderr
            assert "may redeem the access code" in ran.stdout
        assert portal.redeem(member, college, code).status_code == 201
        assert portal.get(f"{base}/orders", member.headers).status_code == 200
    entries = portal.audit(organization_id=college["id"], action="member_restored")
    assert [e["detail"]["restored_email"] for e in entries] == [member.email] * 2


def test_only_a_coordinator_of_the_organization_may_list_remove_or_restrict(portal):
    college, _code, coordinator, member = college_with_a_member(portal)
    stranger, _elsewhere = portal.coordinator_of()
    base = f"/api/organizations/{college['id']}"
    me = portal.get("/api/me", coordinator.headers).json()["id"]
    for account, status, code in ((stranger, 404, "organization_not_found"),
                                  (coordinator, 409, "last_manager")):
        if account is coordinator:  # the member leaves first: the coordinator is the last
            leaving = portal.get(f"{base}/members", coordinator.headers).json()["members"]
            other = next(p for p in leaving if not p["you"])["account_id"]
            assert portal.request("DELETE", f"{base}/members/{other}",
                                  coordinator.headers).status_code == 200
        refused = portal.request("DELETE", f"{base}/members/{me}", account.headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    assert portal.get(f"{base}/members", stranger.headers).status_code == 404
    assert portal.put(f"{base}/score-visibility", stranger.headers,
                      json={"scores_contacts_only": True}).status_code == 404
    assert portal.get(f"{base}/members", portal.ops).json()["error"]["code"] == \
        "wrong_token_kind"
    for body in ({}, {"scores_contacts_only": "yes"}, {"scores_contacts_only": None},
                 {"scores_contacts_only": True, "extra": 1}):
        refused = portal.put(f"{base}/score-visibility", coordinator.headers, json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"]["code"] == "invalid_input"
    for path in (f"{base}/members/0", f"{base}/members/99999999", f"{base}/members/x"):
        refused = portal.request("DELETE", path, coordinator.headers)
        assert refused.status_code in (400, 404), refused.text
        assert refused.json()["error"]["code"]
    assert member.token


def test_academic_years_an_organization_has_data_in(portal):
    coordinator, college = portal.coordinator_of(kind="college")
    current = Clock().academic_year()
    last_year = current.previous(1)
    # a score of last year's: only the scores service knows of that year
    tested = date(int(str(last_year)[:4]), 10, 15).isoformat()
    recorded = portal.record_exam_results([{
        "result_id": "Y-" + uuid.uuid4().hex[:10], "exam": "Biology", "test_date": tested,
        "score": 55, "delivery_mode": "remote", "attending_institution_id": college["id"],
        "student": {"id": "S-2", "first_name": "Ada", "last_name": "Lovelace",
                    "email": "ada@example.org"}}])
    assert recorded["accepted"] == 1, recorded

    answer = portal.get(f"/api/organizations/{college['id']}/academic-years",
                        coordinator.headers)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"academic_years": [str(current), str(last_year)],
                             "current": str(current)}
    stranger, _ = portal.coordinator_of()
    refused = portal.get(f"/api/organizations/{college['id']}/academic-years",
                         stranger.headers)
    assert refused.status_code == 404
