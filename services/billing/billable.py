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
from sqlalchemy import or_, select

from services.billing.copies import (VOID_TICKET_CANCELLED, UnknownReference,
                                     organization_row, ticket_valid_until)
from services.billing.models import (BillableExam, BillingFeeSchedule, BillingOrder,
                                     BillingRegistration)
from services.common.academic_year import AcademicYear
from services.common.bulk_insert import insert_rows
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
    """One `exam_recorded` (a replay, or the second pass of a batch): `record_exams` of
    one; the item's values, or None."""
    items = record_exams(session, [event], now)
    return items[0] if items else None


def record_exams(session, events, now):
    """`exam_recorded` events: the billable item of each voucher-funded exam (a self-paid
    one bills nobody); returns the items' values.

    Whatever the batch's size, a handful of statements: each lookup is one `IN` query,
    the items one insert. The same result again (under another event id) adds nothing; an
    unknown order, missing fields or a second exam on one voucher raise, so that the batch
    is applied again event by event and only that event is kept in `failed_events`.
    """
    funded = [event for event in events if event["voucher_code"] is not None]
    if not funded:
        return []
    known = _KnownFacts(session, funded)
    items = []
    for event in funded:
        values = _item(session, known, event, now)
        if values is not None:
            known.billed(values)
            items.append(values)
    for organization_id in sorted({values["organization_id"] for values in items}):
        organization_row(session, organization_id, now)
    # A racing copy of the same result, or a racing second exam on the same voucher, breaks
    # a unique column and undoes the batch; applied again event by event, the copy finds
    # its item and adds nothing, and the second exam is kept in failed_events.
    insert_rows(session, BillableExam.__table__, _ITEM_COLUMNS, items)
    return items


_ITEM_COLUMNS = tuple(column.name for column in BillableExam.__table__.columns
                      if column.name != "id")


def _canonical(voucher_code):
    return voucher_code.upper().replace("-", "").replace(" ", "")


class _KnownFacts:
    """What a batch of exams needs from the database, read once: their tickets and
    orders, and the items already billed for their results or vouchers."""

    def __init__(self, session, events):
        registration_ids = {event["registration_id"] for event in events} - {None}
        order_ids = {event["order_id"] for event in events} - {None}
        self.registrations = {row.registration_id: row for row in session.scalars(
            select(BillingRegistration).where(
                BillingRegistration.registration_id.in_(registration_ids)))
        } if registration_ids else {}
        order_ids |= {row.order_id for row in self.registrations.values()} - {None}
        self.orders = {row.order_id: row for row in session.scalars(
            select(BillingOrder).where(BillingOrder.order_id.in_(order_ids)))
        } if order_ids else {}
        results = {event["result_id"] for event in events}
        codes = {_canonical(event["voucher_code"]) for event in events}
        self.billed_results, self.result_of_voucher = set(), {}
        for result_id, voucher_code in session.execute(
                select(BillableExam.result_id, BillableExam.voucher_code).where(or_(
                    BillableExam.result_id.in_(results),
                    BillableExam.voucher_code.in_(codes)))):
            self.billed(result_id=result_id, voucher_code=voucher_code)

    def billed(self, values=None, result_id=None, voucher_code=None):
        result_id = values["result_id"] if values else result_id
        voucher_code = values["voucher_code"] if values else voucher_code
        self.billed_results.add(result_id)
        self.result_of_voucher[voucher_code] = result_id


def _item(session, known, event, now):
    """The billable item of one voucher-funded exam, or None when it is one already."""
    result_id = event["result_id"]
    voucher_code = _canonical(event["voucher_code"])
    registration_id = event["registration_id"]
    registration = known.registrations.get(registration_id) if registration_id else None
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

    if result_id in known.billed_results:
        return None  # this exam is already an item
    other = known.result_of_voucher.get(voucher_code)
    if other is not None:
        raise VoucherAlreadyBilled("voucher {} already paid for result {}; result {} not "
                                   "billed".format(voucher_code, other, result_id))

    if order_id is not None:
        order = known.orders.get(order_id)
        if order is None:
            raise UnknownReference("exam {} on unknown order {}".format(result_id, order_id))
        if order.organization_id != organization_id:
            raise MalformedEvent("order {} belongs to organization {}, not {}".format(
                order_id, order.organization_id, organization_id))
        fees = exam_amount(order.exam_fee_cents, order.remote_proctoring_fee_cents,
                           order.covers_remote_proctoring, delivery_mode)
    else:
        fees = legacy_amount(session, year, registration, delivery_mode, result_id)

    return {
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
