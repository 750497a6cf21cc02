"""A billing run: every organization due in a period gets one invoice for what it has not
been billed for yet.

Nothing is billed twice, whatever runs at the same time (two replicas, two operators):
- each organization's exams are claimed by a conditional update (`invoice_id IS NULL`)
  inside the transaction that writes its invoice, so an exam goes on one invoice only;
- that transaction first locks the organizations' rows (`FOR UPDATE`, in id order; on
  SQLite the write lock does the same), so a second run waits, then finds nothing left
  and issues no second invoice;
- an invoice's lines and totals are summed from the exams it claimed, after the claim.
Organizations are billed in batches, one transaction each, so that no transaction holds
the database (or, on SQLite, the hub) for long.

The monthly run bills last month on its own: every replica's timer asks, and the one whose
transaction claims the month's `scheduled_runs` row (with the run's own row) runs it; the
run's last transaction marks the row finished. A run cut short (the process killed) has
billed its finished batches; a replica takes its claim over after MONTHLY_RUN_STALE and
bills the rest (nothing is billed twice).
"""
from datetime import timedelta
from types import SimpleNamespace

import eventlet
from sqlalchemy import and_, case, delete, func, insert, select, update

from services.billing import invoices as views
from services.billing.models import (BillableExam, BillingOrder, BillingOrganization,
                                     BillingRun, Invoice, InvoiceLine)
from services.billing.periods import (FIRST_PERIOD, academic_year_of_span, billing_span,
                                      previous_period, state_funded_span)
from services.common import scheduled

BATCH_SIZE = 100  # organizations per transaction
MONTHLY_RUN = "monthly_billing_run"
# A monthly run claimed this long ago and not finished died with its process (a run of
# 100,000 exams takes seconds); taking over a slow one would only add an empty run.
MONTHLY_RUN_STALE = timedelta(minutes=30)

_exams = BillableExam.__table__


def _unbilled(first_day, last_day):
    return and_(_exams.c.invoice_id.is_(None), _exams.c.void_reason.is_(None),
                _exams.c.test_date >= first_day, _exams.c.test_date <= last_day)


def organizations_due(session, period):
    """Ids of the organizations with unbilled exams that this period's run bills."""
    orgs = BillingOrganization.__table__
    monthly = (select(_exams.c.organization_id).distinct()
               .join(orgs, orgs.c.organization_id == _exams.c.organization_id)
               .where(_unbilled(period.first_day, period.last_day),
                      orgs.c.state_funded.is_(False)))
    due = set(session.scalars(monthly))
    span = state_funded_span(period)
    if span:
        funded = (select(_exams.c.organization_id).distinct()
                  .join(orgs, orgs.c.organization_id == _exams.c.organization_id)
                  .where(_unbilled(*span), orgs.c.state_funded.is_(True)))
        due.update(session.scalars(funded))
    return sorted(due)


def start_run(work, period, now):
    run = BillingRun(period=str(period), started_at=now, invoices_issued=0, exams_billed=0,
                     total_cents=0)
    work.session.add(run)
    work.session.flush()
    return run.id


