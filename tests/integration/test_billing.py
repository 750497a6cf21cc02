"""The billing service on its own, in a real container on a fresh vhost, on SQLite and on
PostgreSQL: its neighbours' events dispatched by the test, billing runs over RPC."""
import io
import uuid
from datetime import datetime

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from services.billing import handlers, runs
from services.billing.models import (BillableExam, BillingOrder, BillingOrganization, Invoice)
from services.billing.service import BillingService
from services.common.clock import Clock
from services.common.errors import InvalidInput
from services.common.messaging_tables import failed_events
from tests.mail import SmtpServer

FROZEN_NOW = "2027-01-15T15:00:00+00:00"  # academic year 2026-27; December 2026 can be run


def event(**payload):
    return dict(payload, event_id=str(uuid.uuid4()))


def organization(organization_id, state_funded=False, version=1):
    return event(id=organization_id, name=f"School {organization_id}", kind="school",
                 zip="48201", city="Detroit", state="MI", district_id=None,
                 state_funded=state_funded, version=version)


def profile(organization_id, email=None):
    return event(organization_id=organization_id, organization_name=f"School {organization_id}",
                 coordinator={"name": "Casey", "email": "casey@example.org", "phone": "1"},
                 billing_contact={"name": "Bill Payer", "phone": "313-555-0100",
                                  "email": email or f"bills-{organization_id}@example.org"})


def order(order_id, organization_id, covers=False, po_number=None):
    return event(id=order_id, organization_id=organization_id, academic_year="2026-27",
                 placed_at="2026-09-01T12:00:00+00:00", placed_by={"id": 1, "name": "Casey"},
                 quantity=10, covers_remote_proctoring=covers, expiration_date="2027-06-30",
                 po_number=po_number, exam_fee_cents=9300, remote_proctoring_fee_cents=3000,
                 terms_version="2026-07", status="fulfilled", vouchers_generated=10,
                 state="MI", state_funded=False, version=1)


def exam(organization_id, order_id, test_date, mode="test_center", **extra):
    payload = dict(result_id=uuid.uuid4().hex, voucher_code=uuid.uuid4().hex[:16].upper(),
                   registration_id=uuid.uuid4().hex[:8], order_id=order_id,
                   organization_id=organization_id, attending_institution_id=None,
                   exam="Biology", test_date=test_date, delivery_mode=mode,
                   academic_year="2026-27")
    payload.update(extra)
    return event(**payload)


def count(store, table, *where):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def start_billing(start_service, **extra):
    return start_service(BillingService, CLOCK_NOW=FROZEN_NOW, **extra)


def send_copies(dispatch, organization_id, order_id, covers=False, po_number=None,
                state_funded=False):
    dispatch("access", "organization_registered", organization(organization_id, state_funded))
    dispatch("access", "profile_updated", profile(organization_id))
    dispatch("orders", "order_placed", order(order_id, organization_id, covers, po_number))


def wait_for_items(store, wait_for, number):
    wait_for(lambda: count(store, BillableExam.__table__) >= number,
             message=f"{number} billable exams")


def test_an_exam_taken_with_a_voucher_is_billed_once_at_the_right_amount(
        start_service, stores, rpc, dispatch, listen, wait_for, stays, tmp_path):
    start_billing(start_service)
    store = stores("billing")
    issued = listen("billing", "invoice_issued")
    send_copies(dispatch, 7, 70, covers=True, po_number="PO-77")
    wait_for(lambda: _has_order(store, 70) and _billing_email(store, 7))
    remote = exam(7, 70, "2026-11-03", "remote")
    center = exam(7, 70, "2026-11-04", "test_center")
    self_paid = exam(None, None, "2026-11-05", voucher_code=None,
                     registration_id=None)
    for payload in (remote, center, remote, self_paid):  # remote: redelivered
        dispatch("scores", "exam_recorded", payload)
    dispatch("scores", "exam_recorded", dict(remote, event_id=str(uuid.uuid4())))  # re-sent
    wait_for_items(store, wait_for, 2)
    assert stays(lambda: count(store, BillableExam.__table__) == 2, duration=1)

    result = rpc.billing.run_billing("2026-11")

    [invoice] = result["invoices"]
    assert invoice["lines"] == [{"order_id": 70, "po_number": "PO-77", "exams": 2,
                                 "amount_cents": 9300 + 3000 + 9300}]
    assert invoice["total_cents"] == 21600
    assert invoice["billing_contact"]["email"] == "bills-7@example.org"
    [announced] = issued.wait("invoice_issued")
    assert (announced["invoice_id"], announced["total_cents"]) == (invoice["id"], 21600)
    mails = wait_for(lambda: sorted((tmp_path / "mail").glob("*.eml"))
                     if (tmp_path / "mail").exists() else None)
    text = mails[0].read_text()
    assert "bills-7@example.org" in text and "PO-77" in text and "$216.00" in text
    assert rpc.billing.run_billing("2026-11")["invoices"] == []  # the rerun
    assert stays(lambda: len(list((tmp_path / "mail").glob("*.eml"))) == 1, duration=1)
    assert rpc.billing.list_invoices(7, "2026-27")[0]["id"] == invoice["id"]
    assert rpc.billing.get_invoice(7, invoice["id"])["emailed_at"]


