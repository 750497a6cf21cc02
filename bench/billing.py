"""A billing run over 100,000 billable exams of 1,000 organizations (issue 6 target: < 10 s).

The billable exams are loaded straight into the billing service's own database (as its
consumers would have stored them: organizations with a billing contact, two orders each,
100 exams each in last month, half of them remote); the run is timed through its real
entrypoint, `POST /api/admin/billing-runs`, gateway -> billing RPC -> database, until the
201 with every invoice has arrived. Then the same period again (nothing left to bill).
"""
import random
from datetime import date, datetime, timezone

from sqlalchemy import create_engine, insert

from bench.harness import report, running_system, timed
from services.billing.models import BillableExam, BillingOrder, BillingOrganization
from services.billing.periods import previous_period
from services.common.clock import Clock
from services.common.config import database_url

ORGANIZATIONS = 1000
EXAMS_EACH = 100
EXAM_FEE, REMOTE_FEE = 9300, 3000
ROWS_PER_INSERT = 10_000


def billing_url(env):
    return env.get("BILLING_DATABASE_URL") or database_url(
        {"DATA_DIR": env["CLEP_DATA_DIR"]}, "billing")


def load_billable_exams(url, period):
    """1,000 organizations, 2,000 orders, 100,000 exams of `period`; returns the total."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    now = datetime.now(timezone.utc)
    days = (period.last_day - period.first_day).days + 1
    rng = random.Random(6)
    organizations, orders, exams, total = [], [], [], 0
    for org in range(1, ORGANIZATIONS + 1):
        organizations.append({
            "organization_id": org, "name": f"School {org}", "state": "MI",
            "state_funded": False, "registered": True, "billing_name": "Bill Payer",
            "billing_email": f"bills-{org}@example.org", "billing_phone": "313-555-0100",
            "updated_at": now})
        for covers in (True, False):
            order_id = org * 2 + covers
            orders.append({"order_id": order_id, "organization_id": org,
                           "academic_year": "2026-27", "covers_remote_proctoring": covers,
                           "exam_fee_cents": EXAM_FEE, "remote_proctoring_fee_cents": REMOTE_FEE,
                           "po_number": f"PO-{order_id}", "updated_at": now})
        for number in range(EXAMS_EACH):
            covers, remote = bool(number % 2), rng.random() < 0.5
            amount = EXAM_FEE + (REMOTE_FEE if covers and remote else 0)
            total += amount
            exams.append({
                "result_id": f"R-{org}-{number}", "voucher_code": f"V{org:05d}{number:05d}",
                "registration_id": f"{org}-{number}", "order_id": org * 2 + covers,
                "organization_id": org, "exam": "College Algebra",
                "test_date": date.fromordinal(period.first_day.toordinal() + number % days),
                "delivery_mode": "remote" if remote else "test_center",
                "academic_year": "2026-27", "exam_fee_cents": EXAM_FEE,
                "remote_proctoring_fee_cents": amount - EXAM_FEE, "amount_cents": amount,
                "void_reason": None, "invoice_id": None, "recorded_at": now})
    with engine.begin() as connection:
        connection.execute(insert(BillingOrganization.__table__), organizations)
        connection.execute(insert(BillingOrder.__table__), orders)
        for start in range(0, len(exams), ROWS_PER_INSERT):
            connection.execute(insert(BillableExam.__table__),
                               exams[start:start + ROWS_PER_INSERT])
    engine.dispose()
    return total


def billing_run(portal, period):
    response = portal.post("/api/admin/billing-runs", portal.ops, json={"period": str(period)},
                           timeout=300)
    assert response.status_code == 201, response.text
    return response.json()


def run():
    # the month before last: the billing timer bills last month by itself, not this one
    period = previous_period(previous_period(Clock().today()).first_day)
    for database in ("sqlite", "postgresql"):
        print("billing on {} (100,000 billable exams of {}, 1,000 organizations):".format(
            database, period), flush=True)
        with running_system(database) as (system, portal):
            seconds, total = timed(lambda: load_billable_exams(billing_url(system.env), period))
            print("  (loaded into billing's database in {:.1f}s)".format(seconds), flush=True)
            seconds, result = timed(lambda: billing_run(portal, period))
            assert result["run"]["invoices_issued"] == ORGANIZATIONS, result["run"]
            assert result["run"]["exams_billed"] == ORGANIZATIONS * EXAMS_EACH, result["run"]
            assert result["run"]["total_cents"] == total, (result["run"], total)
            report("billing run, 100,000 exams -> 1,000 invoices", [seconds], 10.0)
            again, result = timed(lambda: billing_run(portal, period))
            assert result["invoices"] == []
            report("the same period again (bills nothing)", [again], 10.0)
