"""Organization profiles (docs/DOMAIN.md "Profiles"): validated contacts, `profile_updated` once
complete, and the audit of who changed what."""
import copy
import json

import pytest
from sqlalchemy import select

from services.access import audit, organizations
from services.access.profiles import update_profile
from services.access.schemas import ProfileIn, phone
from services.common.errors import InvalidInput
from services.common.validation import load
from services.common.messaging_tables import outbox

PROFILE = {
    "coordinator": {"name": "Dana Smith", "email": "Dana@Cass.Example.org",
                    "phone": "(313) 555-0100"},
    "second_contact": {"role": "alternate", "name": "Pat Lee", "email": "pat@cass.example.org",
                       "phone": "+1 313 555 0101"},
    "billing_contact": {"same_as_coordinator": False, "name": "Accounts Payable",
                        "email": "ap@detroitk12.example.org", "phone": "313.555.0199"},
}


def check_profile(data):
    return load(ProfileIn, data)


def valid_phone(value):
    try:
        phone().deserialize(value)
    except Exception:  # marshmallow's ValidationError, or a type it cannot take
        return False
    return True


def changed(**parts):
    profile = copy.deepcopy(PROFILE)
    for path, value in parts.items():
        part, field = path.split("__")
        profile[part][field] = value
    return profile


@pytest.mark.parametrize("phone", ["313-555-0100", "(313) 555-0100", "+1 313 555 0100",
                                   "313.555.0100", "5550100", "+44 20 7946 0958"])
def test_phone_numbers_people_write_are_taken(phone):
    assert valid_phone(phone)


@pytest.mark.parametrize("phone", ["", "call me", "555-01", "(---) ---", "-------",
                                   "1234567890123456", "313-555-0100 ext 5", None, 3135550100])
def test_what_is_not_a_phone_number_is_refused(phone):
    assert not valid_phone(phone)


@pytest.mark.parametrize("parts, field", [
    ({"coordinator__email": "dana at cass"}, "coordinator.email"),
    ({"coordinator__email": "dana@cass"}, "coordinator.email"),
    ({"coordinator__email": "a@b.c" + "o" * 250}, "coordinator.email"),
    ({"coordinator__phone": "(---) ---"}, "coordinator.phone"),
    ({"coordinator__name": " "}, "coordinator.name"),
    ({"second_contact__role": "janitor"}, "second_contact.role"),
    ({"second_contact__email": None}, "second_contact.email"),
    ({"billing_contact__phone": "none"}, "billing_contact.phone"),
    ({"billing_contact__same_as_coordinator": "no"}, "billing_contact.same_as_coordinator"),
])
def test_each_bad_field_is_named(parts, field):
    with pytest.raises(InvalidInput) as invalid:
        check_profile(changed(**parts))
    assert list(invalid.value.fields) == [field]


def test_a_billing_contact_of_its_own_needs_no_same_as_coordinator():
    profile = changed()
    profile["billing_contact"] = {"name": "Bo Billing", "email": "bo@cass.example.org",
                                  "phone": "313-555-0102"}
    check_profile(profile)
    profile["billing_contact"] = {"name": "Bo Billing"}
    with pytest.raises(InvalidInput) as invalid:
        check_profile(profile)
    assert sorted(invalid.value.fields) == ["billing_contact.email", "billing_contact.phone"]


def test_the_billing_contact_may_be_the_coordinator():
    check_profile(changed(billing_contact__same_as_coordinator=True, billing_contact__name=None,
                          billing_contact__email=None, billing_contact__phone=None))


@pytest.fixture
def school(access_store, clock):
    with access_store.transaction() as work:
        return organizations.register_organization(work, clock, {
            "name": "Cass Technical High School", "kind": "school", "zip": "48201",
            "city": "Detroit", "state": "MI"})


def save(store, clock, school, profile, account_id=None):
    with store.transaction() as work:
        return update_profile(work, clock, account_id, school, profile)


def profile_events(store):
    with store.reader() as session:
        return [json.loads(payload) for payload in session.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "profile_updated")
            .order_by(outbox.c.id)).scalars()]


def test_a_complete_profile_announces_the_billing_contact(access_store, clock, school):
    view = save(access_store, clock, school, PROFILE)
    assert view["complete"] is True
    assert view["coordinator"]["email"] == "dana@cass.example.org"  # lower-cased
    [event] = profile_events(access_store)
    assert event["organization_id"] == school["id"]
    assert event["organization_name"] == "Cass Technical High School"
    assert event["billing_contact"] == {"name": "Accounts Payable",
                                        "email": "ap@detroitk12.example.org",
                                        "phone": "313.555.0199"}
    assert event["coordinator"]["email"] == "dana@cass.example.org"


def test_same_as_coordinator_sends_the_coordinator_as_billing_contact(access_store, clock,
                                                                      school):
    save(access_store, clock, school, changed(billing_contact__same_as_coordinator=True))
    [event] = profile_events(access_store)
    assert event["billing_contact"] == {"name": "Dana Smith", "email": "dana@cass.example.org",
                                        "phone": "(313) 555-0100"}


def test_an_invalid_profile_saves_nothing(access_store, clock, school):
    with pytest.raises(InvalidInput):
        save(access_store, clock, school, changed(coordinator__email="nope"))
    assert profile_events(access_store) == []
    with access_store.reader() as session:
        assert audit.list_entries(session, action="profile_updated") == []


def test_every_change_is_audited_with_the_fields_changed(access_store, clock, school):
    save(access_store, clock, school, PROFILE)
    save(access_store, clock, school, changed(coordinator__phone="313-555-0111",
                                              billing_contact__email="bills@cass.example.org"))
    with access_store.reader() as session:
        latest, first = audit.list_entries(session, organization_id=school["id"],
                                           action="profile_updated")
    assert latest["detail"]["changed"] == ["billing_contact.email", "coordinator.phone"]
    assert "coordinator.email" in first["detail"]["changed"]
    assert len(profile_events(access_store)) == 2
