"""Getting access with a yearly access code, and what that access allows.

docs/DOMAIN.md, "Access codes and yearly access" and "Profiles". Runs on a real
(SQLite) access database; the clock is frozen in October 2026 (academic year 2026-27).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.access import accounts, organizations
from services.access.models import AuditEntry, Membership, RedemptionAttempt
from services.access.profiles import save_profile
from services.access.terms import PORTAL_TERMS
from services.common.academic_year import AcademicYear
from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound,
                                    TooManyAttempts)
from tests.unit.conftest import utc

PASSWORD = "correct horse battery"
THIS_YEAR = AcademicYear(2026)


def signed_in(store, clock, email):
    accounts.create_account(store, clock, email, email.split("@")[0], PASSWORD)
    token = accounts.sign_in(store, clock, email, PASSWORD)["token"]
    accounts.accept_terms(store, clock, token, PORTAL_TERMS["version"])
    return token


def sign_in_again(store, clock, email="dana@example.org"):
    """A fresh session (sessions last 12 hours; some tests move the clock by months)."""
    return accounts.sign_in(store, clock, email, PASSWORD)["token"]


def register(store, clock, name, kind, zip_code, district_id=None):
    with store.transaction() as work:
        return organizations.register_organization(work, clock, {
            "name": name, "kind": kind, "zip": zip_code, "city": "Detroit", "state": "mi",
            "district_id": district_id})["id"]


def issue(store, clock, org_id, year=THIS_YEAR):
    with store.transaction() as work:
        return organizations.issue_access_code(work, clock, org_id, year)[0]["access_code"]


def redeem(store, clock, token, zip_code, name, code):
    """As the access service does it: commit the attempt, then raise the error."""
    with store.transaction() as work:
        account = accounts.current_account(work.session, clock, token)
        result, error = organizations.redeem_access_code(work, clock, account, zip_code, name,
                                                         code)
    if error is not None:
        raise error
    return result


def authorize(store, clock, token, org_id, need="read", require_profile=True):
    with store.reader() as session:
        account = accounts.current_account(session, clock, token)
        return organizations.authorize(session, clock, account, org_id, need, require_profile)


def complete_profile(store, clock, org_id):
    with store.transaction() as work:
        save_profile(work.session, clock, org_id, None, {
            "coordinator": {"name": "Dana Smith", "email": "Dana@Example.org",
                            "phone": "313-555-0100"},
            "second_contact": {"role": "principal", "name": "Pat Lee",
                               "email": "pat@example.org", "phone": "313-555-0101"},
            "billing_contact": {"same_as_coordinator": True}})


class World:
    """A district with one school in it, and a school outside it, all in one zip."""

    def __init__(self, store, clock):
        self.district = register(store, clock, "Detroit Public Schools", "district", "48201")
        self.school = register(store, clock, "Cass Technical High School", "school", "48201",
                               district_id=self.district)
        self.other = register(store, clock, "Renaissance High School", "school", "48201")
        self.codes = {org: issue(store, clock, org)
                      for org in (self.district, self.school, self.other)}
        self.last_years_school_code = issue(store, clock, self.school, THIS_YEAR.previous())


@pytest.fixture
def world(access_store, clock):
    return World(access_store, clock)


@pytest.fixture
def token(access_store, clock):
    return signed_in(access_store, clock, "dana@example.org")


def redeem_school(store, clock, token, world, **changes):
    typed = dict(zip_code="48201", name="Cass Technical High School",
                 code=world.codes[world.school])
    typed.update(changes)
    return redeem(store, clock, token, typed["zip_code"], typed["name"], typed["code"])


def fail_times(store, clock, token, world, times):
    for _ in range(times):
        with pytest.raises(InvalidInput):
            redeem_school(store, clock, token, world, code="0000-0000-0000")


# --- access codes ---------------------------------------------------------------------


def test_an_organization_has_one_code_per_year(access_store, clock, world):
    assert issue(access_store, clock, world.school) == world.codes[world.school]
    assert world.last_years_school_code != world.codes[world.school]
    assert len(set(world.codes.values())) == 3


def test_issued_codes_are_written_4_4_4(world):
    for code in world.codes.values():
        assert len(code) == 14 and code[4] == code[9] == "-"


# --- redemption -------------------------------------------------------------------------


def test_right_zip_name_and_code_give_manage_access_for_this_year(access_store, clock, token,
                                                                   world):
    result = redeem_school(access_store, clock, token, world)
    assert result == {"organization": {"id": world.school, "name": "Cass Technical High School",
                                       "kind": "school"},
                      "access": "manage", "academic_year": "2026-27"}
    assert authorize(access_store, clock, token, world.school, require_profile=False)[
        "access"] == "manage"


def test_name_and_code_are_matched_the_way_people_type_them(access_store, clock, token, world):
    typed_code = world.codes[world.school].lower().replace("-", " ")
    result = redeem_school(access_store, clock, token, world,
                           name="  cass technical   HIGH school ", code=typed_code)
    assert result["organization"]["id"] == world.school


def test_redeeming_twice_keeps_one_membership(access_store, clock, token, world):
    redeem_school(access_store, clock, token, world)
    redeem_school(access_store, clock, token, world)
    with access_store.reader() as session:
        assert len(session.scalars(select(Membership)).all()) == 1


MISMATCHES = {
    "wrong zip": dict(zip_code="48202"),
    "wrong name": dict(name="Cass Tech"),
    "unknown name": dict(name="No Such School"),
    "wrong code": dict(code="0000-0000-0000"),
    "not a code": dict(code="hello"),
    "empty code": dict(code=""),
    "no code": dict(code=None),
    "no zip": dict(zip_code=None),
    "no name": dict(name=None),
}


def _mismatch(world, case):
    if case == "last year's code":
        return dict(code=world.last_years_school_code)
    if case == "another org's code":
        return dict(code=world.codes[world.other])
    if case == "the district's code":
        return dict(code=world.codes[world.district])
    return MISMATCHES[case]


@pytest.mark.parametrize("case", list(MISMATCHES) + [
    "last year's code", "another org's code", "the district's code"])
def test_every_mismatch_gets_the_same_generic_error(access_store, clock, token, world, case):
    with pytest.raises(InvalidInput) as refused:
        redeem_school(access_store, clock, token, world, **_mismatch(world, case))
    error = refused.value
    assert (error.code, error.message, error.fields) == (
        "invalid_access_code",
        "The zip code, organization name and access code do not match our records.", None)
    with access_store.reader() as session:
        assert session.scalars(select(Membership)).all() == []


def test_failed_attempts_are_recorded_and_audited(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 2)
    with access_store.reader() as session:
        attempts = session.scalars(select(RedemptionAttempt)).all()
        actions = [entry.action for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("access_code_r%")))]
    assert [a.succeeded for a in attempts] == [False, False]
    assert actions == ["access_code_rejected", "access_code_rejected"]


def test_four_failures_in_a_row_still_let_the_right_code_in(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 4)
    assert redeem_school(access_store, clock, token, world)["access"] == "manage"


def test_five_failures_in_a_row_hold_off_even_the_right_code(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 5)
    with pytest.raises(TooManyAttempts) as held:
        redeem_school(access_store, clock, token, world)
    assert isinstance(held.value.retry_after, int)
    assert 0 < held.value.retry_after <= 15 * 60 + 1
    with access_store.reader() as session:
        assert session.scalars(select(Membership)).all() == []


def test_the_hold_is_per_account(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 5)
    colleague = signed_in(access_store, clock, "pat@example.org")
    assert redeem_school(access_store, clock, colleague, world)["access"] == "manage"


def test_the_hold_ends_after_retry_after_seconds(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 5)
    with pytest.raises(TooManyAttempts) as held:
        redeem_school(access_store, clock, token, world)
    clock.frozen_at += timedelta(seconds=held.value.retry_after)
    assert redeem_school(access_store, clock, token, world)["access"] == "manage"


def test_a_success_resets_the_count(access_store, clock, token, world):
    fail_times(access_store, clock, token, world, 4)
    redeem_school(access_store, clock, token, world)
    fail_times(access_store, clock, token, world, 4)
    assert redeem_school(access_store, clock, token, world)["access"] == "manage"


def test_failures_against_one_organization_hold_off_the_guessers_not_it(access_store, clock,
                                                                         world):
    for n in range(4):  # 20 failures from four accounts within the hour
        attacker = signed_in(access_store, clock, "guess{}@example.org".format(n))
        fail_times(access_store, clock, attacker, world, 5)
    with pytest.raises(TooManyAttempts) as held:
        redeem_school(access_store, clock, attacker, world)
    assert held.value.retry_after == 60
    coordinator = signed_in(access_store, clock, "dana@example.org")
    granted = redeem_school(access_store, clock, coordinator, world)
    assert granted["organization"]["id"] == world.school


def test_the_code_works_for_its_academic_year_only(access_store, clock, token, world):
    clock.frozen_at = utc(2027, 7, 1, 4, 30)  # July 1, 2027 in New York: 2027-28
    token = sign_in_again(access_store, clock)
    with pytest.raises(InvalidInput):
        redeem_school(access_store, clock, token, world)
    next_years = issue(access_store, clock, world.school, THIS_YEAR.next())
    assert redeem_school(access_store, clock, token, world, code=next_years)[
        "academic_year"] == "2027-28"


# --- what access allows -------------------------------------------------------------------


def redeem_district(store, clock, token, world):
    return redeem(store, clock, token, "48201", "Detroit Public Schools",
                  world.codes[world.district])


def test_district_code_gives_manage_to_the_district(access_store, clock, token, world):
    redeem_district(access_store, clock, token, world)
    complete_profile(access_store, clock, world.district)
    allowed = authorize(access_store, clock, token, world.district, need="manage")
    assert allowed["access"] == "manage"
    assert allowed["organization"]["id"] == world.district
    assert allowed["academic_year"] == "2026-27"


def test_district_code_gives_read_only_to_its_schools(access_store, clock, token, world):
    redeem_district(access_store, clock, token, world)
    complete_profile(access_store, clock, world.district)
    allowed = authorize(access_store, clock, token, world.school)
    assert allowed["access"] == "read_only"
    assert allowed["organization"]["id"] == world.school


def test_read_only_access_cannot_manage(access_store, clock, token, world):
    redeem_district(access_store, clock, token, world)
    complete_profile(access_store, clock, world.district)
    complete_profile(access_store, clock, world.school)
    with pytest.raises(Forbidden) as forbidden:
        authorize(access_store, clock, token, world.school, need="manage")
    assert forbidden.value.code == "read_only_access"


def test_district_code_gives_nothing_outside_the_district(access_store, clock, token, world):
    redeem_district(access_store, clock, token, world)
    complete_profile(access_store, clock, world.district)
    with pytest.raises(NotFound):
        authorize(access_store, clock, token, world.other)


def test_a_school_code_gives_nothing_over_its_district(access_store, clock, token, world):
    redeem_school(access_store, clock, token, world)
    with pytest.raises(NotFound):
        authorize(access_store, clock, token, world.district, require_profile=False)


def test_the_account_lists_its_district_and_schools(access_store, clock, token, world):
    redeem_district(access_store, clock, token, world)
    with access_store.reader() as session:
        account = accounts.current_account(session, clock, token)
        listed = organizations.organizations_of(session, account.id, "2026-27")
    # what the account manages first, whatever the names
    assert [(o["id"], o["access"], o["profile_complete"]) for o in listed] == [
        (world.district, "manage", False), (world.school, "read_only", False)]
    complete_profile(access_store, clock, world.district)
    with access_store.reader() as session:
        listed = organizations.organizations_of(session, account.id, "2026-27")
    assert [o["profile_complete"] for o in listed] == [True, True]


def test_profile_must_be_complete_first(access_store, clock, token, world):
    redeem_school(access_store, clock, token, world)
    with pytest.raises(Conflict) as conflict:
        authorize(access_store, clock, token, world.school)
    assert conflict.value.code == "profile_incomplete"
    assert authorize(access_store, clock, token, world.school, require_profile=False)[
        "access"] == "manage"
    complete_profile(access_store, clock, world.school)
    assert authorize(access_store, clock, token, world.school)["access"] == "manage"


def test_schools_seen_through_the_district_need_the_districts_profile(access_store, clock,
                                                                      token, world):
    redeem_district(access_store, clock, token, world)
    complete_profile(access_store, clock, world.school)
    with pytest.raises(Conflict) as conflict:
        authorize(access_store, clock, token, world.school)
    assert conflict.value.code == "profile_incomplete"


@pytest.mark.parametrize("org_id", ["other", 999_999, "1", None])
def test_no_access_is_not_found(access_store, clock, token, world, org_id):
    redeem_school(access_store, clock, token, world)
    complete_profile(access_store, clock, world.school)
    target = world.other if org_id == "other" else org_id
    with pytest.raises(NotFound) as not_found:
        authorize(access_store, clock, token, target)
    assert not_found.value.code == "organization_not_found"


def test_access_ends_with_the_academic_year(access_store, clock, token, world):
    redeem_school(access_store, clock, token, world)
    complete_profile(access_store, clock, world.school)
    clock.frozen_at = utc(2027, 7, 1, 3, 30)  # 23:30 on June 30 in New York
    token = sign_in_again(access_store, clock)
    assert authorize(access_store, clock, token, world.school)["access"] == "manage"
    clock.frozen_at = utc(2027, 7, 1, 4, 30)  # July 1 in New York
    with pytest.raises(Forbidden) as ended:  # this year's code is needed now
        authorize(access_store, clock, token, world.school)
    assert ended.value.code == "access_code_needed"


def test_last_years_data_stays_readable_to_who_held_access_that_year(access_store, clock,
                                                                     token, world):
    redeem_school(access_store, clock, token, world)
    complete_profile(access_store, clock, world.school)
    clock.frozen_at = utc(2027, 7, 1, 4, 30)  # academic year 2027-28
    token = sign_in_again(access_store, clock)
    with access_store.reader() as session:
        account = accounts.current_account(session, clock, token)
        held = organizations.authorize(session, clock, account, world.school,
                                       academic_year="2026-27")
        assert (held["access"], held["access_year"], held["academic_year"]) == (
            "read_only", "2026-27", "2027-28")
        with pytest.raises(Forbidden) as change:
            organizations.authorize(session, clock, account, world.school, need="manage",
                                    academic_year="2026-27")
        assert change.value.code == "read_only_access"
        for year in ("2025-26", "2027-28"):  # not held, or this year's
            with pytest.raises(Forbidden) as refused:
                organizations.authorize(session, clock, account, world.school,
                                        academic_year=year)
            assert refused.value.code == "access_code_needed"
