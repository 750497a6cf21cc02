"""People with access: who holds access to an organization this academic year, removing
one, and the organization's rule that only the profile's contacts see scores
(docs/DECISIONS.md, "People with access")."""
from sqlalchemy import select

from services.access import audit
from services.access.changes import account_changed, organization_changed
from services.access.models import (AccessCodeRequest, Account, Membership,
                                    MembershipRemoval, Organization, OrganizationSettings,
                                    Profile)
from services.common.clock import as_utc
from services.common.errors import Conflict, Forbidden, NotFound

GRANTED_VIA = ("access_code", "access_code_request", "district")
SCORES_RESTRICTED = ("The coordinator of {} has made its scores visible only to the CLEP "
                     "coordinator and the alternate (or principal) named in its profile.")


def profile_contacts(session, organization_id):
    """The coordinator's and second contact's emails on the profile (stored lower-case)."""
    profile = session.get(Profile, organization_id)
    if profile is None:
        return set()
    return {email for email in (profile.coordinator_email, profile.second_email) if email}


def scores_contacts_only(session, organization_id):
    settings = session.get(OrganizationSettings, organization_id)
    return bool(settings and settings.scores_contacts_only)


def check_scores_visible(session, account, org, via):
    """403 `scores_restricted` when the organization (or the district its access comes
    through) shows scores to its profile's contacts only and the account is not one of
    them: those of the profile the access comes through."""
    restricted = scores_contacts_only(session, org.id) or (
        via != org.id and scores_contacts_only(session, via))
    if restricted and account.email not in profile_contacts(session, via):
        raise Forbidden("scores_restricted", SCORES_RESTRICTED.format(org.name))


def granted_via(session, account_id, organization_id, year):
    """How a redemption got its access: the code mailed on the account's approved request
    for this organization and year, or a code the account had otherwise."""
    approved = session.scalar(select(AccessCodeRequest.id).where(
        AccessCodeRequest.account_id == account_id,
        AccessCodeRequest.organization_id == organization_id,
        AccessCodeRequest.status == "approved", AccessCodeRequest.academic_year == year)
        .limit(1))
    return "access_code_request" if approved else "access_code"


def was_removed(session, account_id, organization_id, year):
    return session.get(MembershipRemoval, (account_id, organization_id, year)) is not None


def list_members(session, org, year, caller_id):
    """Everyone holding access to `org` in `year`: its own members (manage), then for a
    school its district's (read-only, removable only from the district), by name."""
    rows = [(org.id, *row) for row in _members_of(session, org.id, year)]
    if org.district_id is not None:
        rows += [(org.district_id, *row) for row in _members_of(session, org.district_id, year)]
    contacts = {org_id: profile_contacts(session, org_id) for org_id, *_ in rows}
    members = []
    for via, membership, account in rows:
        own = via == org.id
        members.append({
            "account_id": account.id, "name": account.name, "email": account.email,
            "access": "manage" if own else "read_only",
            "granted_at": as_utc(membership.granted_at).isoformat(),
            "granted_via": membership.granted_via if own else "district",
            "through_organization_id": via,
            "profile_contact": account.email in contacts[via],
            "removable": own, "you": account.id == caller_id})
    members.sort(key=lambda m: (m["access"] != "manage", m["name"].lower(), m["account_id"]))
    return {"academic_year": year, "scores_contacts_only": scores_contacts_only(session, org.id),
            "members": members}


def _members_of(session, organization_id, year):
    return session.execute(select(Membership, Account).join(
        Account, Account.id == Membership.account_id).where(
        Membership.organization_id == organization_id,
        Membership.academic_year == year)).all()


