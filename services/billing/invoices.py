"""Reading invoices: the portal's list per academic year, one invoice, operations' view of
a period, and the invoice email (sent once per invoice, whoever else tries)."""
from datetime import timezone

from sqlalchemy import select, union, update

from services.billing.models import (BillableExam, BillingOrder, BillingOrganization,
                                     BillingRegistration, BillingRun, Invoice, InvoiceLine)
from services.common.clock import as_utc
from services.common.errors import NotFound


class NoBillingContact(LookupError):
    """The organization has no billing contact yet: the invoice cannot be emailed."""


def _timestamp(moment):
    return as_utc(moment).astimezone(timezone.utc).isoformat() if moment else None


def line_view(line):
    return {"order_id": line.order_id, "po_number": line.po_number, "exams": line.exams,
            "amount_cents": int(line.amount_cents)}


def invoice_view(invoice, lines):
    return {
        "id": invoice.id, "organization_id": invoice.organization_id,
        "organization_name": invoice.organization_name, "period": invoice.period,
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "academic_year": invoice.academic_year, "issued_on": invoice.issued_on.isoformat(),
        "exams": invoice.exams, "total_cents": int(invoice.total_cents),
        "billing_contact": {"name": invoice.billing_name, "email": invoice.billing_email,
                            "phone": invoice.billing_phone},
        "emailed_at": _timestamp(invoice.emailed_at), "run_id": invoice.run_id,
        "lines": [line_view(line) for line in lines],
    }


def issued_event(view):
    """The `invoice_issued` payload (docs/EVENTS.md)."""
    return {"invoice_id": view["id"], "organization_id": view["organization_id"],
            "period": view["period"], "period_start": view["period_start"],
            "period_end": view["period_end"], "issued_on": view["issued_on"],
            "exams": view["exams"], "total_cents": view["total_cents"]}


def run_view(run):
    return {"id": run.id, "period": run.period, "started_at": _timestamp(run.started_at),
            "finished_at": _timestamp(run.finished_at), "invoices_issued": run.invoices_issued,
            "exams_billed": run.exams_billed, "total_cents": int(run.total_cents)}


def _with_lines(session, invoices):
    if not invoices:
        return []
    lines = {}
    for line in session.scalars(select(InvoiceLine).where(
            InvoiceLine.invoice_id.in_([invoice.id for invoice in invoices]))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.line_no)):
        lines.setdefault(line.invoice_id, []).append(line)
    return [invoice_view(invoice, lines.get(invoice.id, [])) for invoice in invoices]


def invoices_of(session, organization_id, academic_year):
    """The organization's invoices of one academic year, newest first, with their lines."""
    found = session.scalars(select(Invoice).where(
        Invoice.organization_id == organization_id,
        Invoice.academic_year == str(academic_year))
        .order_by(Invoice.period_end.desc(), Invoice.id.desc())).all()
    return _with_lines(session, found)


def invoice_of(session, organization_id, invoice_id):
    invoice = session.get(Invoice, invoice_id) if isinstance(invoice_id, int) else None
    if invoice is None or invoice.organization_id != organization_id:
        raise NotFound("invoice_not_found", "No such invoice.")
    return _with_lines(session, [invoice])[0]


def invoices_for_period(session, period):
    """Operations' view: every invoice issued by the runs of a period, with totals."""
    found = session.scalars(select(Invoice).where(Invoice.period == str(period))
                            .order_by(Invoice.organization_id, Invoice.id)).all()
    invoices = _with_lines(session, found)
    runs = session.scalars(select(BillingRun).where(BillingRun.period == str(period))
                           .order_by(BillingRun.id)).all()
    return {
        "period": str(period),
        "invoices": invoices,
        "totals": {"invoices": len(invoices),
                   "organizations": len({invoice["organization_id"] for invoice in invoices}),
                   "exams": sum(invoice["exams"] for invoice in invoices),
                   "total_cents": sum(invoice["total_cents"] for invoice in invoices),
                   "not_emailed": sum(1 for invoice in invoices if not invoice["emailed_at"])},
        "runs": [run_view(run) for run in runs],
    }


