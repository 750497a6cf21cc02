"""Billing's end-to-end steps, by name: an order's codes, a student's registration with one,
the exam it paid for, and billing runs, all through the HTTP API as the real callers make
them (coordinators, the registration and testing systems, operations)."""
import csv
import io
import time
import uuid

from tests.e2e.checks import wait_for


def wait_until(condition, message, timeout=30):
    return wait_for(condition, timeout=timeout, interval=0.1, message=message)


def order_codes(portal, account, organization_id, quantity, **fields):
    """Place an order, wait until its codes exist and download them: (order, codes)."""
    placed = portal.place_order(account, organization_id, quantity=quantity, **fields)
    assert placed.status_code == 201, placed.text
    order = portal.wait_until_fulfilled(account, organization_id, placed.json()["id"])
    download = portal.get(f"/api/organizations/{organization_id}/orders/{order['id']}"
                          "/vouchers.csv", account.headers)
    assert download.status_code == 200, download.text
    rows = list(csv.DictReader(io.StringIO(download.text)))
    return order, [row["voucher_code"] for row in rows]


def redeem(portal, code):
    """The registration system redeems a code for a student: the registration ticket."""
    response = portal.post("/api/voucher-redemptions", portal.partner, json={
        "voucher_code": code, "exam": "College Algebra",
        "student": {"id": "S-" + uuid.uuid4().hex[:8], "name": "Ada Lovelace",
                    "email": "ada@example.org"}})
    assert response.status_code == 201, response.text
    return response.json()


def report_exam(portal, code, registration_id, test_date, delivery_mode="test_center",
                result_id=None, timeout=30):
    """The testing system reports the exam the code paid for; returns its result_id.

    A real report comes days after the registration; here it may beat the redemption's
    event to the scores service, which then parks it until the redemption arrives: the
    report is sent again until it answers as recorded (a resend changes nothing), so that
    the caller goes on with the exam recorded."""
    result_id = result_id or "R-" + uuid.uuid4().hex[:12]
    body = {"results": [{
        "result_id": result_id, "exam": "College Algebra", "test_date": test_date,
        "score": 61, "delivery_mode": delivery_mode, "voucher_code": code,
        "registration_id": registration_id,
        "student": {"id": "S-1", "first_name": "Ada", "last_name": "Lovelace",
                    "email": "ada@example.org"}}]}
    deadline = time.monotonic() + timeout
    while True:
        response = portal.post("/api/exam-results", portal.partner, json=body)
        assert response.status_code == 202, response.text
        assert not response.json()["rejected"], response.text
        if not response.json()["parked"]:  # parked until the redemption arrives here
            return result_id
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)


def take_exam(portal, code, test_date, delivery_mode="test_center"):
    """Redeem the code, then take the exam with it."""
    ticket = redeem(portal, code)
    return report_exam(portal, code, ticket["registration_id"], test_date, delivery_mode)


def preview(portal, period):
    response = portal.get("/api/admin/billing-preview", portal.ops, params={"period": period})
    assert response.status_code == 200, response.text
    return {entry["organization_id"]: entry for entry in response.json()["organizations"]}


def wait_billable(portal, period, organization_id, exams, timeout=30):
    """Wait until billing holds `exams` unbilled exams of the organization for the period
    (events travel: scores -> billing); returns the preview entry."""
    def arrived():
        entry = preview(portal, period).get(organization_id)
        return entry if entry and entry["exams"] >= exams else None
    entry = wait_until(arrived, f"{exams} billable exams of organization {organization_id} "
                                f"for {period}", timeout)
    assert entry["exams"] == exams, entry
    return entry


def run_billing(portal, period):
    response = portal.post("/api/admin/billing-runs", portal.ops, json={"period": period})
    assert response.status_code == 201, response.text
    return response.json()


def invoices_of(result, organization_id):
    return [invoice for invoice in result["invoices"]
            if invoice["organization_id"] == organization_id]
