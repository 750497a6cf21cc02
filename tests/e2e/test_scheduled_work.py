"""Scheduled work nobody has to start, on two replicas of each service: the billing
service bills last month once it is over, and the vouchers service cancels the tickets
whose complete_by has passed the day after it, each exactly once though every replica's
timer checks every second. The program clock starts on August 15, 2026; the replicas
are then restarted with their clock moved on, as if the time had passed."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from scripts.sandbox import Sandbox
from tests.e2e import service_db
from tests.e2e.billing_flow import (invoices_of, order_codes, redeem, report_exam,
                                    run_billing, take_exam, wait_billable, wait_until)
from tests.e2e.checks import error_of
from tests.e2e.portal import Portal

DATABASE = "postgresql"  # replicas that really run at once (SQLite takes turns)
VOUCHER_WORKERS = 2
AUGUST_15 = "2026-08-15T15:00:00+00:00"
SEPTEMBER_1 = "2026-09-01T14:00:00+00:00"   # 10:00 in New York: August is over
OCTOBER_20 = "2026-10-20T15:00:00+00:00"
NOVEMBER_1 = "2026-11-01T14:00:00+00:00"
FEBRUARY_16 = "2027-02-16T15:00:00+00:00"   # the day after an August 15 ticket's last day
FEBRUARY_21 = "2027-02-21T15:00:00+00:00"


@pytest.fixture(scope="module")
def system_env(tmp_path_factory):
    with Sandbox(DATABASE, data_dir=tmp_path_factory.mktemp("system")) as env:
        env.update(CLEP_CLOCK_NOW=AUGUST_15, CLEP_MONTHLY_RUN_CHECK_SECONDS="1",
                   CLEP_OVERDUE_TICKETS_CHECK_SECONDS="1")
        yield env


def scheduled_runs(system_env, service, job):
    return service_db.rows(system_env, service, "SELECT occurrence FROM scheduled_runs "
                           "WHERE job = :job ORDER BY occurrence", job=job)


@pytest.fixture(scope="module")
def august(system):
    """A school that took an exam on August 15 and holds two tickets of that day, due by
    February 15, whose exams are reported only after that."""
    portal = Portal(system.base_url, system.env["CLEP_OPERATIONS_TOKEN"],
                    system.env["CLEP_PARTNER_TOKEN"])
    portal.academic_year = "2026-27"
    portal.set_fees(9300, 3000)
    account, school = portal.coordinator_of()
    order, codes = order_codes(portal, account, school["id"], 3)
    take_exam(portal, codes[0], "2026-08-15")
    tickets = [redeem(portal, code) for code in codes[1:]]
    assert [ticket["complete_by"] for ticket in tickets] == ["2027-02-15"] * 2
    wait_billable(portal, "2026-08", school["id"], 1)
    return {"portal": portal, "account": account, "school": school, "order": order,
            "codes": codes, "tickets": tickets}


def test_the_billing_service_bills_a_month_once_it_is_over_once_on_two_replicas(
        system, system_env, august):
    portal, school = august["portal"], august["school"]
    system.start_process("billing-2")
    system.restart(["billing", "billing-2"], {"CLEP_CLOCK_NOW": SEPTEMBER_1})

    def invoiced():
        view = portal.get("/api/admin/invoices", portal.ops, params={"period": "2026-08"})
        return [invoice for invoice in view.json()["invoices"]
                if invoice["organization_id"] == school["id"]]
    [invoice] = wait_until(invoiced, "August's invoice, from the monthly run")
    assert invoice["exams"] == 1 and invoice["total_cents"] == 9300
    wait_until(lambda: service_db.scalar(system_env, "billing", "SELECT count(*) FROM "
                                         "billing_runs WHERE finished_at IS NOT NULL "
                                         "AND period = '2026-08'"), "the run finished")
    time.sleep(3)  # both replicas' timers tick a few more times
    assert len(invoiced()) == 1
    assert service_db.scalar(system_env, "billing", "SELECT count(*) FROM billing_runs "
                             "WHERE period = '2026-08'") == 1
    assert ("2026-08",) in scheduled_runs(system_env, "billing", "monthly_billing_run")
    # operations' run of the month stays, and bills nothing twice
    assert invoices_of(run_billing(portal, "2026-08"), school["id"]) == []


def test_a_monthly_run_left_unfinished_by_a_dead_replica_is_taken_over(
        system, system_env, august):
    """October's run was claimed two hours ago by a replica that died before finishing
    (its row says so): a replica takes it over and bills October."""
    portal, account, school = august["portal"], august["account"], august["school"]
    _, [code] = order_codes(portal, account, school["id"], 1)
    system.restart(["scores"], {"CLEP_CLOCK_NOW": OCTOBER_20})
    # billing on November 1 without its timer for now: the exam arrives first
    system.restart(["billing", "billing-2"], {"CLEP_CLOCK_NOW": NOVEMBER_1,
                                              "CLEP_MONTHLY_RUN_CHECK_SECONDS": "3600"})
    take_exam(portal, code, "2026-10-05")
    wait_billable(portal, "2026-10", school["id"], 1)
    with service_db.engine_of(system_env, "billing").begin() as connection:
        connection.execute(text(
            "INSERT INTO scheduled_runs (job, occurrence, claimed_at) VALUES "
            "('monthly_billing_run', '2026-10', :at)"),
            {"at": datetime.now(timezone.utc) - timedelta(hours=2)})

    system.restart(["billing", "billing-2"], {"CLEP_MONTHLY_RUN_CHECK_SECONDS": "1"})
    view = lambda: portal.get("/api/admin/invoices", portal.ops,  # noqa: E731
                              params={"period": "2026-10"}).json()["invoices"]
    [invoice] = wait_until(view, "October's invoice, from the run taken over")
    assert invoice["organization_id"] == school["id"] and invoice["exams"] == 1
    wait_until(lambda: service_db.scalar(
        system_env, "billing", "SELECT finished_at FROM scheduled_runs WHERE "
        "job = 'monthly_billing_run' AND occurrence = '2026-10'"), "the run finished")
    time.sleep(3)  # both replicas' timers tick a few more times
    assert len(view()) == 1


def test_tickets_past_their_complete_by_are_cancelled_the_next_day_once(
        system, system_env, august):
    portal, account, school, order = (august[key] for key in
                                      ("portal", "account", "school", "order"))
    system.restart(["vouchers-1", "vouchers-2"], {"CLEP_CLOCK_NOW": FEBRUARY_16})

    def counts():
        return portal.voucher_usage(account, school["id"], order["id"])["counts"]
    wait_until(lambda: counts()["cancelled"] == 2, "the overdue tickets cancelled")
    time.sleep(3)  # both replicas' timers tick a few more times
    assert counts() == {"unused": 0, "assigned": 0,
                        "redeemed": 0, "used": 1, "cancelled": 2, "expired": 0}
    tickets = {ticket["registration_id"] for ticket in august["tickets"]}
    cancelled = [event for event in service_db.events(system_env, "vouchers",
                                                      "registration_cancelled")
                 if event["registration_id"] in tickets]
    assert sorted(event["registration_id"] for event in cancelled) == sorted(tickets)
    assert {(event["order_id"], event["organization_id"], event["complete_by"])
            for event in cancelled} == {(order["id"], school["id"], "2027-02-15")}
    assert scheduled_runs(system_env, "vouchers", "cancel_overdue_tickets")[-1] == \
        ("2027-02-16",)
    assert error_of(portal.redeem_voucher(august["codes"][1]), 409)["code"] == \
        "voucher_already_redeemed"


def test_an_exam_after_a_cancelled_tickets_last_day_is_not_billed_one_before_is(
        system, august):
    """Reported late (after the cancelling), an exam taken by February 15 is billed; one
    taken after the ticket's last day is kept, not billed."""
    portal, school, codes = august["portal"], august["school"], august["codes"]
    system.restart(["scores", "billing", "billing-2"], {"CLEP_CLOCK_NOW": FEBRUARY_21})
    in_time, too_late = august["tickets"]
    report_exam(portal, codes[1], in_time["registration_id"], "2027-02-10")
    report_exam(portal, codes[2], too_late["registration_id"], "2027-02-20")

    def voided():
        answer = portal.get("/api/admin/billing-preview", portal.ops,
                            params={"period": "2027-02"}).json()
        return answer["not_billed"].get("ticket_cancelled")
    assert wait_until(voided, "billing has the late exam, voided") == 1
    entry = wait_billable(portal, "2027-02", school["id"], 1)
    assert entry["amount_cents"] == 9300
