"""Scores (issue 5 targets): exam results ingested per second through
`POST /api/exam-results` in batches of 1,000, the CSV export of 10,000 scores, and how
much the gateway's memory grows while it streams that export."""
import time
import urllib.parse
import uuid
from datetime import timedelta

import requests
from sqlalchemy import create_engine, text

from bench.harness import report, running_system, timed
from bench.process_memory import RssGrowth
from scripts.sandbox import RABBIT_API
from services.common.academic_year import AcademicYear
from services.common.clock import Clock
from services.common.config import database_url

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


def wait_until_published(system, timeout=120):
    """Seconds until the scores outbox has published every `exam_recorded`."""
    env = system.env
    url = env.get("SCORES_DATABASE_URL") or database_url({"DATA_DIR": env["CLEP_DATA_DIR"]},
                                                         "scores")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    started = time.perf_counter()
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.execute(text(
                    "SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
            if not pending or time.perf_counter() - started > timeout:
                return time.perf_counter() - started, pending
            time.sleep(0.05)
    finally:
        engine.dispose()


def wait_until_consumed(system, timeout=300):
    """Seconds until every queue of the system's vhost is empty (vouchers and billing have
    applied every `exam_recorded`), so the export is not timed against that backlog. The
    management API's counts lag a few seconds: empty twice in a row counts."""
    vhost = urllib.parse.quote(system.env["AMQP_URI"].rsplit("/", 1)[1], safe="")
    started, empty_polls = time.perf_counter(), 0
    while empty_polls < 2 and time.perf_counter() - started < timeout:
        queues = requests.get("{}/queues/{}".format(RABBIT_API, vhost), timeout=10).json()
        empty_polls = empty_polls + 1 if all(q.get("messages", 0) == 0 for q in queues) else 0
        time.sleep(1)
    return time.perf_counter() - started


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

            started = time.perf_counter()
            seconds = [post_batch(portal, results_batch(college["id"], year.first_day, days))
                       for _ in range(BATCHES)]
            published, pending = wait_until_published(system)
            total = time.perf_counter() - started
            report("results ingested per second (batches of 1,000)",
                   [BATCH / s for s in seconds], 5000, unit="/s", higher_is_better=True)
            print("  ({:,} results; every exam_recorded published {:.2f} s after the first "
                  "POST{})".format(BATCH * BATCHES, total,
                                   "" if not pending else ", {} still pending".format(pending)),
                  flush=True)

            consumed = wait_until_consumed(system)
            print("  (vouchers and billing had applied every exam_recorded {:.0f} s later)"
                  .format(consumed), flush=True)
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
