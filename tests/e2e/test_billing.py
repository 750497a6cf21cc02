"""Billing end to end, through the HTTP API with the real services running: orders,
redemptions by the registration system, exams reported by the testing system, billing runs
by operations, invoices in the portal, as CSV and by email (a real SMTP server).

The program clock is frozen on January 15, 2027 (academic year 2026-27), so that every
month from July to December 2026 can be billed and exams can be dated in them.
"""
import concurrent.futures
import csv
import io
import uuid

import pytest

from tests.e2e.billing_flow import (invoices_of, order_codes, preview, redeem, report_exam,
                                    run_billing, take_exam, wait_billable, wait_until)
from tests.e2e.checks import error_of

NOW = "2027-01-15T15:00:00+00:00"
YEAR = "2026-27"
EXAM_FEE, REMOTE_FEE = 9300, 3000


MAIL = True
SETTINGS = {"CLEP_CLOCK_NOW": NOW,
            "CLEP_MONTHLY_RUN_CHECK_SECONDS": "3600"}  # the runs below are operations'


@pytest.fixture
def portal(portal):
    portal.academic_year = YEAR  # the frozen clock's year, whenever the tests run
    portal.set_fees(EXAM_FEE, REMOTE_FEE)
    return portal


def test_an_exam_taken_with_a_voucher_is_billed_once_never_the_unused_codes(portal, smtp):
    account, school = portal.coordinator_of()
    covered, covered_codes = order_codes(portal, account, school["id"], 5,
                                         covers_remote_proctoring=True, po_number="PO-2026-17")
    plain, plain_codes = order_codes(portal, account, school["id"], 3,
                                     covers_remote_proctoring=False, po_number="=SUM(A1:A9)")
    remote = take_exam(portal, covered_codes[0], "2026-11-03", "remote")
    take_exam(portal, covered_codes[1], "2026-11-04", "test_center")
    take_exam(portal, plain_codes[0], "2026-11-05", "remote")  # remote, not covered
    ticket = redeem(portal, covered_codes[2])  # registered, no exam (yet): not billed
    # the testing system sends a result again: accepted, changes nothing
    report_exam(portal, covered_codes[0], None, "2026-11-03", "remote", result_id=remote)
    wait_billable(portal, "2026-11", school["id"], 3)

    result = run_billing(portal, "2026-11")

    [invoice] = invoices_of(result, school["id"])
    assert invoice["lines"] == [
        {"order_id": covered["id"], "po_number": "PO-2026-17", "exams": 2,
         "amount_cents": EXAM_FEE + REMOTE_FEE + EXAM_FEE},
        {"order_id": plain["id"], "po_number": "=SUM(A1:A9)", "exams": 1,
         "amount_cents": EXAM_FEE}]
    assert invoice["total_cents"] == 3 * EXAM_FEE + REMOTE_FEE and invoice["exams"] == 3
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-11-01", "2026-11-30")
    assert invoice["issued_on"] == "2027-01-15"
    assert invoice["billing_contact"]["email"] == account.email

    listed = portal.get(f"/api/organizations/{school['id']}/invoices", account.headers,
                        params={"academic_year": YEAR})
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["invoices"]
    assert {key: shown[key] for key in ("id", "period_start", "period_end", "issued_on",
                                        "total_cents", "lines")} == \
        {key: invoice[key] for key in ("id", "period_start", "period_end", "issued_on",
                                       "total_cents", "lines")}
    assert portal.get(f"/api/organizations/{school['id']}/invoices", account.headers,
                      params={"academic_year": "2025-26"}).json() == {"invoices": []}

    download = portal.get(shown["csv_url"], account.headers)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(row["order_id"], row["po_number"], row["exams"], row["amount_cents"])
            for row in rows] == [
        (str(covered["id"]), "PO-2026-17", "2", str(2 * EXAM_FEE + REMOTE_FEE)),
        (str(plain["id"]), "'=SUM(A1:A9)", "1", str(EXAM_FEE)),  # never a formula
        ("total", "", "3", str(3 * EXAM_FEE + REMOTE_FEE))]

    [mail] = smtp.wait_for(lambda message: message["To"] == account.email and
                           "CLEP invoice {}".format(invoice["id"]) in message["Subject"])
    assert "PO-2026-17" in mail.get_content() and "$309.00" in mail.get_content()

    # the rerun of the period bills nothing twice; the ticket's exam, once taken, is new
    assert invoices_of(run_billing(portal, "2026-11"), school["id"]) == []
    report_exam(portal, covered_codes[2], ticket["registration_id"], "2026-11-20")
    wait_billable(portal, "2026-11", school["id"], 1)
    [late] = invoices_of(run_billing(portal, "2026-11"), school["id"])
    assert late["exams"] == 1 and late["id"] != invoice["id"]
    def usage():
        return portal.get(f"/api/organizations/{school['id']}/orders/{covered['id']}/vouchers",
                          account.headers).json()["counts"]
    wait_until(lambda: usage()["used"] == 3, "three codes used")
    assert usage()["unused"] == 2  # the two unused codes were never billed



