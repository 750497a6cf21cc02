"""Organizations, their yearly access codes, redemption, and who may touch which one."""
import secrets
from datetime import timedelta

from sqlalchemy import select

from services.access import audit, members
from services.access.changes import account_changed, organization_changed
from services.access.access_codes import (format_access_code, name_key, new_access_code,
                                          normalize_access_code)
from services.access.attempt_limits import BackOff, client_key, failures, longest_wait
from services.access.models import (AccessCode, Membership, Organization, Profile,
                                    RedemptionAttempt)
from services.access.profiles import is_complete
from services.access.schemas import OrganizationIn, OrganizationPatchIn, state_funding_problem
from services.common.academic_year import AcademicYear, academic_year_from_input
from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound,
                                    TooManyAttempts)
from services.common.validation import load

# The limits on wrong access codes hold off the guesser, never the organization it aims
# at (docs/DECISIONS.md, "Throttles"): an account, 5 failures in a row, then 1, 2, 4 ...
# minutes up to an hour; a client (many accounts from one address), the same past 50.
ACCESS_CODE_PER_ACCOUNT = BackOff(allowed=5, window=timedelta(hours=24))
ACCESS_CODE_PER_CLIENT = BackOff(allowed=50, window=timedelta(hours=1))
INVALID_CODE = ("invalid_access_code",
                "The zip code, organization name and access code do not match our records.")


def organization_view(org):
    return {"id": org.id, "name": org.name, "kind": org.kind, "zip": org.zip, "city": org.city,
            "state": org.state, "district_id": org.district_id, "state_funded": org.state_funded}


def _check_district(session, district_id, kind):
    if district_id is None:
        return
    district = session.get(Organization, district_id)
    if district is None or district.kind != "district" or kind != "school":
        raise InvalidInput(fields={"district_id": [
            "Only a school can belong to a district, and it must be an existing district."]})


def find_by_zip_and_name(session, zip_code, name):
    return session.scalar(select(Organization).where(
        Organization.zip == zip_code, Organization.name_key == name_key(name)))


def _check_unique(session, zip_code, name, own_id=None):
    found = find_by_zip_and_name(session, zip_code, name)
    if found is not None and found.id != own_id:
        raise Conflict("organization_exists", "An organization of that name is already "
                       "registered in that zip code (id {}).".format(found.id))


def register_organization(work, clock, data):
    """A new organization; 409 `organization_exists` when zip and name are taken (they are
    how a coordinator names it when getting access). Emits `organization_registered`."""
    data = load(OrganizationIn, data)
    _check_district(work.session, data["district_id"], data["kind"])
    _check_unique(work.session, data["zip"], data["name"])
    org = Organization(name=data["name"], name_key=name_key(data["name"]), kind=data["kind"],
                       zip=data["zip"], city=data["city"], state=data["state"],
                       district_id=data["district_id"], state_funded=data["state_funded"],
                       created_at=clock.now())
    work.session.add(org)
    work.session.flush()
    work.emit("organization_registered", dict(organization_view(org), version=1))
    return organization_view(org)


def get_organization(session, organization_id, for_update=False):
    """`for_update`: locked, and read as committed once the lock is ours (a change made
    meanwhile is seen, not undone)."""
    org = session.get(Organization, organization_id, with_for_update=for_update,
                      populate_existing=for_update) if isinstance(organization_id, int) \
        else None
    if org is None:
        raise NotFound("organization_not_found", "No such organization.")
    return org


def update_organization(work, clock, organization_id, changes):
    """Operations changes an organization (name, zip, city, state, district, state funded);
    the kind stays. Emits `organization_updated` when something changed."""
    changes = load(OrganizationPatchIn, changes)
    # locked before reading: a concurrent change commits first, and the event then carries
    # the row as it is at the version it names
    org = get_organization(work.session, organization_id, for_update=True)
    before = organization_view(org)
    funding = state_funding_problem(org.kind, changes.get("state_funded"))
    if funding:
        raise InvalidInput(fields={"state_funded": [funding]})
    if "district_id" in changes:
        _check_district(work.session, changes["district_id"], org.kind)
    name = changes.get("name", org.name)
    zip_code = changes.get("zip", org.zip)
    _check_unique(work.session, zip_code, name, own_id=org.id)
    for field, value in changes.items():
        setattr(org, field, value)
    org.name_key = name_key(org.name)
    work.session.flush()
    after = organization_view(org)
    changed = sorted(field for field in after if after[field] != before[field])
    if changed:
        org.version = Organization.version + 1  # in SQL: two changes at once get two versions
        work.session.flush()
        work.emit("organization_updated", dict(after, version=org.version))
        organization_changed(work, org.id, "organization_updated")
        audit.record(work.session, clock, "organization_updated", organization_id=org.id,
                     changed={field: [before[field], after[field]] for field in changed})
    return after


def organizations_in_zip(session, zip_code):
    rows = session.scalars(select(Organization).where(Organization.zip == zip_code)
                           .order_by(Organization.name)).all()
    return [{"id": o.id, "name": o.name, "kind": o.kind, "city": o.city, "state": o.state}
            for o in rows]