def _has_order(store, order_id):
    with store.reader() as session:
        return session.get(BillingOrder, order_id) is not None


def test_bad_periods_are_refused(start_service, rpc):
    start_billing(start_service)
    for period in ("2027-02", "2026-06", "2026-13", "last month"):
        with pytest.raises(InvalidInput) as refused:
            rpc.billing.run_billing(period)
        assert refused.value.code == "invalid_period" and "period" in refused.value.fields


def test_state_funded_organization_is_skipped_monthly_and_billed_in_december(
        start_service, stores, rpc, dispatch, wait_for):
    start_billing(start_service)
    store = stores("billing")
    send_copies(dispatch, 1, 10)
    send_copies(dispatch, 2, 20)
    wait_for(lambda: _has_order(store, 10) and _has_order(store, 20))
    # operations flags organization 2 as state funded after it ordered
    dispatch("access", "organization_updated", organization(2, state_funded=True, version=2))
    for test_date in ("2026-07-20", "2026-10-02", "2026-11-12", "2026-12-01"):
        dispatch("scores", "exam_recorded", exam(2, 20, test_date))
    dispatch("scores", "exam_recorded", exam(1, 10, "2026-11-12"))
    wait_for_items(store, wait_for, 5)

    wait_for(lambda: _state_funded(store, 2))
    november = rpc.billing.run_billing("2026-11")["invoices"]
    assert [invoice["organization_id"] for invoice in november] == [1]
    [december] = rpc.billing.run_billing("2026-12")["invoices"]
    assert december["organization_id"] == 2 and december["exams"] == 4
    assert (december["period_start"], december["period_end"]) == ("2026-07-01", "2026-12-31")
    view = rpc.billing.invoices_for_period("2026-12")
    assert view["totals"]["invoices"] == 1 and view["totals"]["total_cents"] == 4 * 9300


def _state_funded(store, organization_id):
    with store.reader() as session:
        org = session.get(BillingOrganization, organization_id)
        return org is not None and org.state_funded


def test_unknown_order_is_kept_then_billed_once_when_replayed(
        start_service, stores, rpc, dispatch, wait_for, stays):
    start_billing(start_service)
    store = stores("billing")
    early = exam(3, 30, "2026-11-03")
    dispatch("scores", "exam_recorded", early)
    dispatch("scores", "exam_recorded", event(result_id="broken"))  # no fields to speak of
    dispatch("orders", "po_number_changed", event(order_id=31, organization_id=3,
                                                  po_number="X", version=2))
    wait_for(lambda: count(store, failed_events) == 3)
    kept = rpc.billing.failed_events()
    assert {row["event_type"] for row in kept} == {"exam_recorded", "po_number_changed"}
    assert any("unknown order 30" in row["error"] for row in kept)
    assert count(store, BillableExam.__table__) == 0

    send_copies(dispatch, 3, 30)
    wait_for(lambda: _has_order(store, 30))
    replay = rpc.billing.replay_failed_events()
    assert [row["event_type"] for row in replay["replayed"]] == ["exam_recorded"]
    assert len(replay["still_failing"]) == 2
    assert count(store, BillableExam.__table__) == 1
    assert rpc.billing.replay_failed_events()["replayed"] == []
    dispatch("scores", "exam_recorded", early)  # and redelivered once more
    assert stays(lambda: count(store, BillableExam.__table__) == 1, duration=1)
    assert rpc.billing.run_billing("2026-11")["invoices"][0]["exams"] == 1


