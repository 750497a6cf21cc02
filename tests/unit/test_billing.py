"""Billing's units of work on its own SQLite database, no broker: events applied through
the same functions the handlers use, then billing runs."""
import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from services.billing import billable, copies, handlers, invoices, runs
from services.billing.billable import VoucherAlreadyBilled
from services.billing.copies import UnknownReference
from services.billing.models import BillableExam, BillingOrganization, BillingRegistration, Invoice
from services.billing.periods import Period
from services.common.event_schema import MalformedEvent, check_event
from services.common.events import record_failed_event
from services.common.failed_events import replay_failed
from services.common.messaging_tables import outbox
from tests.unit.conftest import _fresh_store

NOW = datetime(2027, 1, 15, 15, 0, tzinfo=timezone.utc)  # academic year 2026-27


@pytest.fixture
def billing_store(migrated_templates, sqlite_databases, clock):
    clock.frozen_at = NOW
    store = _fresh_store(migrated_templates, sqlite_databases, "billing", clock)
    yield store
    store.dispose()


class Billing:
    """Applies events as billing's handlers would, and runs billing, on one store."""

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock
        self.next_order = 100

    def apply(self, consumer, **payload):
        event = dict(payload, event_id=payload.get("event_id") or str(uuid.uuid4()))
        handlers.apply_once(self.store, self.clock, consumer, event)
        return event

    def organization(self, organization_id, state_funded=False, name=None):
        self.apply("keep_organization", id=organization_id, name=name or f"Org {organization_id}",
                   kind="school", zip="48201", city="Detroit", state="MI", district_id=None,
                   state_funded=state_funded, version=1)
        self.apply("keep_billing_contact", organization_id=organization_id,
                   organization_name=name or f"Org {organization_id}",
                   coordinator={"name": "C", "email": "c@example.org", "phone": "1"},
                   billing_contact={"name": "Bill Payer", "phone": "313-555-0100",
                                    "email": f"bills{organization_id}@example.org"})

    def order(self, organization_id, covers_remote_proctoring=False, po_number=None,
              exam_fee_cents=9300, remote_proctoring_fee_cents=3000):
        self.next_order += 1
        self.apply("keep_order", id=self.next_order, organization_id=organization_id,
                   academic_year="2026-27", covers_remote_proctoring=covers_remote_proctoring,
                   exam_fee_cents=exam_fee_cents,
                   remote_proctoring_fee_cents=remote_proctoring_fee_cents,
                   po_number=po_number, quantity=10, state="MI", state_funded=False,
                   version=1)
        return self.next_order

    def exam(self, organization_id, order_id, test_date, delivery_mode="test_center",
             **overrides):
        payload = dict(result_id=uuid.uuid4().hex, voucher_code=uuid.uuid4().hex[:16].upper(),
                       registration_id=None, order_id=order_id,
                       organization_id=organization_id, attending_institution_id=None,
                       exam="College Algebra", test_date=test_date,
                       delivery_mode=delivery_mode, academic_year="2026-27")
        payload.update(overrides)
        return self.apply("record_exam", **payload)

    def run(self, period):
        return runs.run_billing(self.store, self.clock, Period.parse(period))

    def items(self):
        with self.store.reader() as session:
            return session.scalars(select(BillableExam).order_by(BillableExam.id)).all()


@pytest.fixture
def billing(billing_store, clock):
    return Billing(billing_store, clock)


def test_an_exam_is_billed_at_the_order_fee_plus_remote_proctoring_when_covered(billing):
    billing.organization(1)
    covered = billing.order(1, covers_remote_proctoring=True, po_number="PO-1")
    not_covered = billing.order(1, covers_remote_proctoring=False)
    billing.exam(1, covered, "2026-11-03", "remote")
    billing.exam(1, covered, "2026-11-04", "test_center")
    billing.exam(1, not_covered, "2026-11-05", "remote")

    result = billing.run("2026-11")

    [invoice] = result["invoices"]
    assert invoice["lines"] == [
        {"order_id": covered, "po_number": "PO-1", "exams": 2, "amount_cents": 12300 + 9300},
        {"order_id": not_covered, "po_number": None, "exams": 1, "amount_cents": 9300}]
    assert invoice["total_cents"] == 30900 and invoice["exams"] == 3
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-11-01", "2026-11-30")
    assert invoice["issued_on"] == "2027-01-15" and invoice["academic_year"] == "2026-27"
    assert invoice["billing_contact"] == {"name": "Bill Payer", "email": "bills1@example.org",
                                          "phone": "313-555-0100"}
    assert result["run"]["invoices_issued"] == 1 and result["run"]["total_cents"] == 30900


