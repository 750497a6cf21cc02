"""The vouchers service: voucher codes, their generation, and their life.

Scale it by running more processes: every process consumes the same chunk queue.
RPC: `csv_page`, `usage`, `legacy_usage`, `usage_summary`, `voucher`, `assign_voucher`,
`unassign_voucher`, `assign_next_vouchers`, `upload_assignments`, `email_voucher`,
`email_vouchers`, `redeem_vouchers`, `import_legacy_vouchers`, `close_academic_year`.
Consumes `order_placed` (orders), `exam_recorded` (scores) and its own
`generation_chunk_queued`, `voucher_email_requested` and `expiry_reminder_due`; emits
`generation_chunk_queued`, `voucher_email_requested`, `expiry_reminder_due`,
`voucher_chunk_generated`, `vouchers_generated`,
`voucher_redeemed`, `registration_cancelled` and the gateways' notice `vouchers_changed`.
Timers close each academic year once its June 30 is over, cancel each day the tickets
whose complete_by has passed, and remind coordinators of codes left before they expire
(consuming access's `profile_updated` for the coordinator on file).
"""
import logging

from nameko.dependency_providers import Config

from services.common import failed_events  # not the class: nameko would run it too
from services.common.academic_year import academic_year_from_input
from services.common.clock import ClockProvider
from services.common.config import public_url
from services.common.database import Database
from services.common.metrics import WorkerMetrics
from services.common.worker_log import WorkerLog
from services.common.probes import Probes
from services.common.event_batches import consumes_in_batches
from services.common.events import consumes
from services.common.gc_tuning import RareFullCollections
from services.common.mailer import MailerProvider
from services.common.rpc import rpc
from services.common.scheduled import ConfiguredTimer
from services.common.service_health import check_database
from services.vouchers import event_schemas as events_in
from services.vouchers import (assignment_csv, assignments, closing, code_mail, figures,
                               generation, legacy, listing, overdue_tickets, redemption)
from services.vouchers.changes import VOUCHERS_CHANGED, vouchers_changed
from services.vouchers.work_queue import chunk_handler
from services.vouchers import expiry_reminders

log = logging.getLogger(__name__)

YEAR_CLOSE_CHECK_SECONDS = 300
OVERDUE_TICKETS_CHECK_SECONDS = 300
EXPIRY_REMINDER_CHECK_SECONDS = 300


