"""The billing service: bills the exams taken with vouchers, never the unused vouchers.
A timer runs the monthly billing run of last month once it is over.

RPC for the gateway and the CLI: `run_billing`, `preview_billing`, `list_invoices`,
`get_invoice`, `invoices_for_period`, `failed_events`, `replay_failed_events`, `health`.
Consumes `organization_registered`, `organization_updated`, `profile_updated` (access),
`fees_set`, `order_placed`, `po_number_changed` (orders), `voucher_redeemed`,
`registration_cancelled` (vouchers), `exam_recorded` (scores) and its own
`invoice_issued` (to email the invoice). Emits `invoice_issued`.
"""
import logging

from nameko.dependency_providers import Config

from services.billing import billable, copies, handlers, invoices, runs
from services.billing.periods import (Period, PeriodError, PeriodNotOver, previous_period,
                                      runnable_period, started_period)
from services.common import failed_events  # not the class: nameko would run it too
from services.common.academic_year import academic_year_from_input
from services.common.clock import ClockProvider
from services.common.config import public_url
from services.common.database import Database
from services.common.metrics import WorkerMetrics
from services.common.worker_log import WorkerLog
from services.common.probes import Probes
from services.common.errors import Conflict, InvalidInput
from services.common.event_batches import consumes_in_batches
from services.common.events import consumes
from services.common.gc_tuning import RareFullCollections
from services.common.mailer import MailerProvider
from services.common.rpc import rpc
from services.common.scheduled import ConfiguredTimer
from services.common.service_health import check_database

log = logging.getLogger(__name__)

MONTHLY_RUN_CHECK_SECONDS = 300


def _period(text, rule=None, today=None):
    """The period as `rule` allows it today (any well-formed month without one): a 409 for
    a month not over yet, else a 400 naming the field."""
    try:
        return rule(text, today) if rule else Period.parse(text)
    except PeriodNotOver as early:
        raise Conflict("period_not_over", str(early))
    except PeriodError as wrong:
        raise InvalidInput("invalid_period", str(wrong), fields={"period": [str(wrong)]})


