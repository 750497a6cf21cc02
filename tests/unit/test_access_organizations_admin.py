"""Operations' side of organizations: registering, changing, importing from CSV.

docs/DOMAIN.md "Organizations"; the CSV format is described in
services/access/org_import.py.
"""
import json

import pytest
from sqlalchemy import func, select

from services.access import audit, org_import, organizations
from services.access.models import Organization
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.messaging_tables import outbox

SCHOOL = {"name": "Cass Technical High School", "kind": "school", "zip": "48201",
          "city": "Detroit", "state": "mi"}


def register(store, clock, **fields):
    with store.transaction() as work:
        return organizations.register_organization(work, clock, dict(SCHOOL, **fields))


def update(store, clock, org_id, **changes):
    with store.transaction() as work:
        return organizations.update_organization(work, clock, org_id, changes)


def events(store, event_type):
    with store.reader() as session:
        rows = session.execute(select(outbox.c.payload).where(
            outbox.c.event_type == event_type).order_by(outbox.c.id)).scalars().all()
    return [json.loads(row) for row in rows]


def count_organizations(store):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(Organization))


# --- registering ------------------------------------------------------------------------


def test_registering_announces_the_organization(access_store, clock):
    school = register(access_store, clock, state_funded=True)
    assert school["state"] == "MI" and school["state_funded"] is True
    [event] = events(access_store, "organization_registered")
    assert {k: event[k] for k in ("id", "name", "kind", "zip", "city", "state", "district_id",
                                  "state_funded")} == school
    assert event["event_id"]


def test_the_same_name_in_the_same_zip_is_registered_once(access_store, clock):
    first = register(access_store, clock)
    with pytest.raises(Conflict) as taken:
        register(access_store, clock, name="  cass technical  HIGH school")
    assert taken.value.code == "organization_exists"
    assert str(first["id"]) in taken.value.message
    assert register(access_store, clock, zip="48202")["id"] != first["id"]  # another zip
    assert count_organizations(access_store) == 2


