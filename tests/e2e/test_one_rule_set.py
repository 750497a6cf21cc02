"""One rule set for every input (issue 10): the services check what they are sent with
their own schemas, and the gateway loads the same ones. A value is taken or refused the
same way, with the same 400 naming the same fields, whether it comes over HTTP (the JSON
API), from the portal's forms, or straight to the service over RPC (a CLI, another
service), where the gateway is not there to check it first."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import InvalidInput
from tests.e2e.checks import error_of
from tests.e2e.portal import Browser


@pytest.fixture(scope="module")
def rpc(system, system_env):
    with ClusterRpcProxy({"AMQP_URI": system_env["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy


def refused_over_rpc(call, *args):
    with pytest.raises(InvalidInput) as refused:
        call(*args)
    return refused.value.fields


def new_email():
    return f"person-{uuid.uuid4().hex[:10]}@example.org"


# --- accounts ---------------------------------------------------------------------------


def test_a_blank_name_is_no_name_over_http_and_over_rpc(portal, rpc):
    over_http = error_of(portal.post("/api/accounts", json={
        "email": new_email(), "name": "   ", "password": "a long password"}), 400)
    over_rpc = refused_over_rpc(rpc.access.create_account, new_email(), "   ",
                                "a long password")
    assert list(over_http["fields"]) == list(over_rpc) == ["name"]
    assert over_http["fields"] == over_rpc


@pytest.mark.parametrize("email", ["not an email", "pat@localhost", "pat@school"])
def test_an_account_email_is_checked_by_the_access_service_itself(portal, rpc, email):
    over_http = error_of(portal.post("/api/accounts", json={
        "email": email, "name": "Pat", "password": "a long password"}), 400)
    over_rpc = refused_over_rpc(rpc.access.create_account, email, "Pat", "a long password")
    assert over_http["fields"] == over_rpc == {"email": ["Not a valid email address."]}


def test_an_account_email_is_kept_trimmed_and_in_lower_case(rpc):
    email = new_email()
    created = rpc.access.create_account("  " + email.upper() + " ", "  Pat  ",
                                        "a long password")
    assert (created["email"], created["name"]) == (email, "Pat")


# --- profiles ---------------------------------------------------------------------------


@pytest.fixture
def coordinator(portal):
    account, school = portal.coordinator_of()
    return account, school


def test_a_contact_email_without_a_domain_gets_one_answer(portal, coordinator):
    account, school = coordinator
    body = portal.profile_body(account)
    body["coordinator"]["email"] = "dana@localhost"
    over_http = error_of(portal.put_profile(account, school["id"], body), 400)
    assert over_http["fields"] == {"coordinator.email": ["Not a valid email address."]}
    browser = Browser(portal.base_url, account.token)
    form = {"coordinator." + name: value for name, value in body["coordinator"].items()}
    form.update({"second_contact." + name: value
                 for name, value in body["second_contact"].items()})
    form["billing_contact.same_as_coordinator"] = "yes"
    page = browser.post(f"/organizations/{school['id']}/profile", form)
    assert page.status_code == 400
    assert "Enter the coordinator&#39;s email in the right format" in page.text or \
        "Enter the coordinator's email in the right format" in page.text


def test_contacts_are_kept_as_the_service_tidies_them(portal, coordinator):
    account, school = coordinator
    body = portal.profile_body(account)
    body["coordinator"].update(email="  Dana@Cass.Example.ORG ", phone=" 313-555-0100 ",
                               name="  Dana Smith ")
    saved = portal.put_profile(account, school["id"], body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["coordinator"] == {"name": "Dana Smith",
                                           "email": "dana@cass.example.org",
                                           "phone": "313-555-0100"}


# --- orders -----------------------------------------------------------------------------


def order_body(**fields):
    return dict({"quantity": 5, "covers_remote_proctoring": False, "terms_version": "2026-07"},
                **fields)


@pytest.fixture
def orderer(portal, coordinator):
    portal.set_fees()
    return coordinator


@pytest.mark.parametrize("fields, wrong", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": 10_001}, "quantity"),
    ({"po_number": "P" * 51}, "po_number"),
    ({"po_number": "PO\n42"}, "po_number"),
    ({"po_number": "PO\u0085"}, "po_number"),  # a C1 control: the gateway used to take it
    ({"terms_version": "2020-01"}, "terms_version"),
])
def test_an_order_field_gets_one_answer_over_http_and_over_rpc(portal, rpc, orderer, fields,
                                                               wrong):
    account, school = orderer
    over_http = error_of(portal.place_order(account, school["id"], **fields), 400)
    organization = {"id": school["id"], "name": school["name"]}
    over_rpc = refused_over_rpc(rpc.orders.review_order, organization, order_body(**fields))
    assert list(over_http["fields"]) == [wrong]
    assert over_http["fields"] == over_rpc


def test_a_po_number_the_gateway_took_is_taken_by_the_service_too(portal, orderer):
    account, school = orderer
    placed = portal.place_order(account, school["id"], po_number="PO\u00a042 ")
    assert placed.status_code == 201, placed.text
    assert placed.json()["po_number"] == "PO\u00a042"
    blank = portal.patch(f"/api/organizations/{school['id']}/orders/{placed.json()['id']}",
                         account.headers, json={"po_number": "   "})
    assert blank.status_code == 200, blank.text
    assert blank.json()["po_number"] is None


# --- organizations: state funding -------------------------------------------------------


@pytest.mark.parametrize("kind", ["college", "other"])
def test_only_schools_and_districts_can_be_state_funded(portal, rpc, kind):
    name = f"Funded {kind} {uuid.uuid4().hex[:6]}"
    over_http = error_of(portal.post("/api/admin/organizations", portal.ops, json={
        "name": name, "kind": kind, "zip": "48201", "city": "Detroit", "state": "MI",
        "state_funded": True}), 400)
    assert list(over_http["fields"]) == ["state_funded"]
    assert "schools and districts" in over_http["fields"]["state_funded"][0]
    over_rpc = refused_over_rpc(rpc.access.register_organization, {
        "name": name, "kind": kind, "zip": "48201", "city": "Detroit", "state": "MI",
        "state_funded": True})
    assert over_rpc == over_http["fields"]
    # nothing was registered
    assert name not in [o["name"] for o in portal.get(
        "/api/organizations", portal.new_account().headers,
        params={"zip": "48201"}).json()["organizations"]]


def test_a_college_cannot_be_made_state_funded_later(portal):
    college = portal.register_organization(kind="college", name=f"College {uuid.uuid4().hex}")
    refused = error_of(portal.update_organization(college["id"], state_funded=True), 400)
    assert "schools and districts" in refused["fields"]["state_funded"][0]
    assert portal.organization(college["id"]).json()["state_funded"] is False
    assert portal.update_organization(college["id"], state_funded=False).status_code == 200


@pytest.mark.parametrize("kind", ["school", "district"])
def test_schools_and_districts_can_be_state_funded(portal, kind):
    registered = portal.register_organization(kind=kind, name=f"Funded {uuid.uuid4().hex}",
                                              state_funded=True)
    assert registered["state_funded"] is True


def test_a_state_funded_college_in_an_import_file_is_rejected(rpc):
    outcomes = rpc.access.import_organizations([
        {"line": 2, "name": f"Import College {uuid.uuid4().hex[:6]}", "kind": "college",
         "zip": "48201", "city": "Detroit", "state": "MI", "state_funded": "yes"}])
    [outcome] = outcomes
    assert outcome["status"] == "rejected"
    assert "schools and districts" in outcome["errors"]["state_funded"][0]


@pytest.mark.parametrize("po_number", ["PO\u0085", "PO\x1f", "\x1cPO"])
def test_a_control_character_at_either_end_is_refused_not_dropped(portal, orderer, po_number):
    account, school = orderer
    refused = error_of(portal.place_order(account, school["id"], po_number=po_number), 400)
    assert refused["fields"] == {"po_number": ["Only printable characters."]}