def test_a_redelivered_or_resent_exam_is_one_item(billing):
    billing.organization(1)
    order = billing.order(1)
    event = billing.exam(1, order, "2026-11-03")
    handlers.apply_once(billing.store, billing.clock, "record_exam", event)  # redelivered
    billing.apply("record_exam", **dict(event, event_id=None))  # same result, new event id

    assert len(billing.items()) == 1
    assert billing.run("2026-11")["invoices"][0]["exams"] == 1


def test_a_second_exam_on_a_voucher_that_paid_already_is_refused(billing):
    billing.organization(1)
    order = billing.order(1)
    billing.exam(1, order, "2026-11-03", voucher_code="ABCDEFGHJKMNPQRS")
    with pytest.raises(VoucherAlreadyBilled):
        billing.exam(1, order, "2026-11-04", voucher_code="ABCDEFGHJKMNPQRS")
    assert len(billing.items()) == 1


def test_self_paid_exams_are_not_billed(billing):
    billing.exam(None, None, "2026-11-03", voucher_code=None, registration_id=None)
    assert billing.items() == []


def test_legacy_voucher_without_the_years_fees_is_refused(billing):
    with pytest.raises(UnknownReference, match="no fees known for 2026-27"):
        billing.exam(1, None, "2026-11-03", voucher_code="LEGACY0001")


def test_exam_on_an_unknown_order_is_refused(billing):
    with pytest.raises(UnknownReference, match="unknown order 999"):
        billing.exam(1, 999, "2026-11-03")
    assert billing.items() == []


@pytest.mark.parametrize("missing", ["result_id", "test_date", "delivery_mode", "order_id"])
def test_exam_with_a_missing_field_is_refused(billing, missing):
    billing.organization(1)
    order = billing.order(1)
    payload = dict(result_id="r1", voucher_code="V1", registration_id=None, order_id=order,
                   organization_id=1, exam="X", test_date="2026-11-03",
                   delivery_mode="remote", academic_year="2026-27", event_id=str(uuid.uuid4()))
    del payload[missing]
    with pytest.raises(MalformedEvent):
        handlers.apply_once(billing.store, billing.clock, "record_exam", payload)


@pytest.mark.parametrize("field, value", [("test_date", "03/11/2026"), ("delivery_mode", "moon"),
                                          ("order_id", "12"), ("organization_id", True)])
def test_exam_with_a_malformed_field_is_refused(billing, field, value):
    billing.organization(1)
    order = billing.order(1)
    with pytest.raises(MalformedEvent):
        billing.apply("record_exam", **{
            "result_id": "r1", "voucher_code": "V1", "registration_id": None,
            "order_id": order, "organization_id": 1, "exam": "X", "test_date": "2026-11-03",
            "delivery_mode": "remote", "academic_year": "2026-27", field: value})


def test_event_texts_are_kept_without_their_spaces_and_a_blank_one_is_refused(billing):
    billing.organization(1)
    billing.apply("keep_billing_contact", organization_id=1, organization_name=" Org 1 ",
                  billing_contact={"name": " Bill ", "email": " Bills@Example.org "})
    with pytest.raises(MalformedEvent, match="billing_contact.email: Blank."):
        billing.apply("keep_billing_contact", organization_id=1,
                      billing_contact={"name": "Bill", "email": "  "})
    with billing.store.reader() as session:
        org = session.get(BillingOrganization, 1)
        assert (org.name, org.billing_name, org.billing_email) == (
            "Org 1", "Bill", "bills@example.org")


def redeem(billing, registration_id, order, covers_remote_proctoring=False):
    billing.apply("keep_registration", registration_id=registration_id,
                  voucher_code=registration_id.upper(), order_id=order, organization_id=1,
                  academic_year="2026-27", covers_remote_proctoring=covers_remote_proctoring,
                  legacy=order is None, student={"id": "s"}, exam="X",
                  redeemed_at="2026-10-01T12:00:00Z",
                  complete_by="2027-06-30")  # due at the June 30 close