# --- the invoice email ---------------------------------------------------------------

# a notice for the gateways' caches: an invoice's view changed (emailed, or not after all)
INVOICE_CHANGED = "invoice_changed"


def claim_email(work, invoice_id, now):
    """Mark the invoice as being emailed, if nobody has; returns its view, or None.

    The conditional update is what makes a redelivered or replayed `invoice_issued` send
    nothing twice. The contact is the one on the invoice, else the organization's current
    one (a profile completed after the invoice was issued)."""
    session = work.session
    claimed = session.execute(update(Invoice).where(
        Invoice.id == invoice_id, Invoice.emailed_at.is_(None))
        .values(emailed_at=now, email_error=None)).rowcount
    if not claimed:
        return None
    invoice = session.get(Invoice, invoice_id)
    work.emit(INVOICE_CHANGED, {"organization_id": invoice.organization_id,
                                "invoice_id": invoice_id})
    if not invoice.billing_email:
        org = session.get(BillingOrganization, invoice.organization_id)
        if org is None or not org.billing_email:
            raise NoBillingContact("invoice {}: organization {} has no billing contact yet"
                                   .format(invoice_id, invoice.organization_id))
        invoice.billing_name, invoice.billing_email, invoice.billing_phone = (
            org.billing_name, org.billing_email, org.billing_phone)
    return _with_lines(session, [invoice])[0]


def release_email(work, invoice_id, error):
    """The email did not go out: let a replay of the event try again."""
    organization_id = work.session.execute(
        update(Invoice).where(Invoice.id == invoice_id)
        .values(emailed_at=None, email_error=str(error)[:500])
        .returning(Invoice.organization_id)).scalar_one()
    work.emit(INVOICE_CHANGED, {"organization_id": organization_id, "invoice_id": invoice_id})


def dollars(cents):
    return "${:,.2f}".format(cents / 100)


def invoice_email(invoice, portal_url):
    """(subject, body) of the invoice sent to the billing contact; the link opens the
    organization's invoices of the invoice's academic year in the portal (`portal_url`:
    PUBLIC_URL)."""
    subject = "CLEP invoice {} for {} ({} to {})".format(
        invoice["id"], invoice["organization_name"] or "your organization",
        invoice["period_start"], invoice["period_end"])
    rows = ["{:<12} {:<30} {:>6} {:>14}".format("Order", "PO number", "Exams", "Amount")]
    for line in invoice["lines"]:
        rows.append("{:<12} {:<30} {:>6} {:>14}".format(
            str(line["order_id"]) if line["order_id"] is not None else "legacy",
            (line["po_number"] or "-")[:30], line["exams"], dollars(line["amount_cents"])))
    contact = invoice["billing_contact"]
    body = "\n".join([
        "Dear {},".format(contact["name"] or "billing contact"),
        "",
        "This is the CLEP invoice of {} for the exams taken with its vouchers from {} to {}."
        .format(invoice["organization_name"] or "your organization", invoice["period_start"],
                invoice["period_end"]),
        "You are billed only for exams taken; unused vouchers are never billed.",
        "",
        "Invoice: {}".format(invoice["id"]),
        "Issued on: {}".format(invoice["issued_on"]),
        "",
        *rows,
        "",
        "Total: {} for {:,} exam{}".format(dollars(invoice["total_cents"]), invoice["exams"],
                                          "" if invoice["exams"] == 1 else "s"),
        "",
        "The invoice and its lines are in the portal, under Invoices, and can be "
        "downloaded as CSV:",
        "{}/organizations/{}/invoices?academic_year={}".format(
            portal_url, invoice["organization_id"], invoice["academic_year"]),
    ])
    return subject, body


def academic_years(session, organization_id):
    """The academic years billing has the organization's orders, tickets (legacy codes'
    too), billable exams or invoices in, newest first."""
    years = session.scalars(union(*(
        select(table.academic_year).where(table.organization_id == organization_id)
        for table in (BillingOrder, BillingRegistration, BillableExam, Invoice)))).all()
    return sorted({year for year in years if year}, reverse=True)
