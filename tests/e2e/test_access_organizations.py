"""Organizations, districts and profiles through HTTP with the real processes, and the
operations CLI's bulk import (issue 3; docs/DOMAIN.md "Organizations", "Access codes and
yearly access", "Profiles")."""
import os
import subprocess
import sys

import pytest

from scripts.system import PROJECT_ROOT
from tests.e2e.access_events import EventTap
from tests.e2e.checks import error_of
from tests.e2e.portal import Browser


def cli(system_env, *args):
    return subprocess.run([sys.executable, "-m", "services.access.cli", *args],
                          cwd=PROJECT_ROOT, env=dict(os.environ, **system_env),
                          capture_output=True, text=True, timeout=120)


CSV = """name,kind,zip,city,state,state_funded,district_name,district_zip
Northwestern High School,school,48206,Detroit,MI,yes,Import Test District,48206
Bad State School,school,48206,Detroit,Michigan,no,,
Import Test District,district,48206,Detroit,MI,yes,,
Orphan School,school,48206,Detroit,MI,no,Nowhere District,48206
King High School,school,48206,Detroit,MI,maybe,,
"""


def in_zip(portal, account, zip_code):
    response = portal.get(f"/api/organizations?zip={zip_code}", account.headers)
    assert response.status_code == 200, response.text
    return {org["name"]: org for org in response.json()["organizations"]}