def bill_organizations(work, run_id, period, organization_ids, today, now):
    """Invoice these organizations (one transaction); returns the invoices issued.

    A handful of set-based statements per batch, whatever its size (the invoices' insert,
    one claim per span, one sum, the lines' insert, one totals update, the events)."""
    session = work.session
    orgs = session.execute(
        select(BillingOrganization.__table__)
        .where(BillingOrganization.organization_id.in_(organization_ids))
        .order_by(BillingOrganization.organization_id).with_for_update()).all()
    drafts = []
    for org in orgs:  # the flag read under the lock decides
        span = billing_span(period, org.state_funded)
        if span is not None:
            drafts.append({
                "run_id": run_id, "organization_id": org.organization_id,
                "organization_name": org.name, "period": str(period),
                "period_start": span[0], "period_end": span[1],
                "academic_year": academic_year_of_span(span[0]), "issued_on": today,
                "exams": 0, "total_cents": 0, "billing_name": org.billing_name,
                "billing_email": org.billing_email, "billing_phone": org.billing_phone,
                "created_at": now})
    if not drafts:
        return []
    invoices_table = Invoice.__table__
    ids = session.execute(insert(invoices_table).returning(invoices_table.c.id,
                                                           sort_by_parameter_order=True),
                          drafts).scalars().all()
    for draft, invoice_id in zip(drafts, ids):
        draft["id"] = invoice_id

    # one claim per span (the month, or a state-funded half-year) for the whole batch: a
    # single set-based statement stays fast whatever plan the database picks (per-row
    # statements on a table without fresh statistics made PostgreSQL scan it per row)
    by_span = {}
    for draft in drafts:
        by_span.setdefault((draft["period_start"], draft["period_end"]), []).append(draft)
    for (first_day, last_day), group in by_span.items():
        session.execute(
            update(_exams)
            .where(_exams.c.organization_id.in_([draft["organization_id"] for draft in group]),
                   _unbilled(first_day, last_day))
            .values(invoice_id=case({draft["organization_id"]: draft["id"] for draft in group},
                                    value=_exams.c.organization_id)))

    sums = session.execute(
        select(_exams.c.invoice_id, _exams.c.order_id, func.count(),
               func.sum(_exams.c.amount_cents))
        .where(_exams.c.organization_id.in_([draft["organization_id"] for draft in drafts]),
               _exams.c.invoice_id.in_(ids))
        .group_by(_exams.c.invoice_id, _exams.c.order_id)).all()
    order_ids = {order_id for _, order_id, _, _ in sums if order_id is not None}
    po_numbers = dict(session.execute(
        select(BillingOrder.order_id, BillingOrder.po_number)
        .where(BillingOrder.order_id.in_(order_ids))).all()) if order_ids else {}

    found = {}
    for invoice_id, order_id, exams, amount in sums:
        found.setdefault(invoice_id, []).append((order_id, exams, int(amount)))
    issued, line_rows, empty = [], [], []
    for draft in drafts:
        lines = found.get(draft["id"])
        if not lines:  # everything was claimed or voided meanwhile: no invoice
            empty.append(draft["id"])
            continue
        lines.sort(key=lambda line: (line[0] is None, line[0] or 0))  # legacy line last
        rows = [{"invoice_id": draft["id"], "line_no": number, "order_id": order_id,
                 "po_number": po_numbers.get(order_id), "exams": exams, "amount_cents": amount}
                for number, (order_id, exams, amount) in enumerate(lines, 1)]
        draft["exams"] = sum(row["exams"] for row in rows)
        draft["total_cents"] = sum(row["amount_cents"] for row in rows)
        line_rows.extend(rows)
        issued.append(views.invoice_view(SimpleNamespace(**draft, emailed_at=None),
                                         [SimpleNamespace(**row) for row in rows]))
    if empty:
        session.execute(delete(invoices_table).where(invoices_table.c.id.in_(empty)))
    if issued:
        session.execute(insert(InvoiceLine.__table__), line_rows)
        totals = {view["id"]: view for view in issued}
        session.execute(
            update(invoices_table).where(invoices_table.c.id.in_(list(totals)))
            .values(exams=case({key: view["exams"] for key, view in totals.items()},
                               value=invoices_table.c.id),
                    total_cents=case({key: view["total_cents"] for key, view in totals.items()},
                                     value=invoices_table.c.id)))
        work.emit_many("invoice_issued", [views.issued_event(view) for view in issued])
    return issued


def finish_run(work, run_id, issued, now):
    run = work.session.get(BillingRun, run_id)
    run.finished_at = now
    run.invoices_issued = len(issued)
    run.exams_billed = sum(invoice["exams"] for invoice in issued)
    run.total_cents = sum(invoice["total_cents"] for invoice in issued)
    return views.run_view(run)