def remove_member(work, clock, caller, org, year, account_id):
    """End `account_id`'s access to `org` for `year`, at once (the gateways forget what
    they kept of it on the notice) and for the year (the code cannot bring it back; only
    operations' `restore_member` can). Only a profile contact may remove a profile
    contact. A coordinator may leave, but not as the last one: nobody could manage it
    then; the organization's row is locked first, so two removals at once cannot both
    pass that check (SQLite's BEGIN IMMEDIATE already serializes them)."""
    session = work.session
    session.execute(select(Organization.id).where(Organization.id == org.id)
                    .with_for_update())
    if not _manages(session, caller.id, org.id, year):  # removed while waiting for the lock
        raise NotFound("member_not_found", "You no longer have access to {} in {}."
                       .format(org.name, year))
    membership = session.get(Membership, (account_id, org.id, year)) \
        if isinstance(account_id, int) else None
    if membership is None:
        if _through_district(session, org, year, account_id):
            raise Conflict("access_through_district", "This person's access comes through "
                           "the district; the district's coordinator can remove it there.")
        raise NotFound("member_not_found", "Nobody with that id has access to {} in {}."
                       .format(org.name, year))
    removed = session.get(Account, account_id)
    contacts = profile_contacts(session, org.id)
    if removed.email in contacts and caller.email not in contacts:
        raise Forbidden("profile_contact_protected", "{} is named in the profile of {} as "
                        "its CLEP coordinator or second contact: only one of those two can "
                        "remove them.".format(removed.name, org.name))
    others = session.scalar(select(Membership.account_id).where(
        Membership.organization_id == org.id, Membership.academic_year == year,
        Membership.access == "manage", Membership.account_id != account_id).limit(1))
    if others is None and membership.access == "manage":
        raise Conflict("last_manager", "You are the only person who manages {}: "
                       "removing yourself would leave nobody to manage it.".format(org.name))
    session.delete(membership)
    session.merge(MembershipRemoval(account_id=account_id, organization_id=org.id,
                                    academic_year=year, removed_at=clock.now(),
                                    removed_by=caller.id))
    account_changed(work, account_id, "access_removed")
    audit.record(session, clock, "member_removed", account_id=caller.id,
                 organization_id=org.id, academic_year=year, removed_account_id=account_id,
                 removed_email=removed.email, access=membership.access,
                 granted_via=membership.granted_via)
    return {"account_id": account_id, "organization_id": org.id, "academic_year": year,
            "removed": True}


def _manages(session, account_id, organization_id, year):
    """Read now, not from the session's identity map: another removal may have committed
    while this one waited for the lock."""
    return session.scalar(select(Membership.account_id).where(
        Membership.account_id == account_id, Membership.organization_id == organization_id,
        Membership.academic_year == year, Membership.access == "manage")) is not None


def restore_member(work, clock, organization_id, account_id, year):
    """Operations' undo of a removal: the year's code lets the account in again (it
    redeems it as before; nothing is granted here). 404 `removal_not_found`."""
    session = work.session
    removal = session.get(MembershipRemoval, (account_id, organization_id, year))
    if removal is None:
        raise NotFound("removal_not_found", "Account {} was not removed from organization {} "
                       "in {}.".format(account_id, organization_id, year))
    account = session.get(Account, account_id)
    session.delete(removal)  # no notice: refusals are never kept, the next code is asked
    audit.record(session, clock, "member_restored", organization_id=organization_id,
                 academic_year=year, restored_account_id=account_id,
                 restored_email=account.email if account else None,
                 removed_at=as_utc(removal.removed_at).isoformat(),
                 removed_by=removal.removed_by)
    return {"account_id": account_id, "organization_id": organization_id,
            "academic_year": year, "restored": True}


def _through_district(session, org, year, account_id):
    return org.district_id is not None and isinstance(account_id, int) and \
        session.get(Membership, (account_id, org.district_id, year)) is not None


def set_scores_contacts_only(work, clock, caller, org, contacts_only):
    """The organization's rule; the gateways forget what they kept of it at once, the
    calling process before it answers (for a district, of its schools too)."""
    session = work.session
    settings = session.get(OrganizationSettings, org.id) or \
        OrganizationSettings(organization_id=org.id, scores_contacts_only=False)
    before = settings.scores_contacts_only
    settings.scores_contacts_only = bool(contacts_only)
    settings.updated_at = clock.now()
    settings.updated_by = caller.id
    session.add(settings)
    changed = [org.id]
    if before != settings.scores_contacts_only:
        changed = organization_changed(work, org.id, "score_visibility_changed")
        audit.record(session, clock, "score_visibility_changed", account_id=caller.id,
                     organization_id=org.id, contacts_only=settings.scores_contacts_only)
    # organization_ids: whose kept answers the calling gateway process forgets at once
    # (the organization and a district's schools); the gateway does not pass it on
    return {"scores_contacts_only": settings.scores_contacts_only,
            "organization_ids": changed}