def test_operations_import_organizations_from_csv_once(portal, system_env, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_text(CSV)
    first = cli(system_env, "import-organizations", str(path))
    assert first.returncode == 1, first.stderr  # some rows were rejected
    assert first.stdout.splitlines() == [
        "line 3: state: A two-letter state code.",
        "line 5: district_name: No district 'Nowhere District' is registered in zip 48206 "
        "(nor earlier in this file).",
        "line 6: state_funded: yes or no.",
        "5 rows: 2 imported, 0 already registered, 3 rejected"]
    account = portal.new_account()
    listed = in_zip(portal, account, "48206")
    assert set(listed) == {"Northwestern High School", "Import Test District"}
    school = portal.organization(listed["Northwestern High School"]["id"]).json()
    district = portal.organization(listed["Import Test District"]["id"]).json()
    assert (school["district_id"], school["state_funded"], district["kind"]) == (
        district["id"], True, "district")

    again = cli(system_env, "import-organizations", str(path))
    assert again.stdout.splitlines()[-1] == "5 rows: 0 imported, 2 already registered, " \
                                            "3 rejected"
    assert set(in_zip(portal, account, "48206")) == set(listed)

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(CSV.replace("Detroit,Michigan", "Detroit,MI").replace(",maybe,", ",no,"))
    third = cli(system_env, "import-organizations", str(fixed))
    assert third.stdout.splitlines()[-1] == "5 rows: 2 imported, 2 already registered, " \
                                            "1 rejected"
    assert set(in_zip(portal, account, "48206")) == set(listed) | {"Bad State School",
                                                                   "King High School"}


def test_the_import_refuses_a_file_it_cannot_read(system_env, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("school name,zip\nNorthwestern,48206\n")
    result = cli(system_env, "import-organizations", str(path))
    assert result.returncode == 2
    assert "missing: name, kind, city, state" in result.stderr
    assert cli(system_env, "import-organizations", str(tmp_path / "none.csv")).returncode == 2


def test_operations_change_an_organization_and_it_is_announced(portal, system_env):
    school = portal.register_organization(state="OH")
    with EventTap(system_env["AMQP_URI"], "access", "organization_updated") as tap:
        changed = portal.update_organization(school["id"], state_funded=True)
        assert changed.status_code == 200, changed.text
        assert changed.json() == dict(school, state_funded=True)
        [event] = tap.wait_for(lambda event: event["id"] == school["id"])
    assert event["state_funded"] is True and event["state"] == "OH"
    assert event["event_id"] and event["name"] == school["name"]
    assert portal.organization(school["id"]).json()["state_funded"] is True
    [entry] = portal.audit(organization_id=school["id"], action="organization_updated")
    assert entry["detail"]["changed"] == {"state_funded": [False, True]}


def test_bad_organization_changes_change_nothing(portal):
    school = portal.register_organization()
    other = portal.register_organization()
    cases = [
        (portal.update_organization(school["id"], kind="college"), 400, "invalid_input"),
        (portal.update_organization(school["id"], state_funded="yes"), 400, "invalid_input"),
        (portal.update_organization(school["id"], zip="123"), 400, "invalid_input"),
        (portal.update_organization(school["id"], name=other["name"]), 409,
         "organization_exists"),
        (portal.update_organization(999999, state_funded=True), 404, "organization_not_found"),
        (portal.update_organization(school["id"], district_id=other["id"]), 400,
         "invalid_input"),
    ]
    for response, status, code in cases:
        assert error_of(response, status)["code"] == code
    assert portal.organization(school["id"]).json() == school
    coordinator = portal.new_account()
    assert portal.patch(f"/api/admin/organizations/{school['id']}", coordinator.headers,
                        json={"state_funded": True}).status_code == 403


def test_an_organization_is_registered_once_per_zip_and_name(portal):
    school = portal.register_organization()
    again = portal.post("/api/admin/organizations", portal.ops, json={
        "name": school["name"].upper(), "kind": "school", "zip": school["zip"],
        "city": "Detroit", "state": "MI"})
    assert error_of(again, 409)["code"] == "organization_exists"


# --- districts ----------------------------------------------------------------------------


@pytest.fixture
def district_with_a_school(portal):
    """A district, one of its schools (with an order placed by its own coordinator) and a
    school outside the district; the district's coordinator has a complete profile."""
    portal.set_fees()
    district = portal.register_organization(kind="district")
    school = portal.register_organization(district_id=district["id"])
    outside = portal.register_organization()
    school_coordinator, _ = portal.coordinator_of(school)
    order = portal.place_order(school_coordinator, school["id"], quantity=3).json()
    portal.wait_until_fulfilled(school_coordinator, school["id"], order["id"])
    district_coordinator = portal.new_account()
    code = portal.issue_access_code(district["id"])
    assert portal.redeem(district_coordinator, district, code).status_code == 201
    return district, school, outside, order, district_coordinator


def test_a_district_code_manages_the_district_and_reads_its_schools(portal,
                                                                   district_with_a_school):
    district, school, outside, order, coordinator = district_with_a_school
    me = portal.get("/api/me", coordinator.headers).json()
    # what the account manages first; each with the completeness of the profile that counts
    assert [(o["id"], o["access"], o["profile_complete"]) for o in me["organizations"]] == [
        (district["id"], "manage", False), (school["id"], "read_only", False)]
    # nothing opens before the district's own profile is complete
    assert error_of(portal.get(f"/api/organizations/{school['id']}/orders",
                               coordinator.headers), 409)["code"] == "profile_incomplete"
    portal.complete_profile(coordinator, district["id"])
    base = f"/api/organizations/{school['id']}"
    for path in ("/profile", "/orders", f"/orders/{order['id']}",
                 f"/orders/{order['id']}/vouchers.csv", f"/orders/{order['id']}/vouchers",
                 "/order-quote"):
        assert portal.get(base + path, coordinator.headers).status_code == 200, path
    changes = [
        portal.put_profile(coordinator, school["id"], portal.profile_body(coordinator)),
        portal.place_order(coordinator, school["id"], quantity=1),
        portal.patch(f"{base}/orders/{order['id']}", coordinator.headers,
                     json={"po_number": "PO-1"}),
    ]
    for response in changes:
        assert error_of(response, 403)["code"] == "read_only_access"
    assert portal.get(f"{base}/orders/{order['id']}", coordinator.headers).json()[
        "po_number"] == order["po_number"]
    assert len(portal.get(f"{base}/orders", coordinator.headers).json()["orders"]) == 1
    assert portal.get(f"/api/organizations/{outside['id']}/orders",
                      coordinator.headers).status_code == 404


def test_a_school_read_through_its_district_names_the_districts_profile(
        portal, district_with_a_school):
    district, school, _outside, _order, coordinator = district_with_a_school
    refused = error_of(portal.get(f"/api/organizations/{school['id']}/orders",
                                  coordinator.headers), 409)
    assert refused["code"] == "profile_incomplete"
    assert district["name"] in refused["message"] and school["name"] in refused["message"]
    assert refused["profile"] == {
        "organization_id": district["id"], "organization_name": district["name"],
        "url": f"/api/organizations/{district['id']}/profile"}
    # the portal sends the person to the profile that opens the school: the district's
    browser = Browser(portal.base_url, coordinator.token)
    sent = browser.get(f"/organizations/{school['id']}/orders")
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(
        f"/organizations/{district['id']}/profile?needed_for={school['id']}")
    page = browser.get(f"/organizations/{district['id']}/profile?needed_for={school['id']}")
    assert page.status_code == 200
    assert f"Your access to {school['name']} comes through {district['name']}" in page.text
    # the district's own pages ask for its own profile, in the usual words
    own = error_of(portal.get(f"/api/organizations/{district['id']}/orders",
                              coordinator.headers), 409)
    assert own["message"] == "Complete the organization's profile first."
    assert own["profile"]["organization_id"] == district["id"]


def test_a_district_orders_only_as_the_district(portal, district_with_a_school):
    district, school, _, _, coordinator = district_with_a_school
    portal.complete_profile(coordinator, district["id"])
    placed = portal.place_order(coordinator, district["id"], quantity=2)
    assert placed.status_code == 201, placed.text
    assert placed.json()["organization_id"] == district["id"]
    assert portal.place_order(coordinator, school["id"], quantity=2).status_code == 403


# --- profiles -----------------------------------------------------------------------------


@pytest.mark.parametrize("part, field, value", [
    ("coordinator", "email", "not an email"),
    ("coordinator", "phone", "(---) ---"),
    ("coordinator", "phone", "call me"),
    ("coordinator", "name", ""),
    ("second_contact", "role", "janitor"),
    ("second_contact", "email", "dana@"),
    ("billing_contact", "same_as_coordinator", "yes"),
])
def test_bad_profiles_name_the_field_and_save_nothing(portal, part, field, value):
    account, school = portal.coordinator_of()
    before = portal.get(f"/api/organizations/{school['id']}/profile", account.headers).json()
    body = portal.profile_body(account)
    body[part] = dict(body[part], **{field: value})
    error = error_of(portal.put_profile(account, school["id"], body), 400)
    assert f"{part}.{field}" in error["fields"]
    assert portal.get(f"/api/organizations/{school['id']}/profile",
                      account.headers).json() == before


def test_a_separate_billing_contact_needs_name_email_and_phone(portal):
    account, school = portal.coordinator_of()
    body = portal.profile_body(account, billing_contact={"same_as_coordinator": False,
                                                         "name": "Accounts Payable"})
    error = error_of(portal.put_profile(account, school["id"], body), 400)
    assert {"billing_contact.email", "billing_contact.phone"} <= set(error["fields"])


def test_a_billing_contact_of_its_own_needs_no_same_as_coordinator(portal):
    account, school = portal.coordinator_of()
    contact = {"name": "Accounts Payable", "email": "ap@school.example.org",
               "phone": "313-555-0199"}
    saved = portal.put_profile(account, school["id"],
                               portal.profile_body(account, billing_contact=contact))
    assert saved.status_code == 200, saved.text
    assert saved.json()["billing_contact"] == dict(contact, same_as_coordinator=False)


def test_nothing_opens_until_the_profile_is_complete_and_billing_hears_of_it(portal,
                                                                            system_env):
    portal.set_fees()
    school = portal.register_organization()
    account = portal.new_account()
    assert portal.redeem(account, school, portal.issue_access_code(school["id"])).status_code \
        == 201
    base = f"/api/organizations/{school['id']}"
    for path in ("/order-quote", "/orders"):
        assert error_of(portal.get(base + path, account.headers), 409)["code"] == \
            "profile_incomplete"
    assert error_of(portal.place_order(account, school["id"]), 409)["code"] == \
        "profile_incomplete"
    profile = portal.get(base + "/profile", account.headers)
    assert profile.status_code == 200 and profile.json()["complete"] is False

    body = portal.profile_body(account, billing_contact={
        "same_as_coordinator": False, "name": "Accounts Payable",
        "email": "AP@district.example.org", "phone": "+1 (313) 555-0199"})
    with EventTap(system_env["AMQP_URI"], "access", "profile_updated") as tap:
        saved = portal.put_profile(account, school["id"], body)
        assert saved.status_code == 200 and saved.json()["complete"] is True
        [event] = tap.wait_for(lambda event: event["organization_id"] == school["id"])
    assert event["billing_contact"] == {"name": "Accounts Payable",
                                        "email": "ap@district.example.org",
                                        "phone": "+1 (313) 555-0199"}
    assert event["coordinator"]["email"] == account.email
    assert event["organization_name"] == school["name"]
    for path in ("/order-quote", "/orders"):
        assert portal.get(base + path, account.headers).status_code == 200
    # a coordinator can change it at any time; a read of it shows the change
    body["coordinator"]["phone"] = "313-555-0123"
    assert portal.put_profile(account, school["id"], body).status_code == 200
    assert portal.get(base + "/profile", account.headers).json()["coordinator"]["phone"] == \
        "313-555-0123"