def test_po_number_changed_after_ordering_appears_on_the_next_invoice(
        start_service, stores, rpc, dispatch, wait_for):
    start_billing(start_service)
    store = stores("billing")
    send_copies(dispatch, 4, 40, po_number="PO-FIRST")
    wait_for(lambda: _has_order(store, 40))
    dispatch("scores", "exam_recorded", exam(4, 40, "2026-10-10"))
    wait_for_items(store, wait_for, 1)
    october = rpc.billing.run_billing("2026-10")["invoices"][0]
    dispatch("orders", "po_number_changed", event(order_id=40, organization_id=4,
                                                  po_number="PO-SECOND", version=2))
    dispatch("scores", "exam_recorded", exam(4, 40, "2026-11-10"))
    wait_for_items(store, wait_for, 2)
    wait_for(lambda: _po_number(store, 40) == "PO-SECOND")
    november = rpc.billing.run_billing("2026-11")["invoices"][0]

    assert october["lines"][0]["po_number"] == "PO-FIRST"
    assert november["lines"][0]["po_number"] == "PO-SECOND"
    assert rpc.billing.get_invoice(4, october["id"])["lines"][0]["po_number"] == "PO-FIRST"


def _po_number(store, order_id):
    with store.reader() as session:
        found = session.get(BillingOrder, order_id)
        return found.po_number if found else None


ORGANIZATIONS = 30
EXAMS_EACH = 4


def load_exams(store):
    """Billable exams of 30 organizations, straight through billing's own handlers."""
    clock = Clock(frozen_at=datetime.fromisoformat(FROZEN_NOW))
    for organization_id in range(1, ORGANIZATIONS + 1):
        handlers.apply_once(store, clock, "keep_organization", organization(organization_id))
        handlers.apply_once(store, clock, "keep_order",
                            order(1000 + organization_id, organization_id))
        for day in range(1, EXAMS_EACH + 1):
            handlers.apply_once(store, clock, "record_exam",
                                exam(organization_id, 1000 + organization_id, f"2026-11-{day:02d}"))


def test_concurrent_runs_on_two_replicas_bill_nothing_twice(
        start_service, stores, config, monkeypatch):
    monkeypatch.setattr("services.billing.runs.BATCH_SIZE", 7)  # several batches per run
    overlapping = {"now": 0, "most": 0}
    real_run = runs.run_billing

    def counted_run(*args):  # the containers run in this process: count runs under way
        overlapping["now"] += 1
        overlapping["most"] = max(overlapping["most"], overlapping["now"])
        try:
            return real_run(*args)
        finally:
            overlapping["now"] -= 1

    monkeypatch.setattr(runs, "run_billing", counted_run)
    start_billing(start_service)
    start_billing(start_service)  # a second replica on the same database and queues
    store = stores("billing")
    load_exams(store)

    def run():
        with ServiceRpcProxy("billing", config, timeout=60) as billing:
            return billing.run_billing("2026-11")

    pool = eventlet.GreenPool(6)
    results = [thread.wait() for thread in [pool.spawn(run) for _ in range(6)]]

    assert overlapping["most"] >= 2, "the runs did not overlap: nothing was tested"
    issued = [invoice for result in results for invoice in result["invoices"]]
    assert len(issued) == ORGANIZATIONS  # one invoice per organization, across all runs
    assert sorted(invoice["organization_id"] for invoice in issued) == \
        list(range(1, ORGANIZATIONS + 1))
    assert sum(invoice["exams"] for invoice in issued) == ORGANIZATIONS * EXAMS_EACH
    assert count(store, BillableExam.__table__, BillableExam.invoice_id.is_(None)) == 0
    assert count(store, Invoice.__table__) == ORGANIZATIONS
    with store.reader() as session:
        billed = dict(session.execute(select(Invoice.id, Invoice.total_cents)).all())
        claimed = dict(session.execute(
            select(BillableExam.invoice_id, func.sum(BillableExam.amount_cents))
            .group_by(BillableExam.invoice_id)).all())
    assert billed == claimed