def cancel(billing, registration_id, order):
    billing.apply("cancel_registration", registration_id=registration_id,
                  voucher_code=registration_id.upper(), order_id=order, organization_id=1,
                  academic_year="2026-27")


def legacy_exam(billing, registration_id, test_date, delivery_mode):
    return billing.exam(1, None, test_date, delivery_mode, registration_id=registration_id,
                        voucher_code=registration_id.upper())


@pytest.fixture
def legacy_fees(billing):
    billing.organization(1)
    billing.apply("keep_fees", academic_year="2026-27", exam_fee_cents=8900,
                  remote_proctoring_fee_cents=2500)


def test_legacy_voucher_is_billed_the_years_fees_with_remote_proctoring_when_covered(
        billing, legacy_fees):
    redeem(billing, "covered-remote", None, covers_remote_proctoring=True)
    redeem(billing, "covered-center", None, covers_remote_proctoring=True)
    redeem(billing, "plain-remote", None, covers_remote_proctoring=False)
    legacy_exam(billing, "covered-remote", "2026-11-03", "remote")
    legacy_exam(billing, "covered-center", "2026-11-04", "test_center")
    legacy_exam(billing, "plain-remote", "2026-11-05", "remote")

    assert [(item.exam_fee_cents, item.remote_proctoring_fee_cents, item.amount_cents)
            for item in billing.items()] == [(8900, 2500, 11400), (8900, 0, 8900),
                                             (8900, 0, 8900)]
    [invoice] = billing.run("2026-11")["invoices"]
    assert invoice["lines"] == [{"order_id": None, "po_number": None, "exams": 3,
                                 "amount_cents": 3 * 8900 + 2500}]


def test_a_remote_legacy_exam_waits_for_its_redemption(billing, legacy_fees):
    """Another queue may bring the exam before its ticket: it is kept, then replayed."""
    event = dict(event_id=str(uuid.uuid4()), result_id="r-early", voucher_code="EARLY",
                 registration_id="early", order_id=None, organization_id=1, exam="X",
                 test_date="2026-11-03", delivery_mode="remote", academic_year="2026-27")
    with pytest.raises(UnknownReference, match="remote-proctoring coverage is unknown"):
        billing.apply("record_exam", **event)
    record_failed_event(billing.store, "record_exam", "scores", "exam_recorded", event,
                        "remote-proctoring coverage is unknown")
    assert billing.items() == []

    redeem(billing, "early", None, covers_remote_proctoring=True)
    replayed = replay_failed(billing.store, lambda consumer, kept: handlers.apply_once(
        billing.store, billing.clock, consumer, kept))
    assert len(replayed["replayed"]) == 1 and replayed["still_failing"] == []
    assert [item.amount_cents for item in billing.items()] == [8900 + 2500]


def test_a_legacy_ticket_cancelled_before_its_redemption_arrived_keeps_its_coverage(
        billing, legacy_fees):
    cancel(billing, "late-legacy", None)  # the June 30 close; the redemption comes after
    redeem(billing, "late-legacy", None, covers_remote_proctoring=True)
    legacy_exam(billing, "late-legacy", "2027-06-29", "remote")  # taken before the close
    [item] = billing.items()
    assert (item.amount_cents, item.void_reason) == (8900 + 2500, None)


def test_an_exam_on_another_organizations_ticket_is_refused(billing, legacy_fees):
    redeem(billing, "theirs", None, covers_remote_proctoring=True)  # organization 1's
    with pytest.raises(MalformedEvent, match="organization 1's, not 2's"):
        billing.exam(2, None, "2026-11-03", "remote", registration_id="theirs",
                     voucher_code="THEIRS")
    assert billing.items() == []


