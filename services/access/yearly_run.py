"""The yearly issue of access codes, and the record of who ordered that it reads.

Before July 1 operations issues next year's codes to every organization that ordered
vouchers in the two academic years before it (for 2027-28: in 2026-27 or 2025-26), and
mails each code to the coordinator on file. Who ordered is learnt from the orders
service's `order_placed` events (`record_order`), never from its tables.

A run is started by `start_run` (one unit of work that records it and emits
`access_code_run_requested`, the access service's own work queue) and carried out by
`carry_out`, in short batches. It is safe to repeat: an organization whose code was mailed
for that year is never mailed again by a run, so running the same year again (after a
crash, a mail server that was away, or new orders) mails only the ones not reached yet.
While a run of a year is going, starting another of the same year returns the running one:
two replicas never run the same year at once.
"""
from datetime import datetime

import eventlet
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from services.access import organizations
from services.access.models import (AccessCodeMailing, AccessCodeRun, Organization,
                                    OrderingOrganization)
from services.access.notifications import send_access_code
from services.common.academic_year import AcademicYear, academic_year_from_input
from services.common.clock import as_utc
from services.common.database import insert_ignoring_duplicates
from services.common.errors import Conflict, InvalidInput, NotFound

BATCH = 100
ORDER_YEARS = 2  # ordered in either of the two academic years before the codes' year


def record_order(work, event):
    """`order_placed`: remember that the organization ordered in that academic year."""
    placed_at = event.get("placed_at")
    insert_ignoring_duplicates(work.session, OrderingOrganization.__table__, [{
        "organization_id": int(event["organization_id"]),
        "academic_year": str(AcademicYear.parse(event["academic_year"])),
        "first_order_id": int(event["id"]),
        "first_ordered_at": as_utc(_timestamp(placed_at)),
    }])


def _timestamp(text):
    return datetime.fromisoformat(text) if isinstance(text, str) else text


def order_years(year):
    return [str(year.previous(n)) for n in range(1, ORDER_YEARS + 1)]


def check_year(clock, academic_year):
    """Codes are issued for the current academic year or the next one."""
    year = academic_year_from_input(academic_year)
    current = clock.academic_year()
    if year not in (current, current.next()):
        raise InvalidInput(fields={"academic_year": [
            "A run issues the codes of {} or {}.".format(current, current.next())]})
    return year


def start_run(work, clock, academic_year):
    """Returns (run view, started): the running run of that year if there is one."""
    year = check_year(clock, academic_year)
    running = work.session.scalar(select(AccessCodeRun).where(
        AccessCodeRun.active_year == str(year)))
    if running is not None:
        return run_view(work.session, running), False
    run = AccessCodeRun(academic_year=str(year), active_year=str(year), status="running",
                        requested_at=clock.now(), organizations=0, codes_issued=0, mailed=0)
    work.session.add(run)
    try:
        work.session.flush()  # the unique active_year: a racing replica's run wins
    except IntegrityError:
        raise Conflict("run_already_running", "A run of {} is already going.".format(year))
    work.emit("access_code_run_requested", {"run_id": run.id, "academic_year": str(year)})
    return run_view(work.session, run), True


def get_run(session, run_id):
    run = session.get(AccessCodeRun, run_id) if isinstance(run_id, int) else None
    if run is None:
        raise NotFound("run_not_found", "No such access-code run.")
    return run_view(session, run)


def run_view(session, run):
    mailings = session.execute(
        select(AccessCodeMailing.status, AccessCodeMailing.organization_id)
        .where(AccessCodeMailing.run_id == run.id)
        .order_by(AccessCodeMailing.organization_id)).all()
    return {"id": run.id, "academic_year": run.academic_year, "status": run.status,
            "requested_at": as_utc(run.requested_at).isoformat(),
            "finished_at": as_utc(run.finished_at).isoformat() if run.finished_at else None,
            "ordered_in": order_years(AcademicYear.parse(run.academic_year)),
            "organizations": run.organizations, "codes_issued": run.codes_issued,
            "mailed": sum(1 for status, _ in mailings if status == "sent"),
            "no_contact": [org for status, org in mailings if status == "no_contact"],
            "mail_failed": [org for status, org in mailings if status == "failed"],
            "error": run.error}


