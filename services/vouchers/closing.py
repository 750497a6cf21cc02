"""The June 30 close of an academic year: tickets not used are cancelled (never billed) and
the year's unused codes expire.

Run by the vouchers timer once the year is over (in the program's time zone) and by
operations. Whoever inserts the year's `year_closures` row closes it, in the same
transaction: two replicas, or two calls, never close a year twice, and a second run
changes nothing.
"""
from sqlalchemy import select, update

from services.common.academic_year import AcademicYear
from services.common.clock import as_utc
from services.common.database import insert_ignoring_duplicates
from services.common.errors import Conflict
from services.vouchers.changes import vouchers_changed
from services.vouchers.models import Registration, Voucher, VoucherBatch, YearClosure


def year_to_close(today):
    """The academic year the close is due for: the last one that has ended."""
    return AcademicYear.containing(today).previous()


def is_over(year, today):
    """A year is over once its June 30 has ended in the program's time zone."""
    return today > year.last_day


def closure_view(closure, already_closed):
    return {"academic_year": closure.academic_year,
            "closed_at": as_utc(closure.closed_at).isoformat(), "closed_by": closure.closed_by,
            "tickets_cancelled": closure.tickets_cancelled,
            "vouchers_expired": closure.vouchers_expired, "already_closed": already_closed}


def is_closed(session, year):
    return session.get(YearClosure, str(year)) is not None


def close_year(work, clock, year, closed_by):
    """Close `year` (an AcademicYear) unless it is already closed; emits one
    `registration_cancelled` per cancelled ticket. 409 while the year is not over."""
    session = work.session
    if not is_over(year, clock.today()):
        raise Conflict("academic_year_not_over",
                       "Academic year {} is not over yet: it closes at the end of {}.".format(
                           year, year.last_day.isoformat()))
    now = clock.now()
    claimed = insert_ignoring_duplicates(session, YearClosure.__table__, [{
        "academic_year": str(year), "closed_at": now, "closed_by": closed_by,
        "tickets_cancelled": 0, "vouchers_expired": 0}])
    if not claimed:  # closed before (or by a replica that got there first)
        return closure_view(session.get(YearClosure, str(year)), already_closed=True)
    batches = select(VoucherBatch.id).where(VoucherBatch.academic_year == str(year))
    tickets = session.execute(
        select(Registration.id, Registration.voucher_code, Registration.organization_id,
               Registration.complete_by, VoucherBatch.order_id)
        .join(VoucherBatch, VoucherBatch.id == Registration.batch_id)
        .where(Registration.academic_year == str(year), Registration.status == "redeemed")
        .order_by(Registration.id)).all()
    if tickets:
        session.execute(update(Registration).where(Registration.academic_year == str(year),
                                                   Registration.status == "redeemed")
                        .values(status="cancelled", cancelled_at=now))
        session.execute(update(Voucher).where(Voucher.batch_id.in_(batches),
                                              Voucher.status == "redeemed")
                        .values(status="cancelled"))
    expired = session.execute(update(Voucher).where(Voucher.batch_id.in_(batches),
                                                    Voucher.status == "unused")
                              .values(status="expired")).rowcount
    announce_cancelled(work, tickets, year)
    vouchers_changed(work, None)
    closure = session.get(YearClosure, str(year))
    closure.tickets_cancelled = len(tickets)
    closure.vouchers_expired = expired
    return closure_view(closure, already_closed=False)


def announce_cancelled(work, tickets, year):
    """One `registration_cancelled` per ticket (rows with id, voucher_code, order_id,
    organization_id, complete_by): billing never bills them."""
    work.emit_many("registration_cancelled", [{
        "registration_id": ticket.id, "voucher_code": ticket.voucher_code,
        "order_id": ticket.order_id, "organization_id": ticket.organization_id,
        "academic_year": str(year), "complete_by": ticket.complete_by.isoformat()}
        for ticket in tickets])
