"""Organizations, their yearly access codes, redemption, and who may touch which one."""
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from services.access import audit
from services.access.access_codes import (format_access_code, name_key, new_access_code,
                                          normalize_access_code)
from services.access.models import (AccessCode, Membership, Organization, Profile,
                                    RedemptionAttempt)
from services.access.profiles import is_complete
from services.common.clock import as_utc
from services.common.errors import (Conflict, Forbidden, InvalidInput, NotFound,
                                    TooManyAttempts)

KINDS = ("school", "district", "college", "other")
ACCOUNT_FAILURE_LIMIT = 5           # failures in a row before an account is held off
ACCOUNT_HOLD = timedelta(minutes=15)
ORGANIZATION_FAILURE_LIMIT = 20     # failures from any accounts, per organization ...
ORGANIZATION_WINDOW = timedelta(hours=1)  # ... within this window
INVALID_CODE = ("invalid_access_code",
                "The zip code, organization name and access code do not match our records.")


def organization_view(org):
    return {"id": org.id, "name": org.name, "kind": org.kind, "zip": org.zip, "city": org.city,
            "state": org.state, "district_id": org.district_id, "state_funded": org.state_funded}


_ZIP = re.compile(r"[0-9]{5}")
_STATE = re.compile(r"[A-Za-z]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FIELDS = ("name", "kind", "zip", "city", "state", "district_id", "state_funded")


def _text(value, length):
    if not isinstance(value, str) or not value.strip():
        return None, "Required."
    value = " ".join(value.split())
    if len(value) > length:
        return None, "At most {} characters.".format(length)
    if _CONTROL.search(value):
        return None, "Only printable characters."
    return value, None


def clean_organization(data, partial=False):
    """The organization fields of `data`, checked and tidied; InvalidInput naming each bad
    field. With `partial`, only the fields present are checked (an update)."""
    clean, wrong = {}, {}
    unknown = set(data) - set(FIELDS)
    for name in sorted(unknown):
        wrong[name] = ["Unknown field."]
    for name, length in (("name", 200), ("city", 100)):
        if name in data or not partial:
            clean[name], problem = _text(data.get(name), length)
            if problem:
                wrong[name] = [problem]
    if "kind" in data or not partial:
        if data.get("kind") not in KINDS:
            wrong["kind"] = ["Must be one of {}.".format(", ".join(KINDS))]
        clean["kind"] = data.get("kind")
    if "zip" in data or not partial:
        zip_code = data.get("zip")
        zip_code = zip_code.strip() if isinstance(zip_code, str) else ""
        if _ZIP.fullmatch(zip_code[:5]) and (len(zip_code) == 5 or
                                            re.fullmatch(r"-[0-9]{4}", zip_code[5:])):
            clean["zip"] = zip_code[:5]  # ZIP+4 is kept as the 5-digit zip people type
        else:
            wrong["zip"] = ["A US zip code: 5 digits."]
    if "state" in data or not partial:
        state = data.get("state")
        if isinstance(state, str) and _STATE.fullmatch(state.strip()):
            clean["state"] = state.strip().upper()
        else:
            wrong["state"] = ["A two-letter state code."]
    if "state_funded" in data or not partial:
        funded = data.get("state_funded", False)
        if isinstance(funded, bool):
            clean["state_funded"] = funded
        else:
            wrong["state_funded"] = ["true or false."]
    if "district_id" in data or not partial:
        district_id = data.get("district_id")
        if district_id is None or (isinstance(district_id, int) and
                                   not isinstance(district_id, bool)):
            clean["district_id"] = district_id
        else:
            wrong["district_id"] = ["The id of a district."]
    if wrong:
        raise InvalidInput(fields=wrong)
    return clean


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
    data = clean_organization(data)
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


def get_organization(session, organization_id):
    org = session.get(Organization, organization_id) if isinstance(organization_id, int) \
        else None
    if org is None:
        raise NotFound("organization_not_found", "No such organization.")
    return org


def update_organization(work, clock, organization_id, changes):
    """Operations changes an organization (name, zip, city, state, district, state funded);
    the kind stays. Emits `organization_updated` when something changed."""
    if "kind" in changes:
        raise InvalidInput(fields={"kind": ["The kind of an organization cannot change."]})
    changes = clean_organization(changes, partial=True)
    org = get_organization(work.session, organization_id)
    before = organization_view(org)
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


def redemption_hold(session, clock, account_id):
    """The 429 to answer while the account has failed too often in a row, else None."""
    now = clock.now()
    recent = session.execute(
        select(RedemptionAttempt.succeeded, RedemptionAttempt.attempted_at)
        .where(RedemptionAttempt.account_id == account_id)
        .order_by(RedemptionAttempt.id.desc()).limit(ACCOUNT_FAILURE_LIMIT)).all()
    if len(recent) == ACCOUNT_FAILURE_LIMIT and not any(ok for ok, _ in recent):
        held_until = as_utc(recent[0].attempted_at) + ACCOUNT_HOLD
        if held_until > now:
            return TooManyAttempts(
                "too_many_attempts", "Too many wrong access codes; try again later.",
                retry_after=int((held_until - now).total_seconds()) + 1)
    return None


def _organization_under_attack(session, clock, organization_id):
    since = clock.now() - ORGANIZATION_WINDOW
    failures = session.scalar(select(func.count()).select_from(RedemptionAttempt).where(
        RedemptionAttempt.organization_id == organization_id,
        RedemptionAttempt.succeeded.is_(False),
        RedemptionAttempt.attempted_at >= since))
    return failures >= ORGANIZATION_FAILURE_LIMIT


def redeem_access_code(work, clock, account, zip_code, organization_name, typed_code):
    """Grant access for the current academic year when zip, name and code all match.

    Returns (result, None) on success or (None, error) on failure: the failed attempt must
    be committed (it feeds the limits and the audit) before the error is raised.
    """
    session = work.session
    year = str(clock.academic_year())
    typed = {"zip": (zip_code or "")[:20], "organization_name": (organization_name or "")[:200],
             "academic_year": year}
    org = session.scalar(select(Organization).where(
        Organization.zip == (zip_code or "").strip()[:5],
        Organization.name_key == name_key(organization_name or "")))
    held = redemption_hold(session, clock, account.id)
    if held is None and org is not None and _organization_under_attack(session, clock, org.id):
        held = TooManyAttempts("too_many_attempts",
                               "Too many wrong access codes for this organization; try later.",
                               retry_after=int(ORGANIZATION_WINDOW.total_seconds()))
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
    session.add(RedemptionAttempt(account_id=account.id, organization_id=org.id if org else None,
                                  zip=typed["zip"], organization_name=typed["organization_name"],
                                  succeeded=matched, attempted_at=now))
    if not matched:
        audit.record(session, clock, "access_code_rejected", account_id=account.id,
                     organization_id=org.id if org else None, **typed)
        return None, InvalidInput(*INVALID_CODE)
    audit.record(session, clock, "access_code_redeemed", account_id=account.id,
                 organization_id=org.id, academic_year=year,
                 access_code=format_access_code(stored))
    if session.get(Membership, (account.id, org.id, year)) is None:
        session.add(Membership(account_id=account.id, organization_id=org.id,
                               academic_year=year, access="manage", granted_at=now))
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


def authorize(session, clock, account, organization_id, need="read", require_profile=True):
    """What this account may do with this organization, for the current academic year.

    404 for an organization the caller has no access to (no hint that it exists), 403 when
    read-only access meets a change, 409 `profile_incomplete` until the profile is done.
    The profile checked is that of the organization the access came through (a district's
    profile for its schools).
    """
    year = str(clock.academic_year())
    org = session.get(Organization, organization_id) if isinstance(organization_id, int) else None
    access, via = access_to(session, account.id, org, year) if org else (None, None)
    if access is None:
        raise NotFound("organization_not_found", "No such organization.")
    if need == "manage" and access != "manage":
        raise Forbidden("read_only_access",
                        "Your access to this organization is read-only.")
    if require_profile and not is_complete(session.get(Profile, via)):
        raise Conflict("profile_incomplete",
                       "Complete the organization's profile first.")
    return {"account": {"id": account.id, "email": account.email, "name": account.name},
            "organization": {"id": org.id, "name": org.name, "kind": org.kind,
                             "state": org.state, "state_funded": org.state_funded},
            "access": access, "academic_year": year}


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