def issue_access_code(work, clock, organization_id, academic_year):
    """The organization's code for that year, created once; returns (issued, contact email)
    where issued has `created`: False when the code existed already."""
    org = get_organization(work.session, organization_id)
    year = str(academic_year)
    existing = work.session.scalar(select(AccessCode).where(
        AccessCode.organization_id == org.id, AccessCode.academic_year == year))
    created = existing is None
    if created:
        while True:  # 60 random bits: a clash is practically impossible, but never reuse one
            code = new_access_code()
            if not work.session.scalar(select(AccessCode.id).where(AccessCode.code == code)):
                break
        existing = AccessCode(organization_id=org.id, academic_year=year, code=code,
                              issued_at=clock.now())
        work.session.add(existing)
        audit.record(work.session, clock, "access_code_issued", organization_id=org.id,
                     academic_year=year)
    profile = work.session.get(Profile, org.id)
    contact = profile.coordinator_email if profile else None
    return {"access_code": format_access_code(existing.code), "academic_year": year,
            "organization": {"id": org.id, "name": org.name}, "created": created}, contact


def redemption_hold(session, clock, account_id, client):
    """The 429 to answer while the account or its client has failed too often, else None."""
    now = clock.now()
    attempts = RedemptionAttempt
    in_a_row, last = failures(session, attempts, now - ACCESS_CODE_PER_ACCOUNT.window,
                              attempts.account_id == account_id, after_last_success=True)
    from_client, last_from_client = failures(session, attempts,
                                             now - ACCESS_CODE_PER_CLIENT.window,
                                             attempts.client == client)
    wait = longest_wait(ACCESS_CODE_PER_ACCOUNT.retry_after(in_a_row, last, now),
                        ACCESS_CODE_PER_CLIENT.retry_after(from_client, last_from_client, now))
    if wait is None:
        return None
    return TooManyAttempts("too_many_attempts", "Too many wrong access codes; try again later.",
                           retry_after=wait)


def redeem_access_code(work, clock, account, zip_code, organization_name, typed_code,
                       client=None):
    """Grant access for the current academic year when zip, name and code all match.

    Returns (result, None) on success or (None, error) on failure: the failed attempt must
    be committed (it feeds the limits and the audit) before the error is raised.
    """
    session = work.session
    year = str(clock.academic_year())
    # what was typed, for the audit of a failed attempt
    typed = {"zip": (zip_code or "")[:20], "organization_name": (organization_name or "")[:200],
             "access_code": typed_code[:40] if isinstance(typed_code, str) else "",
             "academic_year": year}
    org = session.scalar(select(Organization).where(
        Organization.zip == (zip_code or "").strip()[:5],
        Organization.name_key == name_key(organization_name or "")))
    client = client_key(client)
    held = redemption_hold(session, clock, account.id, client)
    if held is not None:  # not counted as an attempt: waiting it out must end the hold
        audit.record(session, clock, "access_code_held_off", account_id=account.id,
                     organization_id=org.id if org else None, **typed)
        return None, held
    code = normalize_access_code(typed_code)
    stored = None
    if org is not None and code is not None:
        stored = session.scalar(select(AccessCode.code).where(
            AccessCode.organization_id == org.id, AccessCode.academic_year == year))
    matched = stored is not None and secrets.compare_digest(stored, code)
    now = clock.now()
    session.add(RedemptionAttempt(account_id=account.id, client=client,
                                  organization_id=org.id if org else None,
                                  zip=typed["zip"], organization_name=typed["organization_name"],
                                  succeeded=matched, attempted_at=now))
    if not matched:
        audit.record(session, clock, "access_code_rejected", account_id=account.id,
                     organization_id=org.id if org else None, **typed)
        return None, InvalidInput(*INVALID_CODE)
    if members.was_removed(session, account.id, org.id, year):
        # the right code, but the coordinator removed this account for the year
        audit.record(session, clock, "access_code_rejected", account_id=account.id,
                     organization_id=org.id, reason="access_removed", **typed)
        return None, Forbidden("access_removed", "Your access to {} for {} was removed by "
                               "its coordinator; ask them if you need it.".format(org.name,
                                                                                   year))
    audit.record(session, clock, "access_code_redeemed", account_id=account.id,
                 organization_id=org.id, academic_year=year,
                 access_code=format_access_code(stored))
    if session.get(Membership, (account.id, org.id, year)) is None:
        session.add(Membership(account_id=account.id, organization_id=org.id,
                               academic_year=year, access="manage", granted_at=now,
                               granted_via=members.granted_via(session, account.id, org.id,
                                                               year)))
        account_changed(work, account.id, "access_granted")
    return {"organization": {"id": org.id, "name": org.name, "kind": org.kind},
            "access": "manage", "academic_year": year}, None


def access_to(session, account_id, org, year):
    """'manage', 'read_only' (a school seen through its district's code), or None."""
    if session.get(Membership, (account_id, org.id, year)) is not None:
        return "manage", org.id
    if org.district_id is not None and \
            session.get(Membership, (account_id, org.district_id, year)) is not None:
        return "read_only", org.district_id
    return None, None


