"""Billable exams: an exam taken with a voucher becomes exactly one item to bill.

The amount is fixed when the exam is recorded: the order's exam fee, plus its
remote-proctoring fee when the order covers it and the exam was taken remotely. A legacy
voucher (bought before the portal, no order) is billed the same way at the fees of its
academic year, from `fees_set`: the exam fee, plus the remote-proctoring fee when its
import covers it (as its ticket's `voucher_redeemed` said) and the exam was taken
remotely; the organization billed is the one the codes were imported for. Unused and
expired codes and cancelled tickets never have an exam, so they are never billed; an exam
reported on a cancelled ticket is billed only if it was taken while the ticket was valid
(a late report of an exam taken before the June 30 close), otherwise it is kept, voided.
"""
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from services.billing.copies import (VOID_TICKET_CANCELLED, UnknownReference,
                                     organization_row, ticket_valid_until)
from services.billing.models import (BillableExam, BillingFeeSchedule, BillingOrder,
                                     BillingRegistration)
from services.common.academic_year import AcademicYear
from services.common.event_schema import MalformedEvent


class VoucherAlreadyBilled(ValueError):
    """A second, different exam reported on a voucher that already paid for one."""


def exam_amount(exam_fee_cents, remote_proctoring_fee_cents, covers_remote_proctoring,
                delivery_mode):
    """(exam fee, remote-proctoring fee charged, amount) of one exam, in cents."""
    remote = remote_proctoring_fee_cents if (
        covers_remote_proctoring and delivery_mode == "remote") else 0
    return exam_fee_cents, remote, exam_fee_cents + remote


def legacy_amount(session, year, registration, delivery_mode, result_id):
    """`exam_amount` of an exam paid with a legacy voucher: the year's fees, and the
    coverage its ticket announced.

    A remote exam on a ticket whose `voucher_redeemed` has not arrived (another queue)
    raises, so that the exam is kept and replayed rather than billed without a fee it may
    owe."""
    schedule = session.get(BillingFeeSchedule, year)
    if schedule is None:
        raise UnknownReference("no fees known for {} (legacy voucher of exam {})".format(
            year, result_id))
    covers = registration.covers_remote_proctoring if registration is not None else None
    if covers is None and delivery_mode == "remote":
        raise UnknownReference("remote exam {} on a legacy voucher whose redemption billing "
                               "has not received: its remote-proctoring coverage is "
                               "unknown".format(result_id))
    return exam_amount(schedule.exam_fee_cents, schedule.remote_proctoring_fee_cents,
                       bool(covers), delivery_mode)


def record_exam(session, event, now):
    """`exam_recorded`: the billable item of a voucher-funded exam; None for any other.

    Returns the item's values. The same result again (under another event id) adds
    nothing; an unknown order, missing fields or a second exam on one voucher raise, so
    that the event is kept in `failed_events`.
    """
    result_id = event["result_id"]
    voucher_code = event["voucher_code"]
    if voucher_code is None:
        return None  # self-paid (null, by the contract): nobody is billed
    voucher_code = voucher_code.upper().replace("-", "").replace(" ", "")
    registration_id = event["registration_id"]
    registration = session.get(BillingRegistration, registration_id) if registration_id else None
    order_id = event["order_id"]
    organization_id = event["organization_id"]
    if order_id is None and registration is not None:
        order_id = registration.order_id
    if organization_id is None:
        organization_id = registration.organization_id if registration else None
        if organization_id is None:
            raise MalformedEvent("a voucher-funded exam without 'organization_id'")
    if registration is not None and registration.organization_id not in (None,
                                                                          organization_id):
        raise MalformedEvent("registration {} is organization {}'s, not {}'s".format(
            registration_id, registration.organization_id, organization_id))
    test_date = event["test_date"]
    delivery_mode = event["delivery_mode"]
    year = event["academic_year"] or str(AcademicYear.containing(test_date))

    if session.scalar(select(BillableExam.id).where(BillableExam.result_id == result_id)):
        return None  # this exam is already an item
    other = session.scalar(select(BillableExam.result_id).where(
        BillableExam.voucher_code == voucher_code))
    if other is not None:
        raise VoucherAlreadyBilled("voucher {} already paid for result {}; result {} not "
                                   "billed".format(voucher_code, other, result_id))

    if order_id is not None:
        order = session.get(BillingOrder, order_id)
        if order is None:
            raise UnknownReference("exam {} on unknown order {}".format(result_id, order_id))
        if order.organization_id != organization_id:
            raise MalformedEvent("order {} belongs to organization {}, not {}".format(
                order_id, order.organization_id, organization_id))
        fees = exam_amount(order.exam_fee_cents, order.remote_proctoring_fee_cents,
                           order.covers_remote_proctoring, delivery_mode)
    else:
        fees = legacy_amount(session, year, registration, delivery_mode, result_id)

    organization_row(session, organization_id, now)
    values = {
        "result_id": result_id, "voucher_code": voucher_code,
        "registration_id": registration_id, "order_id": order_id,
        "organization_id": organization_id, "exam": str(event.get("exam") or "")[:200] or None,
        "test_date": test_date, "delivery_mode": delivery_mode, "academic_year": year,
        "exam_fee_cents": fees[0], "remote_proctoring_fee_cents": fees[1],
        "amount_cents": fees[2],
        "void_reason": VOID_TICKET_CANCELLED if (
            registration is not None and registration.status == "cancelled"
            and test_date > ticket_valid_until(registration, test_date))
        else None,
        "invoice_id": None, "recorded_at": now,
    }
    # a racing copy of the same result adds nothing; a racing second exam on the same
    # voucher breaks the unique voucher_code and fails (kept in failed_events)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(BillableExam.__table__).values(values)
                    .on_conflict_do_nothing(index_elements=["result_id"]))
    return values