def test_cancelled_tickets_and_unused_codes_are_never_billed(billing, clock):
    billing.organization(1)
    order = billing.order(1)
    for registration in ("cancelled-unused", "cancelled-then-exam", "exam-then-cancelled"):
        redeem(billing, registration, order)
    cancel(billing, "cancelled-unused", order)
    cancel(billing, "cancelled-then-exam", order)
    # exams dated after the ticket's last day (June 30 of its year) are not billed,
    # whichever of the exam and the cancellation billing hears of first
    billing.exam(1, order, "2027-07-02", registration_id="cancelled-then-exam",
                 voucher_code="CANCELLEDTHENEXAM")
    billing.exam(1, order, "2027-07-03", registration_id="exam-then-cancelled",
                 voucher_code="EXAMTHENCANCELLED")
    cancel(billing, "exam-then-cancelled", order)

    assert sorted(item.void_reason for item in billing.items()) == ["ticket_cancelled"] * 2
    with billing.store.reader() as session:
        assert runs.preview(session, Period(2027, 7))["not_billed"] == {"ticket_cancelled": 2}
    clock.frozen_at = datetime(2027, 7, 20, 15, 0, tzinfo=timezone.utc)
    assert billing.run("2027-07")["invoices"] == []


def test_an_exam_taken_before_the_close_but_reported_after_it_is_billed(billing, clock):
    billing.organization(1)
    order = billing.order(1)
    redeem(billing, "late-report", order)
    cancel(billing, "late-report", order)  # the June 30 close did not know of the exam
    billing.exam(1, order, "2027-06-29", registration_id="late-report",
                 voucher_code="LATEREPORT")

    clock.frozen_at = datetime(2027, 7, 2, 15, 0, tzinfo=timezone.utc)
    [invoice] = billing.run("2027-06")["invoices"]
    assert invoice["exams"] == 1


def test_a_ticket_cancelled_after_its_complete_by_bills_only_exams_taken_by_then(billing):
    billing.organization(1)
    order = billing.order(1)
    for registration in ("in-time", "too-late"):
        billing.apply("keep_registration", registration_id=registration,
                      voucher_code=registration.upper(), order_id=order, organization_id=1,
                      academic_year="2026-27", legacy=False, complete_by="2027-02-15")
        billing.apply("cancel_registration", registration_id=registration,
                      voucher_code=registration.upper(), order_id=order, organization_id=1,
                      academic_year="2026-27", complete_by="2027-02-15")
    billing.exam(1, order, "2027-02-15", registration_id="in-time", voucher_code="INTIME")
    billing.exam(1, order, "2027-02-16", registration_id="too-late", voucher_code="TOOLATE")
    assert {item.voucher_code: item.void_reason for item in billing.items()} == {
        "INTIME": None, "TOOLATE": "ticket_cancelled"}


def test_a_redeemed_event_after_the_cancellation_does_not_revive_the_ticket(billing):
    billing.organization(1)
    order = billing.order(1)
    cancel(billing, "r1", order)
    redeem(billing, "r1", order)
    billing.exam(1, order, "2027-07-03", registration_id="r1", voucher_code="V1")
    assert billing.items()[0].void_reason == "ticket_cancelled"


def test_monthly_run_bills_only_that_months_exams_and_a_rerun_bills_nothing_twice(billing):
    billing.organization(1)
    order = billing.order(1)
    billing.exam(1, order, "2026-10-31")
    billing.exam(1, order, "2026-11-01")
    billing.exam(1, order, "2026-11-30")
    billing.exam(1, order, "2026-12-01")

    first = billing.run("2026-11")
    assert [invoice["exams"] for invoice in first["invoices"]] == [2]
    assert billing.run("2026-11")["invoices"] == []

    billing.exam(1, order, "2026-11-15")  # reported late
    again = billing.run("2026-11")
    assert [invoice["exams"] for invoice in again["invoices"]] == [1]
    assert billing.run("2026-10")["invoices"][0]["exams"] == 1
    assert sum(1 for item in billing.items() if item.invoice_id is None) == 1  # December's


def test_state_funded_organization_is_billed_in_december_for_july_to_december(billing):
    billing.organization(1, state_funded=False)
    billing.organization(2, state_funded=True)
    monthly, funded = billing.order(1), billing.order(2)
    for month in ("2026-07-15", "2026-09-10", "2026-11-20", "2026-12-05"):
        billing.exam(2, funded, month)
    billing.exam(2, funded, "2027-01-05")  # next half-year
    billing.exam(1, monthly, "2026-11-20")

    november = billing.run("2026-11")
    assert [invoice["organization_id"] for invoice in november["invoices"]] == [1]

    december = billing.run("2026-12")
    [invoice] = december["invoices"]
    assert invoice["organization_id"] == 2 and invoice["exams"] == 4
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-07-01", "2026-12-31")
    assert invoice["period"] == "2026-12" and invoice["academic_year"] == "2026-27"
    assert billing.run("2026-12")["invoices"] == []
    assert billing.run("2027-01")["invoices"] == []  # January's waits for the June run


