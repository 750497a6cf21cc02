"""Tickets not used by their `complete_by` day are cancelled the day after it, not at the
June 30 close: a ticket redeemed in August must be used by February (six months), and its
code is then shown as cancelled and never billed.

Run by the vouchers timer on every replica, once a day: the day's `scheduled_runs` row is
the guard, claimed in the transaction that cancels. Only tickets of the current academic
year: those due on June 30 are the close's, and the close of an earlier year takes what is
left of it.
"""
from types import SimpleNamespace

from sqlalchemy import select, update

from services.common import scheduled
from services.vouchers.closing import announce_cancelled
from services.vouchers.models import Registration, Voucher, VoucherBatch

JOB = "cancel_overdue_tickets"


def is_done_today(session, today):
    return scheduled.is_settled(session, JOB, today.isoformat())


def cancel_overdue_tickets(work, clock):
    """Cancel the current year's tickets whose complete_by has passed, once a day; returns
    how many were cancelled, or None when another run had the day already."""
    session, today, now = work.session, clock.today(), clock.now()
    if not scheduled.claim(session, JOB, today.isoformat()):
        return None
    scheduled.finish(session, JOB, today.isoformat())  # one transaction: done if it commits
    year = str(clock.academic_year())
    registrations = Registration.__table__
    tickets = session.execute(
        update(registrations)
        .where(registrations.c.academic_year == year, registrations.c.status == "redeemed",
               registrations.c.complete_by < today)
        .values(status="cancelled", cancelled_at=now)
        .returning(registrations.c.id, registrations.c.voucher_code,
                   registrations.c.organization_id, registrations.c.batch_id,
                   registrations.c.complete_by)).all()
    if not tickets:
        return 0
    codes = [ticket.voucher_code for ticket in tickets]
    session.execute(update(Voucher).where(Voucher.code.in_(codes), Voucher.status == "redeemed")
                    .values(status="cancelled"))
    orders = dict(session.execute(select(VoucherBatch.id, VoucherBatch.order_id).where(
        VoucherBatch.id.in_({ticket.batch_id for ticket in tickets}))).all())
    announce_cancelled(work, [
        SimpleNamespace(id=ticket.id, voucher_code=ticket.voucher_code,
                        order_id=orders.get(ticket.batch_id),
                        organization_id=ticket.organization_id, complete_by=ticket.complete_by)
        for ticket in sorted(tickets, key=lambda ticket: ticket.id)], year)
    return len(tickets)