class VouchersService(failed_events.FailedEventsRpc):
    name = "vouchers"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request

    db = Database("vouchers", notices=(VOUCHERS_CHANGED,), packed=(redemption.VOUCHER_REDEEMED,))
    probes = Probes()  # PROBE_ADDRESS: /health/live, /health/ready, /metrics
    metrics = WorkerMetrics()
    worker_log = WorkerLog(quiet=("health",))  # correlation ids, a line per worker
    chunk_queue = figures.ChunkQueueFigures()  # the chunk queue's depth, read when scraped
    clock = ClockProvider()
    config = Config()
    mailer = MailerProvider()  # a code mailed to its student, when the coordinator asks
    reminder_days = expiry_reminders.Thresholds()  # EXPIRY_REMINDER_DAYS, read at start

    @rpc
    def health(self):
        """Answers "ok" when the service and its database answer."""
        return check_database(self.db)

    # generation

    @consumes("orders", "order_placed", schema=events_in.OrderPlaced)
    def plan_generation(self, event):
        """Split the order into chunk tasks on the shared work queue."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "plan_generation"):
                generation.plan_generation(work, self.clock, event)

    @consumes("vouchers", "generation_chunk_queued", schema=events_in.GenerationChunkQueued,
              entrypoint=chunk_handler)
    def generate_chunk(self, event):
        """Make one chunk of codes; the last chunk emits `vouchers_generated`."""
        made = generation.generate_chunk(self.db, self.clock, event["batch_id"],
                                         event["chunk_no"], event.get("size"))
        figures.VOUCHERS_GENERATED.inc(made)

    # the buyer's view

    @rpc
    def csv_page(self, organization_id, order_id, after_code=None, limit=listing.MAX_PAGE):
        """One page of an order's codes for the CSV download, in code order."""
        with self.db.reader() as session:
            return listing.csv_page(session, organization_id, order_id, after_code, limit,
                                    self.clock.today())

    @rpc
    def usage(self, organization_id, order_id, status=None, page=1, per_page=100,
              student=None):
        """How many of the order's codes are unused, assigned, redeemed, used, cancelled,
        expired, and one page of them (of a status, or given to a student matching
        `student`: words of the name or email)."""
        with self.db.reader() as session:
            return listing.usage(session, organization_id, order_id, status, page, per_page,
                                 self.clock.today(), student)

    # giving codes out to students

    @rpc
    def voucher(self, organization_id, order_id, voucher_code):
        """One code of the order: {voucher_code, status, assignment}."""
        with self.db.reader() as session:
            return assignments.code_assignment(session, self.clock, organization_id,
                                               order_id, voucher_code)

    @rpc
    def assign_voucher(self, organization_id, order_id, voucher_code, student):
        """Give one unused code to a student ({student_name, student_email, given_out_on}),
        or to another one; returns {voucher_code, status, assignment}."""
        with self.db.transaction() as work:
            return assignments.assign_one(work, self.clock, organization_id, order_id,
                                          voucher_code, student)

    @rpc
    def unassign_voucher(self, organization_id, order_id, voucher_code):
        """Take an unused code back from its student."""
        with self.db.transaction() as work:
            return assignments.unassign(work, self.clock, organization_id, order_id,
                                        voucher_code)

    @rpc
    def assign_next_vouchers(self, organization_id, order_id, request):
        """Give the next unused codes not given out yet to the students listed
        ({students: [{student_name, student_email}], given_out_on}), one each."""
        with self.db.transaction() as work:
            return assignments.assign_next(work, self.clock, organization_id, order_id,
                                           request)

    @rpc
    def email_vouchers(self, organization_id, order_id, voucher_codes):
        """Mail each code (given out, with an email, unused) to its student, on the
        coordinator's request: all of them, or none (400 `invalid_rows`)."""
        with self.db.transaction() as work:
            return code_mail.request_mail(work, self.clock, organization_id, order_id,
                                          voucher_codes)

    @rpc
    def email_voucher(self, organization_id, order_id, voucher_code):
        """Mail one code to its student (404 voucher_not_found, 409 voucher_not_mailable)."""
        with self.db.transaction() as work:
            return code_mail.request_one(work, self.clock, organization_id, order_id,
                                         voucher_code)

    @consumes("vouchers", code_mail.VOUCHER_EMAIL_REQUESTED,
              schema=events_in.VoucherEmailRequested)
    def mail_voucher_code(self, event):
        """A requested mail of a code to its student: handled once (recorded before it is
        sent: a mail lost to a crash is logged, never sent twice), after the commit."""
        with self.db.transaction() as work:
            if not work.first_delivery(event["event_id"], "mail_voucher_code"):
                return
            mail = code_mail.mail_of(work.session, self.clock, event)
        if mail is None:
            log.info("voucher code mail not sent: the code was taken back, given to another "
                     "address or redeemed since it was asked for")
            return
        try:  # after the commit: SMTP may yield, never inside a unit of work
            self.mailer.send(*mail)
        except Exception:
            log.exception("voucher code mail for order %s not sent", event["order_id"])
            return
        with self.db.transaction() as work:
            code_mail.record_mailed(work, self.clock, event)
            vouchers_changed(work, event["organization_id"])

    @rpc
    def upload_assignments(self, organization_id, order_id, csv_text):
        """The order's vouchers CSV with its student columns filled: every row applied, or
        none (InvalidInput `invalid_rows` lists each row's problem)."""
        # parsed before the unit of work opens
        rows, errors = assignment_csv.read_rows(csv_text)
        with self.db.transaction() as work:
            return assignments.apply(work, self.clock, organization_id, order_id, rows,
                                     "file's rows", errors)

    @rpc
    def legacy_usage(self, organization_id, academic_year=None, status=None, page=1,
                     per_page=100):
        """The organization's legacy codes of one academic year (default: the current one):
        how many are unused, redeemed, used, cancelled, expired, and one page of them."""
        year = (academic_year_from_input(academic_year) if academic_year
                else self.clock.academic_year())
        with self.db.reader() as session:
            return listing.legacy_usage(session, organization_id, year, status, page, per_page,
                                        self.clock.today())

    @rpc
    def usage_summary(self, organization_id, academic_year=None):
        """The organization's codes of one academic year (default: the current one), for
        the portal's summary: {academic_year, orders, ordered, counts by status}."""
        year = (academic_year_from_input(academic_year) if academic_year
                else self.clock.academic_year())
        with self.db.reader() as session:
            return listing.usage_summary(session, organization_id, year, self.clock.today())

    # redemption and the life of a code

    @rpc
    def redeem_vouchers(self, redemptions):
        """The registration system redeems codes: a registration ticket and
        `voucher_redeemed` each. `redemptions` is a list of {client, voucher_code, student,
        exam} (the gateway sends those that arrive while its earlier calls are in flight
        together); the answer, in the same order, is {"ticket": ...} or {"error": ...} (a
        domain error as nameko serialises it) each: 404 unknown_voucher (counted against
        `client`, the partner: its unknown codes get 429 after too many; its valid codes
        never do), 409 voucher_already_redeemed, 410 voucher_expired.
        """
        return redemption.redeem_many(self.db, self.clock, redemptions)

    @consumes_in_batches("scores", "exam_recorded", schema=events_in.ExamRecorded)
    def mark_used(self, work, events):
        """Exams were taken with codes: each code (and its ticket) is `used`. Many exams
        per unit of work, in two statements (services/common/event_batches.py)."""
        for organization_id in redemption.record_exams(work.session, self.clock.now(), events):
            vouchers_changed(work, organization_id)

    @rpc
    def import_legacy_vouchers(self, organization_id, academic_year, voucher_codes,
                               covers_remote_proctoring=False):
        """Operations imports pre-portal codes for an organization and year, as one batch.

        Returns {"imported", "duplicates", "rejected", ...}; a code already stored is never
        imported twice.
        """
        with self.db.transaction() as work:
            return legacy.import_codes(work, self.clock, organization_id, academic_year,
                                       voucher_codes, covers_remote_proctoring)

    # the June 30 close

    @rpc
    def close_academic_year(self, academic_year):
        """Operations closes a year that is over: unused tickets cancelled, unused codes
        expired. Closing it again changes nothing (`already_closed` is true)."""
        year = academic_year_from_input(academic_year)
        with self.db.transaction() as work:
            return closing.close_year(work, self.clock, year, "operations")

    @ConfiguredTimer.decorator("YEAR_CLOSE_CHECK_SECONDS", YEAR_CLOSE_CHECK_SECONDS)
    def close_ended_year(self):
        """Every few minutes on every replica: close the last academic year once its June 30
        is over in the program's time zone. The year_closures row makes it happen once."""
        year = closing.year_to_close(self.clock.today())
        with self.db.reader() as session:
            if closing.is_closed(session, year):
                return
        with self.db.transaction() as work:
            closed = closing.close_year(work, self.clock, year, "timer")
        if not closed["already_closed"]:
            log.info("closed academic year %s: %s tickets cancelled, %s vouchers expired",
                     year, closed["tickets_cancelled"], closed["vouchers_expired"])

    @ConfiguredTimer.decorator("OVERDUE_TICKETS_CHECK_SECONDS", OVERDUE_TICKETS_CHECK_SECONDS)
    def cancel_overdue_tickets(self):
        """Every few minutes on every replica: once a day, cancel the tickets whose
        complete_by has passed (the day's scheduled_runs row makes it happen once)."""
        with self.db.reader() as session:
            if overdue_tickets.is_done_today(session, self.clock.today()):
                return
        with self.db.transaction() as work:
            cancelled = overdue_tickets.cancel_overdue_tickets(work, self.clock)
        if cancelled:
            log.info("cancelled %s tickets not used by their complete_by day", cancelled)

    # reminders before an order's codes expire

    @consumes("access", "profile_updated", schema=events_in.ProfileUpdated)
    def keep_coordinator(self, event):
        """Keep the coordinator on file, who gets the reminders, and whether they want them."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "keep_coordinator"):
                expiry_reminders.keep_coordinator(work.session, self.clock.now(), event)

    @ConfiguredTimer.decorator("EXPIRY_REMINDER_CHECK_SECONDS", EXPIRY_REMINDER_CHECK_SECONDS)
    def decide_expiry_reminders(self):
        """Every few minutes on every replica: decide the reminders due today
        (EXPIRY_REMINDER_DAYS before an order's codes expire). Each reminder's row, inserted
        by the one transaction that decides it, makes it go out once; that transaction
        writes one `expiry_reminder_due` per reminder, each mailed by `send_expiry_reminder`
        on whichever process takes it."""
        with self.db.reader() as session:  # most checks find nothing: no write transaction
            due = expiry_reminders.due_reminders(session, self.clock.today(),
                                                 self.reminder_days)
        if not due:
            return
        with self.db.transaction() as work:
            expiry_reminders.claim_due(work, self.clock, self.reminder_days)

    @consumes("vouchers", expiry_reminders.EXPIRY_REMINDER_DUE,
              schema=events_in.ExpiryReminderDue, entrypoint=expiry_reminders.reminder_handler)
    def send_expiry_reminder(self, event):
        """A reminder decided by the timer, one at a time per process: handled once
        (recorded before it is sent: a mail lost to a crash is logged, never sent twice),
        after the commit, if it is still to be sent (not sent yet, the coordinator wants
        it, codes are left unused and unassigned)."""
        with self.db.transaction() as work:
            if not work.first_delivery(event["event_id"], "send_expiry_reminder"):
                return
            reminder = expiry_reminders.reminder_to_send(work, self.clock, event)
        if reminder is None:
            log.info("reminder of order %s's codes (%s days before they expire) not sent: "
                     "sent already, past expiry, turned off or nothing left to give out",
                     event["order_id"], event["threshold_days"])
            return
        try:  # after the commit: SMTP may yield, never inside a unit of work
            self.mailer.send(*expiry_reminders.mail(reminder, public_url(self.config)))
        except Exception:
            log.exception("reminder of order %s's codes (%s days before they expire) "
                          "not sent", reminder.order_id, reminder.threshold)
            return
        with self.db.transaction() as work:
            expiry_reminders.record_sent(work, self.clock, reminder)
        log.info("reminded the coordinator of organization %s: %s codes of order %s "
                 "unused, %s days before they expire", reminder.organization_id,
                 reminder.unused, reminder.order_id, reminder.threshold)