def test_po_number_changed_after_ordering_is_on_the_next_invoice(billing):
    billing.organization(1)
    order = billing.order(1, po_number="PO-OLD")
    billing.exam(1, order, "2026-10-10")
    october = billing.run("2026-10")["invoices"][0]
    billing.apply("keep_po_number", order_id=order, organization_id=1, po_number="PO-NEW",
                  version=2)
    billing.exam(1, order, "2026-11-10")
    november = billing.run("2026-11")["invoices"][0]

    assert october["lines"][0]["po_number"] == "PO-OLD"
    assert november["lines"][0]["po_number"] == "PO-NEW"
    with billing.store.reader() as session:  # an issued invoice keeps what it said
        assert invoices.invoice_of(session, 1, october["id"])["lines"][0]["po_number"] == "PO-OLD"


def test_po_number_changed_for_an_unknown_order_is_refused(billing):
    with pytest.raises(UnknownReference):
        billing.apply("keep_po_number", order_id=5, organization_id=1, po_number="X", version=2)


def test_an_order_placed_again_keeps_the_changed_po_number(billing):
    billing.organization(1)
    order = billing.order(1, po_number="PO-OLD")
    billing.apply("keep_po_number", order_id=order, organization_id=1, po_number="PO-NEW",
                  version=2)
    billing.apply("keep_order", id=order, organization_id=1, academic_year="2026-27",
                  covers_remote_proctoring=False, exam_fee_cents=9300,
                  remote_proctoring_fee_cents=3000, po_number="PO-OLD", version=1)
    billing.exam(1, order, "2026-11-10")
    assert billing.run("2026-11")["invoices"][0]["lines"][0]["po_number"] == "PO-NEW"


def test_each_issued_invoice_is_announced(billing):
    for organization_id in (1, 2):
        billing.organization(organization_id)
        billing.exam(organization_id, billing.order(organization_id), "2026-11-10")
    issued = billing.run("2026-11")["invoices"]
    with billing.store.reader() as session:
        events = [json.loads(payload) for payload in session.scalars(
            select(outbox.c.payload).where(outbox.c.event_type == "invoice_issued"))]
    assert sorted(event["invoice_id"] for event in events) == sorted(i["id"] for i in issued)
    assert {key for key in events[0]} >= {"event_id", "invoice_id", "organization_id", "period",
                                          "period_start", "period_end", "total_cents"}


def test_organizations_listing_and_operations_view(billing):
    billing.organization(1)
    billing.organization(2)
    for organization_id in (1, 2):
        order = billing.order(organization_id)
        billing.exam(organization_id, order, "2026-10-10")
        billing.exam(organization_id, order, "2026-11-10")
    billing.run("2026-10")
    billing.run("2026-11")
    with billing.store.reader() as session:
        mine = invoices.invoices_of(session, 1, "2026-27")
        assert [invoice["period"] for invoice in mine] == ["2026-11", "2026-10"]
        assert invoices.invoices_of(session, 1, "2025-26") == []
        view = invoices.invoices_for_period(session, Period(2026, 11))
    assert view["totals"] == {"invoices": 2, "organizations": 2, "exams": 2,
                              "total_cents": 18600, "not_emailed": 2}
    assert len(view["runs"]) == 1


def test_the_invoice_email_is_claimed_once(billing):
    billing.organization(1)
    billing.exam(1, billing.order(1, po_number="PO-9"), "2026-11-10")
    [invoice] = billing.run("2026-11")["invoices"]
    with billing.store.transaction() as work:
        claimed = invoices.claim_email(work, invoice["id"], NOW)
    with billing.store.transaction() as work:
        assert invoices.claim_email(work, invoice["id"], NOW) is None
    subject, body = invoices.invoice_email(claimed, "http://portal.example")
    assert "PO-9" in body and "$93.00" in body and str(invoice["id"]) in subject
    assert body.endswith("\nhttp://portal.example/organizations/1/invoices?academic_year=2026-27")
    with billing.store.reader() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)
                              .where(Invoice.emailed_at.is_not(None))) == 1