ACCESS_CODE_NEEDED = "access_code_needed"


def authorize(session, clock, account, organization_id, need="read", require_profile=True,
              academic_year=None):
    """What this account may do with this organization's data of `academic_year` (default:
    the current one).

    Access this year opens every year. Without it, a past year's data stays readable to
    whoever held access that year (the FAQ's "view voucher information for previous
    years"), and the rest answers 403 `access_code_needed`: this year's code is needed.
    404 for an organization the caller never had access to (no hint that it exists), 403
    when read-only access meets a change, 409 `profile_incomplete` until the profile is
    done: that of the organization the access came through (a district's for its schools),
    named in the answer's `profile`. `need="scores"` reads, and is refused (403
    `scores_restricted`) where scores are for the profile's contacts only.
    """
    current = str(clock.academic_year())
    year = str(academic_year_from_input(academic_year)) if academic_year else current
    org = session.get(Organization, organization_id) if isinstance(organization_id, int) else None
    access, via = access_to(session, account.id, org, current) if org else (None, None)
    access_year = current
    if access is None and org is not None and year < current:
        access, via = access_to(session, account.id, org, year)
        access, access_year = ("read_only", year) if access else (None, None)
    if access is None:
        raise _no_access(session, account, org, current)
    if need == "manage" and access != "manage":
        raise Forbidden("read_only_access", "Your access to this organization is read-only."
                        if access_year == current else "Your access to this organization "
                        "for {} reads that year's data only.".format(access_year))
    if require_profile and not is_complete(session.get(Profile, via)):
        raise _profile_incomplete(session.get(Organization, via), org)
    if need == "scores":
        members.check_scores_visible(session, account, org, via)
    return {"account": {"id": account.id, "email": account.email, "name": account.name},
            "organization": {"id": org.id, "name": org.name, "kind": org.kind,
                             "state": org.state, "state_funded": org.state_funded},
            "access": access, "academic_year": current, "access_year": access_year}


def _no_access(session, account, org, current):
    held = past_years_held(session, account.id, org, current) if org else []
    if not held:
        return NotFound("organization_not_found", "No such organization.")
    return Forbidden(ACCESS_CODE_NEEDED, "Your access to {} was for {}. Redeem this year's "
                     "({}) access code to see this year's data and to order; {} stays "
                     "readable.".format(org.name, ", ".join(held), current,
                                        "that year's data" if len(held) == 1 else
                                        "those years' data"))


def past_years_held(session, account_id, org, current):
    """The academic years before `current` in which the account had access to `org`
    (its own or its district's), newest first."""
    ids = [org.id] + ([org.district_id] if org.district_id is not None else [])
    return list(session.scalars(select(Membership.academic_year).distinct().where(
        Membership.account_id == account_id, Membership.organization_id.in_(ids),
        Membership.academic_year < current).order_by(Membership.academic_year.desc())))


def past_access(session, account_id, current, years_back=4):
    """What the account held in the academic years before `current` (the four the portal
    shows), newest first: what stays readable without this year's code."""
    oldest = str(AcademicYear.parse(current).previous(years_back))
    rows = session.execute(
        select(Organization.id, Organization.name, Membership.academic_year)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == account_id, Membership.academic_year < current,
               Membership.academic_year >= oldest)
        .order_by(Membership.academic_year.desc(), Organization.name)).all()
    return [{"id": org_id, "name": name, "academic_year": year} for org_id, name, year in rows]


def _profile_incomplete(profile_org, org):
    """409 naming whose profile is missing: a district's, for a school seen through it."""
    if profile_org.id == org.id:
        message = "Complete the organization's profile first."
    else:
        message = ("Complete the profile of {} first: your access to {} comes through this "
                   "district (organization {}).".format(profile_org.name, org.name,
                                                        profile_org.id))
    return Conflict("profile_incomplete", message, details={"profile": {
        "organization_id": profile_org.id, "organization_name": profile_org.name,
        "url": "/api/organizations/{}/profile".format(profile_org.id)}})


def organizations_of(session, account_id, year):
    """The account's organizations for one year, including its districts' schools: those
    it manages first, then the read-only ones, each by name. `profile_complete` is that of
    the profile the access comes through (a district's for its schools)."""
    rows = session.execute(select(Organization, Membership.access).join(
        Membership, Membership.organization_id == Organization.id).where(
        Membership.account_id == account_id, Membership.academic_year == year)).all()
    complete = {org.id: is_complete(session.get(Profile, org.id)) for org, _ in rows}
    result = {org.id: {"id": org.id, "name": org.name, "kind": org.kind, "access": access,
                       "academic_year": year, "profile_complete": complete[org.id]}
              for org, access in rows}
    district_ids = [org.id for org, _ in rows if org.kind == "district"]
    if district_ids:
        for school in session.scalars(select(Organization).where(
                Organization.district_id.in_(district_ids))):
            result.setdefault(school.id, {"id": school.id, "name": school.name,
                                          "kind": school.kind, "access": "read_only",
                                          "academic_year": year,
                                          "profile_complete": complete[school.district_id]})
    return sorted(result.values(), key=lambda o: (o["access"] != "manage", o["name"]))