def test_legacy_codes_covering_remote_proctoring_are_charged_it_like_an_order(portal):
    """Operations import legacy codes for a school, some covering remote proctoring: an exam
    taken remotely with one of those is charged the year's remote-proctoring fee on the
    school's invoice, as an exam on a covered order is; the others only the exam fee."""
    account, school = portal.coordinator_of()
    prefix = "RP" + uuid.uuid4().hex[:6].upper()
    covered = portal.import_legacy_vouchers(school["id"], [f"{prefix}-C1", f"{prefix}-C2"],
                                            covers_remote_proctoring=True)
    plain = portal.import_legacy_vouchers(school["id"], [f"{prefix}-P1"])
    assert covered.status_code == plain.status_code == 201, (covered.text, plain.text)
    take_exam(portal, f"{prefix}C1", "2026-08-10", "remote")
    take_exam(portal, f"{prefix}C2", "2026-08-11", "test_center")
    take_exam(portal, f"{prefix}P1", "2026-08-12", "remote")  # remote, not covered
    wait_billable(portal, "2026-08", school["id"], 3)

    result = run_billing(portal, "2026-08")

    [invoice] = result["invoices"]  # nobody else is billed for these codes
    assert invoice["organization_id"] == school["id"]
    assert invoice["lines"] == [{"order_id": None, "po_number": None, "exams": 3,
                                 "amount_cents": 3 * EXAM_FEE + REMOTE_FEE}]
    assert invoice["total_cents"] == 3 * EXAM_FEE + REMOTE_FEE
    [shown] = portal.get(f"/api/organizations/{school['id']}/invoices", account.headers,
                         params={"academic_year": YEAR}).json()["invoices"]
    assert shown["id"] == invoice["id"] and shown["lines"] == invoice["lines"]

def test_a_state_funded_organization_is_billed_in_december_for_july_to_december(portal):
    account, school = portal.coordinator_of(state="OH")
    order, codes = order_codes(portal, account, school["id"], 6)
    # operations flags the school as state funded (after it ordered)
    flagged = portal.update_organization(school["id"], state_funded=True)
    assert flagged.status_code == 200, flagged.text
    for code, day in zip(codes, ("2026-07-20", "2026-09-14", "2026-11-12", "2026-12-01")):
        take_exam(portal, code, day)
    take_exam(portal, codes[4], "2027-01-05")  # the next half-year, billed in June
    wait_until(lambda: preview(portal, "2026-12").get(school["id"], {}).get("exams") == 4,
               "the state-funded school's four exams of July to December")

    assert invoices_of(run_billing(portal, "2026-11"), school["id"]) == []
    assert school["id"] not in preview(portal, "2026-11")

    [invoice] = invoices_of(run_billing(portal, "2026-12"), school["id"])
    assert invoice["exams"] == 4 and invoice["total_cents"] == 4 * EXAM_FEE
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-07-01", "2026-12-31")
    assert invoices_of(run_billing(portal, "2026-12"), school["id"]) == []


def test_a_po_number_changed_after_ordering_is_on_the_next_invoice(portal):
    account, school = portal.coordinator_of()
    order, codes = order_codes(portal, account, school["id"], 2, po_number="PO-OLD")
    take_exam(portal, codes[0], "2026-10-08")
    wait_billable(portal, "2026-10", school["id"], 1)
    [october] = invoices_of(run_billing(portal, "2026-10"), school["id"])

    changed = portal.patch(f"/api/organizations/{school['id']}/orders/{order['id']}",
                           account.headers, json={"po_number": "PO-NEW-4411"})
    assert changed.status_code == 200, changed.text
    take_exam(portal, codes[1], "2026-11-09")
    wait_until(lambda: (preview(portal, "2026-11").get(school["id"]) or {"lines": [{}]})
               ["lines"][0].get("po_number") == "PO-NEW-4411",
               "billing has the exam and the new PO number")
    [november] = invoices_of(run_billing(portal, "2026-11"), school["id"])

    assert october["lines"][0]["po_number"] == "PO-OLD"
    assert november["lines"][0]["po_number"] == "PO-NEW-4411"
    kept = portal.get(f"/api/organizations/{school['id']}/invoices/{october['id']}",
                      account.headers).json()
    assert kept["lines"][0]["po_number"] == "PO-OLD"  # an issued invoice says what it said