def test_the_preview_shows_what_a_run_would_bill_without_billing_it(billing):
    billing.organization(1)
    billing.organization(2, state_funded=True)
    monthly = billing.order(1, po_number="PO-1")
    funded = billing.order(2)
    billing.exam(1, monthly, "2026-12-03", "remote")
    billing.exam(2, funded, "2026-08-03")
    billing.exam(2, funded, "2026-12-03")
    billing.apply("keep_po_number", order_id=monthly, organization_id=1, po_number="PO-2", version=2)

    with billing.store.reader() as session:
        preview = runs.preview(session, Period(2026, 12))
        november = runs.preview(session, Period(2026, 11))
    assert preview["totals"] == {"organizations": 2, "exams": 3, "amount_cents": 3 * 9300}
    first, second = preview["organizations"]
    assert first["lines"] == [{"order_id": monthly, "po_number": "PO-2", "exams": 1,
                               "amount_cents": 9300}]
    assert (second["period_start"], second["exams"]) == ("2026-07-01", 2)
    assert november["organizations"] == []
    assert [invoice["exams"] for invoice in billing.run("2026-12")["invoices"]] == [1, 2]


def test_a_batch_of_exams_is_billed_as_the_same_exams_one_by_one(billing):
    billing.organization(1)
    billing.organization(2)
    covered, plain = billing.order(1, covers_remote_proctoring=True), billing.order(2)

    def exam(organization_id, order_id, delivery_mode, **overrides):
        return check_event(handlers.schema_of("record_exam"), dict({
            "event_id": str(uuid.uuid4()), "result_id": uuid.uuid4().hex,
            "voucher_code": uuid.uuid4().hex[:16].upper(), "registration_id": None,
            "order_id": order_id, "organization_id": organization_id,
            "attending_institution_id": None, "exam": "Biology", "test_date": "2026-11-03",
            "delivery_mode": delivery_mode, "academic_year": "2026-27"}, **overrides))

    remote = exam(1, covered, "remote")
    batch = [remote, dict(remote, event_id=str(uuid.uuid4())),  # the same result again
             exam(2, plain, "remote"), exam(None, None, "remote", voucher_code=None)]
    with billing.store.transaction() as work:
        items = billable.record_exams(work.session, batch, billing.clock.now())
    assert [(item["organization_id"], item["amount_cents"]) for item in items] == [
        (1, 12300), (2, 9300)]
    assert len(billing.items()) == 2

    second_on_one_voucher = exam(2, plain, "test_center", voucher_code=items[1]["voucher_code"])
    with pytest.raises(VoucherAlreadyBilled):
        with billing.store.transaction() as work:
            billable.record_exams(work.session, [exam(1, covered, "test_center"),
                                                 second_on_one_voucher], billing.clock.now())
    assert len(billing.items()) == 2  # the batch is undone, to be applied event by event


def test_a_batch_of_tickets_is_kept_once_each_and_a_cancelled_one_learns_its_code(billing):
    billing.organization(1)
    order = billing.order(1)
    cancel(billing, "r-cancelled", order)  # its cancellation arrived first

    def ticket(registration_id, covers):
        return check_event(handlers.schema_of("keep_registration"), {
            "event_id": str(uuid.uuid4()), "registration_id": registration_id,
            "voucher_code": registration_id.upper(), "voucher_code_shown": None,
            "order_id": None, "organization_id": 1, "academic_year": "2026-27",
            "covers_remote_proctoring": covers, "legacy": True, "student": {"id": "s"},
            "exam": "X", "redeemed_at": "2026-10-01T12:00:00Z", "complete_by": "2027-04-01"})
    with billing.store.transaction() as work:
        copies.keep_registrations(work.session, [
            ticket("r-1", False), ticket("r-1", True), ticket("r-cancelled", True),
            ticket("r-2", True)], billing.clock.now())
    with billing.store.reader() as session:
        kept = {row.registration_id: (row.status, row.covers_remote_proctoring)
                for row in session.scalars(select(BillingRegistration))}
    assert kept == {"r-1": ("redeemed", False), "r-2": ("redeemed", True),
                    "r-cancelled": ("cancelled", True)}
