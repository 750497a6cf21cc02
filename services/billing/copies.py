"""Billing's own copies of other services' facts, kept from their events.

Each function applies one event inside the caller's unit of work (which has already
checked `first_delivery`). Events of different types arrive on different queues, so they
may come in any order: every copy is an upsert, and a row made early by one event is
completed by the others.
"""
import logging

from sqlalchemy import update

from services.billing.models import (BillableExam, BillingFeeSchedule, BillingOrder,
                                     BillingOrganization, BillingRegistration)
from services.common.academic_year import AcademicYear
from services.common.database import insert_ignoring_duplicates, inserted_ignoring_duplicates
from services.common.event_schema import newer_version

log = logging.getLogger(__name__)

VOID_TICKET_CANCELLED = "ticket_cancelled"


class UnknownReference(LookupError):
    """The event names something billing has no copy of (an unknown order): kept in
    failed_events, to be replayed once the copy has arrived."""


def organization_row(session, organization_id, now):
    """The organization's row, made (monthly, not yet registered) if billing has none.

    Insert-or-nothing first, so that two handlers making the same row at once never clash.
    """
    insert_ignoring_duplicates(session, BillingOrganization.__table__, [{
        "organization_id": organization_id, "state_funded": False, "registered": False,
        "updated_at": now}])
    return session.get(BillingOrganization, organization_id)


def keep_organization(session, event, now):
    """`organization_registered` (version 1) and `organization_updated`: name, state,
    state-funded flag. Events on two queues may arrive in any order: only a version newer
    than the one kept is applied. Operations' flag is the authority from here on (see
    `keep_order`)."""
    organization_row(session, event["id"], now)
    org = session.get(BillingOrganization, event["id"], with_for_update=True,
                      populate_existing=True)  # a concurrent newer version waits for this
    if not newer_version(org, event["version"]):
        return  # older news than the copy
    org.name = event["name"] or org.name
    org.state = event["state"].upper()[:2] if event["state"] else org.state
    org.state_funded = event["state_funded"]
    org.registered = True
    org.updated_at = now


def keep_billing_contact(session, event, now):
    """`profile_updated`: who receives the invoices (the profile resolves "same as
    coordinator" before it announces the billing contact)."""
    contact = event["billing_contact"]
    org = organization_row(session, event["organization_id"], now)
    org.billing_name = contact["name"]
    org.billing_email = contact["email"].lower()
    org.billing_phone = contact["phone"]
    org.name = event["organization_name"] or org.name
    org.updated_at = now


def keep_fees(session, event, now):
    """`fees_set`: a year's fees, what a legacy voucher's exam is billed at."""
    year = event["academic_year"]
    fees = session.get(BillingFeeSchedule, year) or BillingFeeSchedule(academic_year=year)
    fees.exam_fee_cents = event["exam_fee_cents"]
    fees.remote_proctoring_fee_cents = event["remote_proctoring_fee_cents"]
    fees.updated_at = now
    session.add(fees)


def keep_order(session, event, now):
    """`order_placed`: the fees the order keeps, its coverage and its PO number.

    An order seen again (the same fact under another event id) changes nothing: a PO
    number changed since must not be overwritten by the original one."""
    insert_ignoring_duplicates(session, BillingOrder.__table__, [{
        "order_id": event["id"], "organization_id": event["organization_id"],
        "academic_year": event["academic_year"],
        "covers_remote_proctoring": event["covers_remote_proctoring"],
        "exam_fee_cents": event["exam_fee_cents"],
        "remote_proctoring_fee_cents": event["remote_proctoring_fee_cents"],
        "po_number": event["po_number"], "version": event["version"], "updated_at": now}])
    org = organization_row(session, event["organization_id"], now)
    if not org.registered and event["state_funded"] is not None:
        # the order carries the flag as it was when placed; access' own events, when
        # they arrive, are the authority
        org.state_funded = event["state_funded"]
        org.updated_at = now


def keep_po_number(session, event, now):
    """`po_number_changed`: the next invoice shows the order's current PO number; an
    older version of the order than the one kept (two quick changes, delivered out of
    order) changes nothing."""
    order_id = event["order_id"]
    order = session.get(BillingOrder, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise UnknownReference("po_number_changed for unknown order {}".format(order_id))
    if not newer_version(order, event["version"]):
        return
    order.po_number = event["po_number"]
    order.updated_at = now


def keep_registration(session, event, now):
    """One `voucher_redeemed` (a replay): `keep_registrations` of one."""
    keep_registrations(session, [event], now)


def keep_registrations(session, events, now):
    """`voucher_redeemed` events: registration tickets, to tell a cancelled one later, and
    their codes' remote-proctoring coverage, which a legacy code's exam is charged by. One
    statement for new tickets."""
    tickets = BillingRegistration.__table__
    rows = {}
    for event in events:
        rows.setdefault(event["registration_id"], {
            "registration_id": event["registration_id"], "voucher_code": event["voucher_code"],
            "order_id": event["order_id"], "organization_id": event["organization_id"],
            "academic_year": event["academic_year"], "complete_by": event["complete_by"],
            "legacy": bool(event["legacy"]),
            "covers_remote_proctoring": event["covers_remote_proctoring"],
            "status": "redeemed", "updated_at": now})
    inserted = {key for (key,) in inserted_ignoring_duplicates(session, tickets,
                                                               list(rows.values()))}
    for registration_id, row in rows.items():
        if registration_id not in inserted:
            # a ticket cancelled first stays cancelled, but learns here what its code is
            # (the cancellation does not say)
            session.execute(update(tickets).where(
                tickets.c.registration_id == registration_id,
                tickets.c.covers_remote_proctoring.is_(None)).values(
                legacy=row["legacy"], covers_remote_proctoring=row["covers_remote_proctoring"]))


def ticket_valid_until(registration, fallback_day):
    """The last day an exam could be taken on a ticket: its complete_by (the vouchers
    service cancels it the day after), else June 30 of its academic year."""
    if registration.complete_by is not None:
        return registration.complete_by
    try:
        return AcademicYear.parse(registration.academic_year).last_day
    except (TypeError, ValueError):
        return AcademicYear.containing(fallback_day).last_day


def cancel_registration(session, event, now):
    """`registration_cancelled`: the ticket is never billed.

    An exam is a fact, though: one taken while the ticket was valid but reported after the
    June 30 close stays billable (vouchers shows its code as used, too). Only an unbilled
    exam dated after the ticket's last valid day is voided; one already invoiced is left
    alone and logged for operations."""
    registration_id = event["registration_id"]
    registration = session.get(BillingRegistration, registration_id)
    if registration is None:
        registration = BillingRegistration(
            registration_id=registration_id, voucher_code=event["voucher_code"],
            order_id=event["order_id"], organization_id=event["organization_id"],
            legacy=False)
        session.add(registration)
    registration.academic_year = event["academic_year"] or registration.academic_year
    registration.complete_by = event["complete_by"] or registration.complete_by
    registration.status = "cancelled"
    registration.updated_at = now
    exams = BillableExam.__table__
    voided = session.execute(update(exams).where(
        exams.c.registration_id == registration_id, exams.c.invoice_id.is_(None),
        exams.c.void_reason.is_(None),
        exams.c.test_date > ticket_valid_until(registration, now.date()))
        .values(void_reason=VOID_TICKET_CANCELLED)).rowcount
    if voided:
        log.warning("registration %s cancelled: its exam dated after the ticket's last day "
                    "will not be billed", registration_id)
