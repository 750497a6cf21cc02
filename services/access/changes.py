"""`access_changed`: the notice that what a gateway may have kept to authorize requests
(sessions, memberships, terms, profiles, organizations) changed for an account or for
some organizations. Every gateway process listens (gateway/access_cache.py) and forgets
what it kept of them; nothing else consumes it, so it is published as a notice: no queue
bound is no error (services/common/outbox_relay.py)."""
from sqlalchemy import select

from services.access.models import Organization

ACCESS_CHANGED = "access_changed"


def account_changed(work, account_id, reason):
    """A session ended, terms accepted, a membership granted or removed."""
    work.emit(ACCESS_CHANGED, {"account_id": account_id, "organization_ids": [],
                               "reason": reason})


def organization_changed(work, organization_id, reason):
    """A profile or an organization changed: the organization's and, for a district, its
    schools' (seen through it, and completed by its profile). Returns their ids."""
    schools = work.session.scalars(select(Organization.id).where(
        Organization.district_id == organization_id))
    organization_ids = [organization_id, *schools]
    work.emit(ACCESS_CHANGED, {"account_id": None, "organization_ids": organization_ids,
                               "reason": reason})
    return organization_ids
