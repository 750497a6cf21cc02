"""The orders service: fees, voucher orders and their history.

RPC for the gateway and the CLI; emits `fees_set`, `order_placed`, `po_number_changed`
and the gateways' notice `order_changed`;
consumes `vouchers_generated` and `voucher_chunk_generated` (vouchers), `profile_updated`
(access) and its own `order_placed` (to mail the confirmation after the order commits).
"""
import logging

from nameko.dependency_providers import Config
from sqlalchemy.exc import IntegrityError

from services.common import failed_events  # not the class: nameko would run it too
from services.common.academic_year import AcademicYear
from services.common.clock import ClockProvider
from services.common.config import public_url
from services.common.database import Database
from services.common.metrics import WorkerMetrics
from services.common.worker_log import WorkerLog
from services.common.probes import Probes
from services.common.events import consumes
from services.common.gc_tuning import RareFullCollections
from services.common.mailer import MailerProvider
from services.common.rpc import rpc
from services.common.service_health import check_database
from services.orders import event_schemas as events_in
from services.orders import ordering
from services.orders.models import Order, OrganizationContact
from services.orders.notifications import order_confirmation
from services.orders.terms import BULK_PURCHASE_TERMS

log = logging.getLogger(__name__)


class OrdersService(failed_events.FailedEventsRpc):
    name = "orders"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request

    db = Database("orders", notices=(ordering.ORDER_CHANGED,))
    probes = Probes()  # PROBE_ADDRESS: /health/live, /health/ready, /metrics
    metrics = WorkerMetrics()
    worker_log = WorkerLog(quiet=("health",))  # correlation ids, a line per worker
    clock = ClockProvider()
    mailer = MailerProvider()
    config = Config()

    @rpc
    def health(self):
        """Answers "ok" when the service and its database answer."""
        return check_database(self.db)

    @rpc
    def bulk_purchase_terms(self):
        """The bulk-purchase terms accepted with every order."""
        return dict(BULK_PURCHASE_TERMS)

    @rpc
    def set_fees(self, academic_year, exam_fee_cents, remote_proctoring_fee_cents,
                 only_if_unset=False):
        """Operations sets a year's fees; orders already placed keep theirs. Emits `fees_set`.
        `only_if_unset`: 409 fees_already_set when the year has fees, which stay."""
        with self.db.transaction() as work:
            return ordering.set_fees(work, self.clock, academic_year, exam_fee_cents,
                                     remote_proctoring_fee_cents, only_if_unset)

    @rpc
    def quote(self, organization):
        """This year's fees and expiration limits for an order by `organization`."""
        with self.db.reader() as session:
            return ordering.quote(session, self.clock, organization)

    @rpc
    def review_order(self, organization, request):
        """An order as it would be placed now, checked by the same rules as `place_order`
        (all but the terms, accepted after the review): the quote with the order's
        expiration date, or `invalid_input` naming each field that is wrong. Places
        nothing."""
        with self.db.reader() as session:
            return ordering.review_order(session, self.clock, organization, request)

    @rpc
    def place_order(self, principal, idempotency_key, request):
        """One order per Idempotency-Key; emits `order_placed` (which mails the confirmation).

        Returns {"order", "created"}: created is False when the key was seen before.
        """
        try:
            with self.db.transaction() as work:
                order, created = ordering.place_order(
                    work, self.clock, principal, idempotency_key, request)
        except IntegrityError:  # the same key raced in from another request: reuse its order
            with self.db.reader() as session:
                order = ordering.replayed_order(
                    session, principal["account"]["id"], idempotency_key,
                    ordering.rules.request_fingerprint(principal["organization"]["id"], request))
            if order is None:
                raise
            created = False
        return {"order": order, "created": created}

    @rpc
    def get_order(self, organization_id, order_id):
        """One order of the organization; 404 for another organization's."""
        with self.db.reader() as session:
            return ordering.order_view(ordering.find_order(session, organization_id, order_id))

    @rpc
    def list_orders(self, organization_id, academic_year=None):
        """The organization's orders of one academic year, newest first."""
        year = AcademicYear.parse(academic_year) if academic_year else self.clock.academic_year()
        with self.db.reader() as session:
            return ordering.order_history(session, self.clock, organization_id, year)

    @rpc
    def change_po_number(self, organization_id, order_id, po_number):
        """The one change allowed after placing; emits `po_number_changed`."""
        with self.db.transaction() as work:
            return ordering.change_po_number(work, organization_id, order_id, po_number)

    @consumes("orders", "order_placed", schema=events_in.OrderPlaced)
    def mail_order_confirmation(self, event):
        """The confirmation to the orderer and the coordinator: details, never codes.

        Sent from the committed order, off the request's path; at most once (a lost mail
        is logged, never retried into a second copy)."""
        with self.db.transaction() as work:
            if not work.first_delivery(event["event_id"], "mail_order_confirmation"):
                return
            order = work.session.get(Order, event["id"])
            if order is None:
                raise LookupError("confirmation for unknown order {}".format(event["id"]))
            contact = work.session.get(OrganizationContact, order.organization_id)
            recipients, subject, body = order_confirmation(order, contact,
                                                           public_url(self.config))
        try:  # after the commit: mail may yield (SMTP), never inside a unit of work
            self.mailer.send(recipients, subject, body)
        except Exception:
            log.exception("order confirmation for order %s not sent", order.id)

    @consumes("vouchers", "voucher_chunk_generated", schema=events_in.VoucherChunkGenerated)
    def count_generated_vouchers(self, event):
        """A chunk of the order's codes exists: count it."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "count_generated_vouchers"):
                ordering.record_vouchers_generated(
                    work, event["order_id"], self.clock.now(), count=event["count"])

    @consumes("vouchers", "vouchers_generated", schema=events_in.VouchersGenerated)
    def mark_fulfilled(self, event):
        """Every code of the order exists: `generating_vouchers` → `fulfilled`."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "mark_fulfilled"):
                ordering.record_vouchers_generated(work, event["order_id"],
                                                   self.clock.now())

    @consumes("access", "profile_updated", schema=events_in.ProfileUpdated)
    def keep_coordinator(self, event):
        """Keep the coordinator on file, who gets every order confirmation."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "keep_coordinator"):
                contact = work.session.get(OrganizationContact, event["organization_id"]) or \
                    OrganizationContact(organization_id=event["organization_id"])
                contact.coordinator_name = event["coordinator"]["name"]
                contact.coordinator_email = event["coordinator"]["email"]
                contact.updated_at = self.clock.now()
                work.session.add(contact)