def _due(session, year):
    """Organizations that ordered in the years before `year` and were not mailed its code."""
    mailed = select(AccessCodeMailing.organization_id).where(
        AccessCodeMailing.academic_year == str(year), AccessCodeMailing.status == "sent")
    return list(session.scalars(
        select(OrderingOrganization.organization_id).distinct()
        .join(Organization, Organization.id == OrderingOrganization.organization_id)
        .where(OrderingOrganization.academic_year.in_(order_years(year)),
               OrderingOrganization.organization_id.not_in(mailed))
        .order_by(OrderingOrganization.organization_id)))


def carry_out(store, clock, mailer, run_id, portal_url):
    """Issue and mail, a batch of organizations per unit of work; finish the run.
    `portal_url` (PUBLIC_URL) is the base of the link in each mail."""
    with store.reader() as session:
        run = session.get(AccessCodeRun, run_id)
        if run is None or run.status != "running":
            return  # a redelivery of a run already finished
        year = AcademicYear.parse(run.academic_year)
        due = _due(session, year)
    with store.transaction() as work:
        # a run that goes on after a crash covers what it mailed before, and what is left
        work.session.execute(update(AccessCodeRun).where(AccessCodeRun.id == run_id).values(
            organizations=_mailed_by(work.session, run_id) + len(due)))
    for start in range(0, len(due), BATCH):
        issued_batch = []
        with store.transaction() as work:
            for organization_id in due[start:start + BATCH]:
                issued, contact = organizations.issue_access_code(
                    work, clock, organization_id, year)
                issued_batch.append((organization_id, issued, contact))
            created = sum(1 for _, issued, _ in issued_batch if issued["created"])
            work.session.execute(update(AccessCodeRun).where(AccessCodeRun.id == run_id)
                                 .values(codes_issued=AccessCodeRun.codes_issued + created))
        for organization_id, issued, contact in issued_batch:
            if not contact:
                status = "no_contact"
            else:
                sent = send_access_code(mailer, contact, issued, portal_url)
                status = "sent" if sent else "failed"
            # recorded as soon as it is sent: after a crash, only the mail in flight can
            # go out again, not every mail of the batch
            with store.transaction() as work:
                _record_mailing(work.session, clock, run_id, organization_id, str(year),
                                status, contact)
        eventlet.sleep(0)  # a long run never keeps the hub from the service's other work
    with store.transaction() as work:
        work.session.execute(update(AccessCodeRun).where(AccessCodeRun.id == run_id).values(
            status="finished", active_year=None, finished_at=clock.now(),
            mailed=_mailed_by(work.session, run_id)))


def _mailed_by(session, run_id):
    return session.scalar(select(func.count()).select_from(AccessCodeMailing).where(
        AccessCodeMailing.run_id == run_id, AccessCodeMailing.status == "sent"))


def is_transient(error):
    """The database was away: the run's message is requeued and it goes on from there."""
    return isinstance(error, OperationalError)


def fail_run(store, clock, run_id, error):
    """A run that cannot go on gives its year back, so that it can be started again."""
    with store.transaction() as work:
        work.session.execute(update(AccessCodeRun).where(AccessCodeRun.id == run_id).values(
            status="failed", active_year=None, finished_at=clock.now(), error=error[:2000]))


def _record_mailing(session, clock, run_id, organization_id, year, status, email):
    mailing = session.get(AccessCodeMailing, (organization_id, year))
    if mailing is None:
        mailing = AccessCodeMailing(organization_id=organization_id, academic_year=year)
        session.add(mailing)
    mailing.run_id = run_id
    mailing.status = status
    mailing.email = email
    mailing.error = "no coordinator on file" if status == "no_contact" else (
        "the mail server did not take it" if status == "failed" else None)
    mailing.updated_at = clock.now()
