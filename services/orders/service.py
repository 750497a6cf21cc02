"""The orders service: fees, voucher orders and their history.

RPC for the gateway and the CLI; emits `order_placed`, `po_number_changed`; consumes
`vouchers_generated` and `voucher_chunk_generated` (vouchers) and `profile_updated` (access).
"""
import logging

from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from services.common.academic_year import AcademicYear
from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.events import consumes
from services.common.mailer import MailerProvider
from services.common.service_health import check_database
from services.orders import ordering
from services.orders.models import FeeSchedule, OrganizationContact
from services.orders.notifications import send_order_confirmation
from services.orders.terms import BULK_PURCHASE_TERMS

log = logging.getLogger(__name__)


class OrdersService:
    name = "orders"

    db = Database("orders")
    clock = ClockProvider()
    mailer = MailerProvider()

    @rpc
    def health(self):
        return check_database(self.db)

    @rpc
    def bulk_purchase_terms(self):
        return dict(BULK_PURCHASE_TERMS)

    @rpc
    def set_fees(self, academic_year, exam_fee_cents, remote_proctoring_fee_cents):
        """Operations sets a year's fees; orders already placed keep theirs."""
        year = str(AcademicYear.parse(academic_year))
        with self.db.transaction() as work:
            fees = work.session.get(FeeSchedule, year) or FeeSchedule(academic_year=year)
            fees.exam_fee_cents = exam_fee_cents
            fees.remote_proctoring_fee_cents = remote_proctoring_fee_cents
            fees.updated_at = self.clock.now()
            work.session.add(fees)
        return {"academic_year": year, "exam_fee_cents": exam_fee_cents,
                "remote_proctoring_fee_cents": remote_proctoring_fee_cents}

    @rpc
    def quote(self, organization):
        """This year's fees and expiration limits for an order by `organization`."""
        with self.db.reader() as session:
            return ordering.quote(session, self.clock, organization)

    @rpc
    def place_order(self, principal, idempotency_key, request):
        """One order per Idempotency-Key; emits `order_placed`; mails a confirmation.

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
        if created:
            with self.db.reader() as session:
                contact = session.get(OrganizationContact, order["organization_id"])
            send_order_confirmation(self.mailer, order, principal, contact)
        return {"order": order, "created": created}

    @rpc
    def get_order(self, organization_id, order_id):
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

    @consumes("vouchers", "voucher_chunk_generated")
    def count_generated_vouchers(self, event):
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "count_generated_vouchers"):
                ordering.record_vouchers_generated(
                    work.session, event["order_id"], self.clock.now(), count=event["count"])

    @consumes("vouchers", "vouchers_generated")
    def mark_fulfilled(self, event):
        """Every code of the order exists: `generating_vouchers` → `fulfilled`."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "mark_fulfilled"):
                ordering.record_vouchers_generated(work.session, event["order_id"],
                                                   self.clock.now())

    @consumes("access", "profile_updated")
    def keep_coordinator(self, event):
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "keep_coordinator"):
                contact = work.session.get(OrganizationContact, event["organization_id"]) or \
                    OrganizationContact(organization_id=event["organization_id"])
                contact.coordinator_name = event["coordinator"]["name"]
                contact.coordinator_email = event["coordinator"]["email"]
                contact.updated_at = self.clock.now()
                work.session.add(contact)
