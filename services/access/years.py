"""The academic years the access service has data of for an organization: its own and
its district's memberships (a school is read through its district), its access codes, and
the years it ordered in (`ordering_organizations`, from `order_placed`)."""
from sqlalchemy import select, union

from services.access.models import AccessCode, Membership, OrderingOrganization, Organization


def organization_years(session, organization_id):
    """Newest first (an academic year's text sorts as the year does)."""
    org = session.get(Organization, organization_id) if isinstance(organization_id, int) \
        else None
    if org is None:
        return []
    ids = [org.id] + ([org.district_id] if org.district_id is not None else [])
    years = session.scalars(union(
        select(Membership.academic_year).where(Membership.organization_id.in_(ids)),
        select(AccessCode.academic_year).where(AccessCode.organization_id == org.id),
        select(OrderingOrganization.academic_year).where(
            OrderingOrganization.organization_id == org.id))).all()
    return sorted(set(years), reverse=True)