@pytest.mark.parametrize("fields, wrong", [
    ({"kind": "castle"}, "kind"),
    ({"zip": "4820"}, "zip"),
    ({"zip": "ABCDE"}, "zip"),
    ({"state": "Michigan"}, "state"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Tab\tSchool\x00"}, "name"),
    ({"city": None}, "city"),
    ({"state_funded": "yes"}, "state_funded"),
    ({"district_id": "1"}, "district_id"),
])
def test_bad_fields_are_named_and_nothing_is_registered(access_store, clock, fields, wrong):
    with pytest.raises(InvalidInput) as invalid:
        register(access_store, clock, **fields)
    assert wrong in invalid.value.fields
    assert count_organizations(access_store) == 0


def test_zip_plus_four_is_kept_as_the_five_digit_zip(access_store, clock):
    assert register(access_store, clock, zip="48201-1234")["zip"] == "48201"


def test_only_a_school_belongs_to_a_district(access_store, clock):
    district = register(access_store, clock, name="Detroit Public Schools", kind="district")
    college = register(access_store, clock, name="Wayne County CC", kind="college")
    assert register(access_store, clock, district_id=district["id"])["district_id"] == \
        district["id"]
    for fields in ({"name": "Another College", "kind": "college", "district_id": district["id"]},
                   {"name": "Another School", "district_id": college["id"]},
                   {"name": "A Third School", "district_id": 999}):
        with pytest.raises(InvalidInput) as invalid:
            register(access_store, clock, **fields)
        assert "district_id" in invalid.value.fields


# --- changing -------------------------------------------------------------------------


def test_changing_state_funded_announces_organization_updated(access_store, clock):
    school = register(access_store, clock)
    changed = update(access_store, clock, school["id"], state_funded=True)
    assert changed == dict(school, state_funded=True)
    [event] = events(access_store, "organization_updated")
    assert {k: event[k] for k in changed} == changed
    [entry] = _audit(access_store, "organization_updated")
    assert entry["organization_id"] == school["id"]
    assert entry["detail"]["changed"] == {"state_funded": [False, True]}


def test_a_change_that_changes_nothing_announces_nothing(access_store, clock):
    school = register(access_store, clock)
    assert update(access_store, clock, school["id"], city="Detroit") == school
    assert events(access_store, "organization_updated") == []


def test_renaming_keeps_names_unique_in_a_zip_and_matches_the_new_name(access_store, clock):
    school = register(access_store, clock)
    other = register(access_store, clock, name="Renaissance High School")
    with pytest.raises(Conflict):
        update(access_store, clock, other["id"], name="CASS Technical High School")
    update(access_store, clock, school["id"], name="Cass Tech")
    with access_store.reader() as session:
        assert organizations.find_by_zip_and_name(session, "48201", "cass  tech").id == \
            school["id"]


def test_the_kind_cannot_change(access_store, clock):
    school = register(access_store, clock)
    with pytest.raises(InvalidInput) as invalid:
        update(access_store, clock, school["id"], kind="college")
    assert "kind" in invalid.value.fields


def test_changing_an_unknown_organization_is_not_found(access_store, clock):
    with pytest.raises(NotFound):
        update(access_store, clock, 12345, state_funded=True)


def test_a_school_can_join_and_leave_a_district(access_store, clock):
    district = register(access_store, clock, name="Detroit Public Schools", kind="district")
    school = register(access_store, clock)
    assert update(access_store, clock, school["id"], district_id=district["id"])[
        "district_id"] == district["id"]
    assert update(access_store, clock, school["id"], district_id=None)["district_id"] is None


def _audit(store, action):
    with store.reader() as session:
        return audit.list_entries(session, action=action)


# --- importing from CSV -----------------------------------------------------------------

FILE = """name,kind,zip,city,state,state_funded,district_name,district_zip
Cass Technical High School,school,48201,Detroit,MI,yes,Detroit Public Schools,48202
Renaissance High School,school,48201,Detroit,MI,,,
Bad Zip School,school,4820,Detroit,MI,no,,
Detroit Public Schools,district,48202,Detroit,MI,true,,
Lost School,school,48201,Detroit,MI,no,No Such District,48202
Maybe School,school,48201,Detroit,MI,perhaps,,
Wayne County Community College,college,48201,Detroit,Michigan,no,,
"""


def import_file(store, clock, text=FILE):
    with store.transaction() as work:
        return {o["line"]: o for o in org_import.import_rows(
            work, clock, org_import.read_csv(text))}


def test_good_rows_are_imported_and_bad_rows_reported_by_line(access_store, clock):
    outcomes = import_file(access_store, clock)
    assert {line: o["status"] for line, o in outcomes.items()} == {
        2: "imported", 3: "imported", 4: "rejected", 5: "imported", 6: "rejected",
        7: "rejected", 8: "rejected"}
    assert set(outcomes[4]["errors"]) == {"zip"}
    assert set(outcomes[6]["errors"]) == {"district_name"}
    assert set(outcomes[7]["errors"]) == {"state_funded"}
    assert set(outcomes[8]["errors"]) == {"state"}
    with access_store.reader() as session:
        cass = session.get(Organization, outcomes[2]["id"])
        district = session.get(Organization, outcomes[5]["id"])
    # the district, further down the file, was imported first and the school joined it
    assert (cass.district_id, cass.state_funded, district.kind) == (district.id, True,
                                                                    "district")
    assert len(events(access_store, "organization_registered")) == 3


def test_importing_the_same_file_twice_adds_nothing(access_store, clock):
    first = import_file(access_store, clock)
    again = import_file(access_store, clock)
    assert count_organizations(access_store) == 3
    assert {line: o["status"] for line, o in again.items() if o["status"] != "rejected"} == {
        2: "already_registered", 3: "already_registered", 5: "already_registered"}
    assert all(again[line]["id"] == first[line]["id"] for line in (2, 3, 5))
    assert len(events(access_store, "organization_registered")) == 3


def test_an_organization_twice_in_one_file_is_imported_once(access_store, clock):
    outcomes = import_file(access_store, clock, "name,kind,zip,city,state\n"
                                                "Cass Tech,school,48201,Detroit,MI\n"
                                                "CASS TECH,school,48201,Detroit,MI\n")
    assert [o["status"] for o in outcomes.values()] == ["imported", "already_registered"]


def test_header_names_are_read_in_any_case_and_order(access_store, clock):
    outcomes = import_file(access_store, clock, "\ufeffState,City,ZIP,Kind,Name\n"
                                                "MI,Detroit,48201,School,Cass Tech\n")
    assert outcomes[2]["status"] == "imported"


@pytest.mark.parametrize("text, says", [
    ("", "empty"),
    ("name,kind,zip,city\nCass,school,48201,Detroit\n", "missing: state"),
    ("name,kind,zip,city,state,colour\n", "unknown: colour"),
])
def test_a_file_without_the_right_header_is_refused_whole(text, says):
    with pytest.raises(org_import.BadFile) as bad:
        org_import.read_csv(text)
    assert says in str(bad.value)


def test_a_row_with_more_cells_than_columns_is_rejected(access_store, clock):
    outcomes = import_file(access_store, clock, "name,kind,zip,city,state\n"
                                                "Cass Tech,school,48201,Detroit,MI,extra\n")
    assert outcomes[2]["status"] == "rejected" and "_" in outcomes[2]["errors"]