def test_the_invoice_is_emailed_over_smtp_to_the_billing_contact(
        start_service, stores, rpc, dispatch, wait_for, tmp_path):
    with SmtpServer(tmp_path / "smtp") as smtp:
        start_billing(start_service, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port,
                      MAIL_FROM="CLEP Program <clep@example.org>",
                      PUBLIC_URL="https://portal.example/")
        store = stores("billing")
        dispatch("access", "organization_registered", organization(5))
        dispatch("access", "profile_updated", profile(5, email="Payables@District5.example"))
        dispatch("orders", "order_placed", order(50, 5, po_number="=HYPERLINK(1)"))
        wait_for(lambda: _has_order(store, 50) and _billing_email(store, 5))
        dispatch("scores", "exam_recorded", exam(5, 50, "2026-11-03"))
        wait_for_items(store, wait_for, 1)

        [invoice] = rpc.billing.run_billing("2026-11")["invoices"]

        [message] = smtp.wait_for(lambda message: "payables@district5.example" in message["To"])
        assert message["From"] == "CLEP Program <clep@example.org>"
        assert "CLEP invoice {}".format(invoice["id"]) in message["Subject"]
        body = message.get_content()
        assert "$93.00" in body and "Bill Payer" in body
        # the invoice's year in the portal (PUBLIC_URL without its trailing slash)
        assert "https://portal.example/organizations/5/invoices?academic_year=2026-27\n" in \
            body
        wait_for(lambda: rpc.billing.get_invoice(5, invoice["id"])["emailed_at"])


def _billing_email(store, organization_id):
    with store.reader() as session:
        org = session.get(BillingOrganization, organization_id)
        return org.billing_email if org else None


def test_an_email_that_cannot_be_sent_is_kept_and_sent_when_replayed(
        start_service, stores, rpc, dispatch, wait_for, tmp_path):
    smtp = SmtpServer(tmp_path / "smtp")  # its port is chosen, the server not started yet
    start_billing(start_service, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port)
    store = stores("billing")
    send_copies(dispatch, 6, 60)
    wait_for(lambda: _has_order(store, 60) and _billing_email(store, 6))
    dispatch("scores", "exam_recorded", exam(6, 60, "2026-11-03"))
    wait_for_items(store, wait_for, 1)
    [invoice] = rpc.billing.run_billing("2026-11")["invoices"]

    wait_for(lambda: count(store, failed_events, failed_events.c.consumer == "email_invoice"))
    assert rpc.billing.get_invoice(6, invoice["id"])["emailed_at"] is None
    [kept] = rpc.billing.failed_events()
    assert kept["payload"]["invoice_id"] == invoice["id"]

    with smtp:
        replay = rpc.billing.replay_failed_events()
        assert [row["consumer"] for row in replay["replayed"]] == ["email_invoice"]
        smtp.wait_for(lambda message: "bills-6@example.org" in message["To"])
        assert rpc.billing.replay_failed_events() == {"replayed": [], "still_failing": []}
        assert len(smtp.messages()) == 1
    assert rpc.billing.get_invoice(6, invoice["id"])["emailed_at"]


def test_the_cli_runs_a_period_and_lists_its_invoices(
        start_service, stores, dispatch, wait_for, config, capsys):
    from services.billing import cli
    start_billing(start_service)
    store = stores("billing")
    send_copies(dispatch, 8, 80, covers=True)
    wait_for(lambda: _has_order(store, 80) and _billing_email(store, 8))
    dispatch("scores", "exam_recorded", exam(8, 80, "2026-12-24", "remote"))
    wait_for_items(store, wait_for, 1)
    out = io.StringIO()

    assert cli.main(["run", "2026-12"], out=out, config=config) == 0
    assert cli.main(["run"], out=out, config=config) == 0  # last month: December again
    assert cli.main(["invoices", "2026-12"], out=out, config=config) == 0
    assert cli.main(["run", "2027-02"], out=out, config=config) == 2

    lines = out.getvalue().splitlines()
    assert "organization      8" in lines[0] and "$123.00" in lines[0]
    assert lines[1].endswith("2026-12: 1 invoices, 1 exams, $123.00")
    assert lines[2].endswith("2026-12: 0 invoices, 0 exams, $0.00")
    assert lines[-1].startswith("2026-12: 1 invoices to 1 organizations, 1 exams, $123.00")
    assert "invalid_period: 2027-02 has not started yet" in capsys.readouterr().err