def test_runs_at_the_same_time_bill_nothing_twice(portal):
    schools = []
    for _ in range(3):
        account, school = portal.coordinator_of()
        _, codes = order_codes(portal, account, school["id"], 3)
        for code, day in zip(codes, ("2026-09-02", "2026-09-15", "2026-09-30")):
            take_exam(portal, code, day, "remote")
        schools.append(school["id"])
    for school_id in schools:
        wait_billable(portal, "2026-09", school_id, 3)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run_billing(portal, "2026-09"), range(4)))

    issued = [invoice for result in results for school_id in schools
              for invoice in invoices_of(result, school_id)]
    assert sorted(invoice["organization_id"] for invoice in issued) == sorted(schools)
    assert all(invoice["exams"] == 3 and invoice["total_cents"] == 3 * EXAM_FEE
               for invoice in issued)
    view = portal.get("/api/admin/invoices", portal.ops, params={"period": "2026-09"}).json()
    mine = [invoice for invoice in view["invoices"] if invoice["organization_id"] in schools]
    assert len(mine) == 3
    assert view["totals"]["total_cents"] == sum(i["total_cents"] for i in view["invoices"])
    sheet = portal.get("/api/admin/invoices.csv", portal.ops, params={"period": "2026-09"})
    assert sheet.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(sheet.text)))) == view["totals"]["invoices"]


@pytest.mark.parametrize("body, code", [
    ({"period": "2026-13"}, "invalid_input"),
    ({"period": "11/2026"}, "invalid_input"),
    ({}, "invalid_input"),
    ({"period": 202611}, "invalid_input"),
    ({"period": "2027-02"}, "invalid_period"),  # the future
    ({"period": "2026-06"}, "invalid_period"),  # before the portal
])
def test_bad_periods_are_400(portal, body, code):
    error = error_of(portal.post("/api/admin/billing-runs", portal.ops, json=body), 400)
    assert error["code"] == code and "period" in error["fields"]


def test_billing_runs_and_other_organizations_invoices_are_not_for_everyone(portal):
    account, school = portal.coordinator_of()
    other, _ = portal.coordinator_of()
    assert error_of(portal.post("/api/admin/billing-runs", account.headers,
                                json={"period": "2026-11"}), 403)["code"] == "wrong_token_kind"
    assert error_of(portal.post("/api/admin/billing-runs", portal.partner,
                                json={"period": "2026-11"}), 403)["code"] == "wrong_token_kind"
    assert error_of(portal.get(f"/api/organizations/{school['id']}/invoices",
                               other.headers), 404)["code"] == "organization_not_found"
    assert error_of(portal.get(f"/api/organizations/{school['id']}/invoices/999999",
                               account.headers), 404)["code"] == "invoice_not_found"
    assert error_of(portal.get(f"/api/organizations/{school['id']}/invoices",
                               account.headers, params={"academic_year": "2026"}),
                    400)["code"] == "invalid_input"
    assert error_of(portal.get("/api/admin/invoices", portal.ops,
                               params={"period": "soon"}), 400)["code"] == "invalid_input"


def test_the_current_month_is_billed_once_it_is_over_in_one_invoice(portal, system):
    """January 2027 is under way (the frozen clock): its run is refused, its preview shows
    the exams so far; once January is over, one invoice holds them all."""
    account, school = portal.coordinator_of()
    _, codes = order_codes(portal, account, school["id"], 2)
    take_exam(portal, codes[0], "2027-01-05")
    wait_billable(portal, "2027-01", school["id"], 1)

    early = portal.post("/api/admin/billing-runs", portal.ops, json={"period": "2027-01"})
    error = error_of(early, 409)
    assert error["code"] == "period_not_over"
    assert "2027-01" in error["message"] and "2027-02-01" in error["message"]
    assert portal.get(f"/api/organizations/{school['id']}/invoices", account.headers,
                      params={"academic_year": YEAR}).json() == {"invoices": []}

    take_exam(portal, codes[1], "2027-01-14")  # later the same month
    wait_billable(portal, "2027-01", school["id"], 2)
    system.restart(["billing"], {"CLEP_CLOCK_NOW": "2027-02-01T15:00:00+00:00"})
    try:
        [invoice] = invoices_of(run_billing(portal, "2027-01"), school["id"])
        assert invoice["exams"] == 2 and invoice["total_cents"] == 2 * EXAM_FEE
        assert invoices_of(run_billing(portal, "2027-01"), school["id"]) == []
    finally:
        system.restart(["billing"], {"CLEP_CLOCK_NOW": NOW})
