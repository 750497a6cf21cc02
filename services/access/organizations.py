"""Organizations, their yearly access codes, redemption, and who may touch which one."""
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from services.access.access_codes import (format_access_code, name_key, new_access_code,
                                          normalize_access_code)
from services.access.models import (AccessCode, AuditEntry, Membership, Organization, Profile,
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


def register_organization(work, clock, data):
    if data["kind"] not in KINDS:
        raise InvalidInput(fields={"kind": ["Must be one of {}.".format(", ".join(KINDS))]})
    district_id = data.get("district_id")
    if district_id is not None:
        district = work.session.get(Organization, district_id)
        if district is None or district.kind != "district" or data["kind"] != "school":
            raise InvalidInput(fields={"district_id": [
                "Only a school can belong to a district, and it must be an existing district."]})
    org = Organization(name=data["name"].strip(), name_key=name_key(data["name"]),
                       kind=data["kind"], zip=data["zip"], city=data["city"].strip(),
                       state=data["state"].upper(), district_id=district_id,
                       state_funded=bool(data.get("state_funded", False)),
                       created_at=clock.now())
    work.session.add(org)
    work.session.flush()
    work.emit("organization_registered", organization_view(org))
    return organization_view(org)


def organizations_in_zip(session, zip_code):
    rows = session.scalars(select(Organization).where(Organization.zip == zip_code)
                           .order_by(Organization.name)).all()
    return [{"id": o.id, "name": o.name, "kind": o.kind, "city": o.city, "state": o.state}
            for o in rows]


def issue_access_code(work, clock, organization_id, academic_year):
    """The organization's code for that year, created once; returns (code, contact email)."""
    org = work.session.get(Organization, organization_id)
    if org is None:
        raise NotFound("organization_not_found", "No such organization.")
    year = str(academic_year)
    existing = work.session.scalar(select(AccessCode).where(
        AccessCode.organization_id == org.id, AccessCode.academic_year == year))
    if existing is None:
        while True:  # 60 random bits: a clash is practically impossible, but never reuse one
            code = new_access_code()
            if not work.session.scalar(select(AccessCode.id).where(AccessCode.code == code)):
                break
        existing = AccessCode(organization_id=org.id, academic_year=year, code=code,
                              issued_at=clock.now())
        work.session.add(existing)
        work.session.add(AuditEntry(at=clock.now(), organization_id=org.id,
                                    action="access_code_issued", detail=year))
    profile = work.session.get(Profile, org.id)
    contact = profile.coordinator_email if profile else None
    return {"access_code": format_access_code(existing.code), "academic_year": year,
            "organization": {"id": org.id, "name": org.name}}, contact


def check_redemption_limits(session, clock, account_id):
    """429 while the account has failed too often in a row."""
    now = clock.now()
    recent = session.execute(
        select(RedemptionAttempt.succeeded, RedemptionAttempt.attempted_at)
        .where(RedemptionAttempt.account_id == account_id)
        .order_by(RedemptionAttempt.id.desc()).limit(ACCOUNT_FAILURE_LIMIT)).all()
    if len(recent) == ACCOUNT_FAILURE_LIMIT and not any(ok for ok, _ in recent):
        held_until = as_utc(recent[0].attempted_at) + ACCOUNT_HOLD
        if held_until > now:
            raise TooManyAttempts(
                "too_many_attempts", "Too many wrong access codes; try again later.",
                retry_after=int((held_until - now).total_seconds()) + 1)


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
    check_redemption_limits(session, clock, account.id)
    year = str(clock.academic_year())
    org = session.scalar(select(Organization).where(
        Organization.zip == (zip_code or "").strip()[:5],
        Organization.name_key == name_key(organization_name or "")))
    if org is not None and _organization_under_attack(session, clock, org.id):
        raise TooManyAttempts("too_many_attempts",
                              "Too many wrong access codes for this organization; try later.",
                              retry_after=int(ORGANIZATION_WINDOW.total_seconds()))
    code = normalize_access_code(typed_code)
    stored = None
    if org is not None and code is not None:
        stored = session.scalar(select(AccessCode.code).where(
            AccessCode.organization_id == org.id, AccessCode.academic_year == year))
    matched = stored is not None and secrets.compare_digest(stored, code)
    now = clock.now()
    session.add(RedemptionAttempt(account_id=account.id, organization_id=org.id if org else None,
                                  zip=(zip_code or "")[:20],
                                  organization_name=(organization_name or "")[:200],
                                  succeeded=matched, attempted_at=now))
    session.add(AuditEntry(at=now, account_id=account.id, organization_id=org.id if org else None,
                           action="access_code_redeemed" if matched else "access_code_rejected",
                           detail=year))
    if not matched:
        return None, InvalidInput(*INVALID_CODE)
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
    """The account's organizations for one year, including its districts' schools."""
    rows = session.execute(select(Organization, Membership.access).join(
        Membership, Membership.organization_id == Organization.id).where(
        Membership.account_id == account_id, Membership.academic_year == year)).all()
    result = {org.id: {"id": org.id, "name": org.name, "kind": org.kind, "access": access,
                       "academic_year": year} for org, access in rows}
    district_ids = [org.id for org, _ in rows if org.kind == "district"]
    if district_ids:
        for school in session.scalars(select(Organization).where(
                Organization.district_id.in_(district_ids))):
            result.setdefault(school.id, {"id": school.id, "name": school.name,
                                          "kind": school.kind, "access": "read_only",
                                          "academic_year": year})
    return sorted(result.values(), key=lambda o: o["name"])