def run_billing(store, clock, period, scheduled_as=None):
    """Bill `period` (already checked to be runnable); returns {"run", "invoices"}.
    `scheduled_as`: the job whose occurrence this run is; None (nothing run) when another
    run had it already."""
    with store.transaction() as work:
        if scheduled_as and not scheduled.claim(work.session, scheduled_as, period,
                                                MONTHLY_RUN_STALE):
            return None
        run_id = start_run(work, period, clock.now())
    with store.reader() as session:
        due = organizations_due(session, period)
    today = clock.today()
    issued = []
    for start in range(0, len(due), BATCH_SIZE):
        with store.transaction() as work:
            issued.extend(bill_organizations(work, run_id, period,
                                             due[start:start + BATCH_SIZE], today, clock.now()))
        eventlet.sleep(0)  # let consumers and other requests in between batches
    with store.transaction() as work:
        run = finish_run(work, run_id, issued, clock.now())
        if scheduled_as:
            scheduled.finish(work.session, scheduled_as, period)
    return {"run": run, "invoices": issued}


def monthly_period_due(session, today):
    """Last month, when its monthly run has not happened yet; else None."""
    period = previous_period(today)
    if period < FIRST_PERIOD or scheduled.is_settled(session, MONTHLY_RUN, period,
                                                     MONTHLY_RUN_STALE):
        return None
    return period


def preview(session, period):
    """What a run of `period` would bill right now, per organization due, with its lines
    (and each order's current PO number); nothing is claimed."""
    orgs = BillingOrganization.__table__
    spans = [((period.first_day, period.last_day), False)]
    if state_funded_span(period):
        spans.append((state_funded_span(period), True))
    due = {}
    for (first_day, last_day), state_funded in spans:
        rows = session.execute(
            select(_exams.c.organization_id, orgs.c.name, _exams.c.order_id, func.count(),
                   func.sum(_exams.c.amount_cents))
            .join(orgs, orgs.c.organization_id == _exams.c.organization_id)
            .where(_unbilled(first_day, last_day), orgs.c.state_funded.is_(state_funded))
            .group_by(_exams.c.organization_id, orgs.c.name, _exams.c.order_id)).all()
        for organization_id, name, order_id, exams, amount in rows:
            entry = due.setdefault(organization_id, {
                "organization_id": organization_id, "organization_name": name,
                "state_funded": state_funded, "period_start": first_day.isoformat(),
                "period_end": last_day.isoformat(), "exams": 0, "amount_cents": 0,
                "lines": []})
            entry["lines"].append({"order_id": order_id, "exams": exams,
                                   "amount_cents": int(amount)})
            entry["exams"] += exams
            entry["amount_cents"] += int(amount)
    order_ids = {line["order_id"] for entry in due.values() for line in entry["lines"]} - {None}
    po_numbers = dict(session.execute(
        select(BillingOrder.order_id, BillingOrder.po_number)
        .where(BillingOrder.order_id.in_(order_ids))).all()) if order_ids else {}
    organizations = [due[key] for key in sorted(due)]
    for entry in organizations:
        entry["lines"].sort(key=lambda line: (line["order_id"] is None, line["order_id"] or 0))
        for line in entry["lines"]:
            line["po_number"] = po_numbers.get(line["order_id"])
    voided = dict(session.execute(
        select(_exams.c.void_reason, func.count())
        .where(_exams.c.void_reason.is_not(None), _exams.c.test_date >= period.first_day,
               _exams.c.test_date <= period.last_day)
        .group_by(_exams.c.void_reason)).all())
    return {"period": str(period), "organizations": organizations,
            "not_billed": voided,  # exams of the month never billed, by reason
            "totals": {"organizations": len(organizations),
                       "exams": sum(entry["exams"] for entry in organizations),
                       "amount_cents": sum(entry["amount_cents"] for entry in organizations)}}
