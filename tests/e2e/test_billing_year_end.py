"""Billing across the June 30 close, end to end: tickets not used by June 30 are cancelled
by the close and never billed; an exam taken by June 30 but reported after the close is.

The program clock starts frozen on June 20, 2027 (academic year 2026-27); then vouchers,
scores and billing restart with their clock on July 2, as if the close had come.
"""
import pytest

from scripts.sandbox import Sandbox
from tests.e2e.billing_flow import (invoices_of, order_codes, preview, redeem, report_exam,
                                    run_billing, take_exam, wait_billable, wait_until)
from tests.e2e.checks import error_of

JUNE_20 = "2027-06-20T16:00:00+00:00"
JULY_2 = "2027-07-02T14:00:00+00:00"
YEAR = "2026-27"


@pytest.fixture(scope="module")
def system_env(tmp_path_factory):
    with Sandbox("sqlite", data_dir=tmp_path_factory.mktemp("system")) as env:
        env["CLEP_CLOCK_NOW"] = JUNE_20
        env["CLEP_YEAR_CLOSE_CHECK_SECONDS"] = "3600"  # operations close the year, below
        env["CLEP_MONTHLY_RUN_CHECK_SECONDS"] = "3600"  # the runs below are operations'
        yield env


def test_tickets_not_used_by_june_30_are_never_billed(system, portal):
    portal.academic_year = YEAR
    portal.set_fees(9300, 3000)
    account, school = portal.coordinator_of()
    order, codes = order_codes(portal, account, school["id"], 4)
    take_exam(portal, codes[0], "2027-06-10")           # used in time: billed
    late_report = redeem(portal, codes[1])               # taken June 28, reported in July
    never_used = redeem(portal, codes[2])                # never taken: cancelled
    # codes[3] is never redeemed: it expires
    wait_billable(portal, "2027-06", school["id"], 1)

    system.restart(["vouchers-1", "scores", "billing"], {"CLEP_CLOCK_NOW": JULY_2})
    closed = portal.post(f"/api/admin/academic-years/{YEAR}/close", portal.ops)
    assert closed.status_code == 202, closed.text
    assert closed.json()["tickets_cancelled"] == 2
    report_exam(portal, codes[1], late_report["registration_id"], "2027-06-28")
    # an exam reported on the cancelled ticket, dated after its last day: not billed
    report_exam(portal, codes[2], never_used["registration_id"], "2027-07-01")
    wait_billable(portal, "2027-06", school["id"], 2)

    [june] = invoices_of(run_billing(portal, "2027-06"), school["id"])
    assert june["exams"] == 2 and june["total_cents"] == 2 * 9300
    assert [line["order_id"] for line in june["lines"]] == [order["id"]]
    wait_until(lambda: portal.get("/api/admin/billing-preview", portal.ops, params={
        "period": "2027-07"}).json()["not_billed"].get("ticket_cancelled") == 1,
        "billing has the July exam, voided")
    assert school["id"] not in preview(portal, "2027-07")
    july = portal.post("/api/admin/billing-runs", portal.ops, json={"period": "2027-07"})
    assert error_of(july, 409)["code"] == "period_not_over"  # and nothing of it is due
    counts = wait_until(lambda: portal.get(
        f"/api/organizations/{school['id']}/orders/{order['id']}/vouchers",
        account.headers).json()["counts"], "voucher usage")
    assert counts["expired"] == 1
