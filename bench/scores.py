"""Scores (issue 5 targets): self-paid exam results ingested per second through
`POST /api/exam-results` in batches of 1,000 (voucher-funded ones, which scores announces
to vouchers and billing, are measured by bench/redemptions.py), the CSV export of 10,000
scores, and how much the gateway's memory grows while it streams that export."""
import time
import uuid
from datetime import timedelta


from bench.harness import report, running_system, timed
from bench.process_memory import RssGrowth
from services.common.academic_year import AcademicYear
from services.common.clock import Clock

BATCH = 1000
BATCHES = 10  # 10,000 results: the export measured below
EXPORT_RUNS = 3


def results_batch(institution_id, first_day, days):
    """1,000 results of one institution, spread over the academic year so far."""
    return [{"result_id": "B-" + uuid.uuid4().hex,
             "student": {"id": "S-{}".format(n), "first_name": "Student",
                         "last_name": "Number {}".format(n), "email": "s{}@example.org".format(n)},
             "exam": ("College Algebra", "Biology", "American Government")[n % 3],
             "test_date": (first_day + timedelta(days=n % days)).isoformat(),
             "score": 20 + n % 61, "delivery_mode": ("test_center", "remote")[n % 2],
             "attending_institution_id": institution_id} for n in range(BATCH)]


def post_batch(portal, batch):
    started = time.perf_counter()
    response = portal.post_exam_results(batch)
    seconds = time.perf_counter() - started
    answer = response.json()
    assert response.status_code == 202 and answer["recorded"] == BATCH, response.text[:500]
    return seconds


def export_csv(portal, account, organization_id):
    rows = 0
    with portal.get("/api/organizations/{}/scores.csv".format(organization_id),
                    account.headers, stream=True) as response:
        assert response.status_code == 200, response.text
        for chunk in response.iter_content(64 * 1024):
            rows += chunk.count(b"\n")
    return rows - 1  # the header


def known_institution(portal, organization_id):
    """Wait until the scores service knows the organization (its event is on the way)."""
    probe = results_batch(organization_id, Clock().today(), 1)[:1]
    answer = portal.record_exam_results(probe)
    assert answer["accepted"] == 1, answer


def run():
    for database in ("sqlite", "postgresql"):
        print("scores on {}:".format(database), flush=True)
        with running_system(database, gateway_workers=1) as (system, portal):  # one RSS
            today = Clock().today()
            year = AcademicYear.containing(today)
            days = max(1, (today - year.first_day).days + 1)
            warm_account, warm_college = portal.coordinator_of(kind="college")
            account, college = portal.coordinator_of(kind="college")
            known_institution(portal, warm_college["id"])
            known_institution(portal, college["id"])
            post_batch(portal, results_batch(warm_college["id"], year.first_day, days))

            seconds = [post_batch(portal, results_batch(college["id"], year.first_day, days))
                       for _ in range(BATCHES)]
            report("self-paid results ingested per second (batches of 1,000)",
                   [BATCH / s for s in seconds], 5000, unit="/s", higher_is_better=True)
            gateway = system.processes["gateway"].pid
            export_csv(portal, account, college["id"])  # warm up
            exports, growth = [], []
            for _ in range(EXPORT_RUNS):
                with RssGrowth(gateway) as memory:
                    elapsed, rows = timed(lambda: export_csv(portal, account, college["id"]))
                assert rows >= BATCH * BATCHES, rows
                exports.append(elapsed)
                growth.append(memory.growth_mb)
            report("CSV export of {:,} scores".format(rows), exports, 0.5)
            report("gateway RSS growth while streaming it", growth, 10, unit=" MB")
