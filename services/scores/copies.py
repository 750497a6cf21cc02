"""The facts of other services this one keeps (from their events; it reads no other
database): organizations, to know the institutions a student may name, and voucher
redemptions, to know which organization paid for an exam."""
from datetime import date, datetime

from sqlalchemy import select

from services.common.clock import as_utc
from services.common.database import insert_ignoring_duplicates, inserted_ignoring_duplicates
from services.common.event_schema import newer_version
from services.scores.models import Organization, VoucherRedemption


def keep_organization(session, clock, event):
    """`organization_registered` / `organization_updated`: the newest version wins (the two
    arrive on two queues, and two quick changes may arrive out of order)."""
    organization_id = int(event["id"])
    insert_ignoring_duplicates(session, Organization.__table__, [{  # two handlers at once
        "id": organization_id, "name": event["name"], "kind": event["kind"], "version": 0,
        "updated_at": clock.now()}])
    organization = session.get(Organization, organization_id, with_for_update=True,
                               populate_existing=True)  # the other waits, then reads this
    if not newer_version(organization, event.get("version")):
        return  # older news than the copy
    organization.name = event["name"]
    organization.kind = event["kind"]
    organization.district_id = event.get("district_id")
    organization.updated_at = clock.now()
    session.add(organization)


def keep_redemptions(session, clock, events):
    """`voucher_redeemed` events: each voucher code, its registration and the buyer;
    returns the registrations' (canonical) voucher codes. One statement for new ones."""
    now = clock.now()
    rows = {}
    for event in events:
        row = _redemption_row(event, now)
        rows.setdefault(row["registration_id"], row)
    inserted = {key for (key,) in inserted_ignoring_duplicates(
        session, VoucherRedemption.__table__, list(rows.values()))}
    codes = {rows[key]["voucher_code"] for key in inserted}
    again = [key for key in rows if key not in inserted]
    if again:  # the same registration announced twice: the first copy stands
        codes.update(session.scalars(select(VoucherRedemption.voucher_code).where(
            VoucherRedemption.registration_id.in_(again))))
    return codes


def _redemption_row(event, now):
    student = event.get("student") or {}
    return {
        "registration_id": str(event["registration_id"]),
        "voucher_code": str(event["voucher_code"]).replace("-", "").upper(),
        "voucher_code_shown": str(event.get("voucher_code_shown") or event["voucher_code"]),
        "order_id": event.get("order_id"),
        "organization_id": int(event["organization_id"]),
        "academic_year": event.get("academic_year"),
        "covers_remote_proctoring": event.get("covers_remote_proctoring"),
        "legacy": bool(event.get("legacy", False)),
        "student_id": None if student.get("id") is None else str(student["id"])[:64],
        "exam": (event.get("exam") or None) and str(event["exam"])[:200],
        "redeemed_at": _moment(event.get("redeemed_at")),
        "complete_by": _day(event.get("complete_by")),
        "received_at": now}


def _moment(value):
    """A moment as the event's schema loads it (a datetime) or as sent (ISO 8601 text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(value) if value else None


def _day(value):
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value or None