class BillingService(failed_events.FailedEventsRpc):
    name = "billing"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request

    db = Database("billing", notices=(invoices.INVOICE_CHANGED,))
    probes = Probes()  # PROBE_ADDRESS: /health/live, /health/ready, /metrics
    metrics = WorkerMetrics()
    worker_log = WorkerLog(quiet=("health",))  # correlation ids, a line per worker
    clock = ClockProvider()
    mailer = MailerProvider()
    config = Config()

    @rpc
    def health(self):
        return check_database(self.db)

    # billing runs and invoices

    @rpc
    def run_billing(self, period=None):
        """Bill a period (`2026-11`; default: last month): one invoice per organization due
        with anything not billed yet. Any month from 2026-07 that is over (409
        period_not_over for the current one); a period run again bills only what was not
        billed. Returns {"run", "invoices"}."""
        today = self.clock.today()
        if period is None:
            period = str(previous_period(today))
        return runs.run_billing(self.db, self.clock, _period(period, runnable_period, today))

    @ConfiguredTimer.decorator("MONTHLY_RUN_CHECK_SECONDS", MONTHLY_RUN_CHECK_SECONDS)
    def run_last_month(self):
        """Every few minutes on every replica: once a month is over, bill it (once: the
        month's scheduled_runs row decides which replica)."""
        with self.db.reader() as session:
            period = runs.monthly_period_due(session, self.clock.today())
        if period is None:
            return
        result = runs.run_billing(self.db, self.clock, period, scheduled_as=runs.MONTHLY_RUN)
        if result is not None:
            log.info("monthly billing run of %s: %s invoices", period,
                     result["run"]["invoices_issued"])

    @rpc
    def preview_billing(self, period):
        """What a run of `period` would bill right now, per organization due (nothing is
        billed): to check before running, and to see that late exams arrived. The current
        month too, though it cannot be run until it is over."""
        period = _period(period, started_period, self.clock.today())
        with self.db.reader() as session:
            return runs.preview(session, period)

    @rpc
    def list_invoices(self, organization_id, academic_year=None):
        """The organization's invoices of one academic year (default: the current one),
        newest first, with their lines."""
        year = (academic_year_from_input(academic_year) if academic_year
                else self.clock.academic_year())
        with self.db.reader() as session:
            return invoices.invoices_of(session, organization_id, year)

    @rpc
    def get_invoice(self, organization_id, invoice_id):
        """One invoice of the organization, with its lines; 404 for another's."""
        with self.db.reader() as session:
            return invoices.invoice_of(session, organization_id, invoice_id)

    @rpc
    def invoices_for_period(self, period):
        """Operations' view of a period: every invoice its runs issued, with totals."""
        with self.db.reader() as session:
            return invoices.invoices_for_period(session, _period(period))

    @rpc
    def academic_years(self, organization_id):
        """The academic years billing has data of for the organization, newest first
        (the gateway authorizes the caller)."""
        with self.db.reader() as session:
            return invoices.academic_years(session, organization_id)

    # billing's copies of other services' facts

    @consumes("access", "organization_registered",
              schema=handlers.schema_of("keep_organization"))
    def keep_organization(self, event):
        """A new organization: its name, state and state-funded flag."""
        handlers.apply_once(self.db, self.clock, "keep_organization", event)

    @consumes("access", "organization_updated",
              schema=handlers.schema_of("keep_updated_organization"))
    def keep_updated_organization(self, event):
        """Operations changed an organization (e.g. flagged it state funded)."""
        handlers.apply_once(self.db, self.clock, "keep_updated_organization", event)

    @consumes("access", "profile_updated",
              schema=handlers.schema_of("keep_billing_contact"))
    def keep_billing_contact(self, event):
        """The billing contact of a completed profile: who receives the invoices."""
        handlers.apply_once(self.db, self.clock, "keep_billing_contact", event)

    @consumes("orders", "fees_set",
              schema=handlers.schema_of("keep_fees"))
    def keep_fees(self, event):
        """A year's fees: what a legacy voucher's exam is billed at."""
        handlers.apply_once(self.db, self.clock, "keep_fees", event)

    @consumes("orders", "order_placed",
              schema=handlers.schema_of("keep_order"))
    def keep_order(self, event):
        """An order's fees, remote-proctoring coverage and PO number."""
        handlers.apply_once(self.db, self.clock, "keep_order", event)

    @consumes("orders", "po_number_changed",
              schema=handlers.schema_of("keep_po_number"))
    def keep_po_number(self, event):
        """The order's current PO number, for the next invoice."""
        handlers.apply_once(self.db, self.clock, "keep_po_number", event)

    @consumes_in_batches("vouchers", "voucher_redeemed",
                         schema=handlers.schema_of("keep_registration"))
    def keep_registration(self, work, events):
        """Registration tickets: which order and organization a code's exam bills (a batch
        of them in one statement)."""
        copies.keep_registrations(work.session, events, self.clock.now())

    @consumes("vouchers", "registration_cancelled",
              schema=handlers.schema_of("cancel_registration"))
    def cancel_registration(self, event):
        """A cancelled ticket is never billed (an unbilled exam on it is voided)."""
        handlers.apply_once(self.db, self.clock, "cancel_registration", event)

    @consumes_in_batches("scores", "exam_recorded", schema=handlers.schema_of("record_exam"))
    def record_exam(self, work, events):
        """Exams taken with vouchers become billable items, one per result (a batch of
        them in a handful of statements)."""
        billable.record_exams(work.session, events, self.clock.now())

    # the invoice email

    @consumes("billing", "invoice_issued")
    def email_invoice(self, event):
        """Email a new invoice to the organization's billing contact, once."""
        with self.db.transaction() as work:
            invoice = invoices.claim_email(work, int(event["invoice_id"]), self.clock.now())
        if invoice is None:
            return  # sent already (a redelivery, a replay)
        subject, body = invoices.invoice_email(invoice, public_url(self.config))
        try:  # outside the transaction: SMTP yields to the hub
            self.mailer.send(invoice["billing_contact"]["email"], subject, body)
        except Exception as failure:
            with self.db.transaction() as work:
                invoices.release_email(work, invoice["id"], failure)
            raise
