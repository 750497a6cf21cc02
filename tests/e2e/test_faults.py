"""Each service SIGKILLed in the middle of its work, then restarted: nothing is lost and
nothing is done twice, and afterwards no message waits in a queue.

Every service is on PostgreSQL, so that the test can make the kill land exactly where it
wants: it holds, in a transaction of its own, a row or a key the service's next step
needs, waits until the service is blocked on it, kills the service, then lets go. The
program clock is frozen on January 15, 2027 (academic year 2026-27), so that November
2026 can be billed and next year's (2027-28) access codes issued.
"""
import concurrent.futures
import csv
import subprocess
import sys
import uuid

import pytest

from tests.e2e.billing_flow import order_codes, redeem, take_exam, wait_billable
from tests.e2e.checks import wait_for
from tests.e2e.fault_points import order_half_made, wait_until_blocked
from tests.e2e.service_db import count_codes_of_order, events, held, rows, scalar
from tests.e2e.settled import assert_settled

NOW = "2027-01-15T15:00:00+00:00"
YEAR, NEXT_YEAR = "2026-27", "2027-28"


DATABASE = "postgresql"
MAIL = True
# one chunk at a time, so that an order is still half made when the test holds a chunk
SETTINGS = {"CLEP_CLOCK_NOW": NOW, "VOUCHER_CHUNK_PREFETCH": "1"}


@pytest.fixture
def portal(portal):
    portal.academic_year = YEAR
    portal.set_fees()
    return portal


def kill_while_blocked(system, system_env, service):
    """Wait until the service waits on the test's lock, then SIGKILL it."""
    wait_until_blocked(system_env, service)
    system.kill_process(service)


def restart(system, process):
    system.start_process(process)
    system.wait_healthy(timeout=90)


def test_vouchers_killed_mid_order_make_exactly_the_quantity(system, system_env, portal):
    account, school = portal.coordinator_of()
    with order_half_made(portal, system_env, account, school["id"]) as (order, batch_id):
        system.kill_process("vouchers-1")
    at_kill = count_codes_of_order(system_env, order["id"])
    assert 0 < at_kill < 10000

    restart(system, "vouchers-1")
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    codes = portal.voucher_codes(account, school["id"], order["id"])
    assert len(codes) == len(set(codes)) == 10000
    assert count_codes_of_order(system_env, order["id"]) == 10000
    chunks = rows(system_env, "vouchers", "SELECT count(*), sum(size) FROM generation_chunks"
                  " WHERE batch_id = :b AND generated_at IS NOT NULL", b=batch_id)
    assert tuple(chunks[0]) == (4, 10000)
    chunk_events = [payload for payload in events(system_env, "vouchers",
                                                  "voucher_chunk_generated")
                    if payload["order_id"] == order["id"]]
    assert sorted(payload["chunk_no"] for payload in chunk_events) == [0, 1, 2, 3]
    assert sum(payload["count"] for payload in chunk_events) == 10000
    announced = [payload for payload in events(system_env, "vouchers", "vouchers_generated")
                 if payload["order_id"] == order["id"]]
    assert len(announced) == 1
    assert_settled(system_env)


def test_scores_killed_mid_ingestion_store_each_result_once(system, system_env, portal,
                                                            tmp_path):
    account, school = portal.coordinator_of()
    _order, codes = order_codes(portal, account, school["id"], 40)  # 40 voucher-funded exams
    for code in codes:
        redeem(portal, code)
    wait_for(lambda: scalar(system_env, "scores", "SELECT count(*) FROM voucher_redemptions"
                            " WHERE organization_id = :i", i=school["id"]) == len(codes))
    prefix = "F-" + uuid.uuid4().hex[:8]
    results = tmp_path / "results.csv"
    with open(results, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["result_id", "student_id", "first_name", "last_name", "email", "exam",
                         "test_date", "score", "delivery_mode", "attending_institution_id",
                         "voucher_code"])
        for n in range(1000):
            writer.writerow([f"{prefix}-{n:04d}", f"S{n:05d}", "Ada", "Lovelace",
                             "ada@example.org", "College Algebra", "2026-11-10", 50 + n % 30,
                             "test_center", school["id"], codes[n] if n < len(codes) else ""])

    # the testing system's load: four batches of 250; the third waits on a result the test
    # is inserting, and scores is killed there
    with held(system_env, "scores",
              "INSERT INTO exam_results (result_id, student_id, first_name, last_name, email,"
              " exam, test_date, academic_year, score, passed, delivery_mode, recorded_at)"
              " VALUES (:r, 'S', 'A', 'B', 'a@example.org', 'College Algebra', '2026-11-10',"
              " '2026-27', 50, true, 'test_center', now())", r=f"{prefix}-0600"):
        load = subprocess.Popen(
            [sys.executable, "-m", "services.scores.cli", "load-results", str(results),
             "--batch-size", "250"],
            cwd=str(system.project_root), env=system._merged_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        kill_while_blocked(system, system_env, "scores")
    stored = lambda: scalar(system_env, "scores", "SELECT count(*) FROM exam_results"
                            " WHERE result_id LIKE :p", p=prefix + "%")  # noqa: E731
    assert stored() == 500  # the first two batches

    restart(system, "scores")
    output, _ = load.communicate(timeout=120)
    assert load.returncode == 0, output
    assert "1,000 rows, 1,000 accepted" in output

    assert stored() == 1000
    recorded = [payload for payload in events(system_env, "scores", "exam_recorded")
                if payload["result_id"].startswith(prefix)]
    assert sorted(payload["result_id"] for payload in recorded) == [  # once each
        f"{prefix}-{n:04d}" for n in range(len(codes))]
    listed = portal.scores(account, school["id"], academic_year=YEAR)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1000
    assert_settled(system_env)


def test_billing_killed_mid_run_bills_each_exam_once(system, system_env, portal):
    schools = []
    for _ in range(2):
        account, school = portal.coordinator_of()
        _order, codes = order_codes(portal, account, school["id"], 2)
        take_exam(portal, codes[0], "2026-11-05")
        take_exam(portal, codes[1], "2026-11-20")
        wait_billable(portal, "2026-11", school["id"], 2)
        schools.append((account, school))
    last = max(school["id"] for _, school in schools)

    # operations starts the run; billing is killed while it bills the second organization
    operator = concurrent.futures.ThreadPoolExecutor(1)
    with held(system_env, "billing", "SELECT organization_id FROM billing_organizations"
              " WHERE organization_id = :o FOR UPDATE", o=last):
        interrupted = operator.submit(portal.post, "/api/admin/billing-runs", portal.ops,
                                      json={"period": "2026-11"}, timeout=180)
        kill_while_blocked(system, system_env, "billing")
    # the run's request was not acknowledged: the restarted service takes it again, and the
    # operator, still waiting (billing runs get minutes), is answered by it
    restart(system, "billing")
    answer = interrupted.result()
    operator.shutdown()
    assert answer.status_code == 201, answer.text
    mine = {school["id"] for _, school in schools}  # other tests' exams are billed too
    billed = {invoice["organization_id"]: invoice["exams"] for invoice in
              answer.json()["invoices"] if invoice["organization_id"] in mine}
    assert billed == {organization_id: 2 for organization_id in mine}
    for account, school in schools:
        listed = portal.get(f"/api/organizations/{school['id']}/invoices", account.headers,
                            params={"academic_year": YEAR})
        assert listed.status_code == 200, listed.text
        [invoice] = listed.json()["invoices"]
        assert invoice["exams"] == 2
        issued = [payload for payload in events(system_env, "billing", "invoice_issued")
                  if payload["organization_id"] == school["id"]]
        assert len(issued) == 1
    again = portal.post("/api/admin/billing-runs", portal.ops, json={"period": "2026-11"})
    assert again.status_code == 201, again.text
    assert not [invoice for invoice in again.json()["invoices"] if invoice["organization_id"]
                in billed]
    assert_settled(system_env)


def test_access_killed_mid_code_run_issues_and_mails_each_code_once(system, system_env,
                                                                     portal, smtp):
    coordinators = []
    for _ in range(3):
        account, school = portal.coordinator_of()
        assert portal.place_order(account, school["id"], quantity=1).status_code == 201
        coordinators.append((account, school))
    ids = ",".join(str(school["id"]) for _, school in coordinators)
    wait_for(lambda: scalar(system_env, "access", "SELECT count(*) FROM ordering_organizations"
                            f" WHERE organization_id IN ({ids})") == 3)

    # the run issues the codes, then mails them: the mail server takes the first of these
    # three and holds the second, and access is killed there (their order confirmations
    # are in first, so that only the run's mail meets the gate)
    emails = [account.email for account, _ in coordinators]
    for email in emails:
        smtp.wait_for(lambda mail, email=email: email in mail["To"])
    smtp.hold(emails, passing=1)
    started = portal.start_access_code_run(NEXT_YEAR)
    assert started.status_code == 202, started.text
    wait_for(smtp.holding, timeout=60, message="the run never mailed the second code")
    system.kill_process("access")
    smtp.release()

    restart(system, "access")  # the run's work item was not acknowledged: it goes on

    def finished():
        run = portal.get(f"/api/admin/access-code-runs/{started.json()['id']}", portal.ops)
        return run.json() if run.status_code == 200 and \
            run.json()["status"] != "running" else None
    run = wait_for(finished, timeout=60)
    assert run["status"] == "finished", run
    assert run["codes_issued"] == run["organizations"] == run["mailed"] >= 3, run
    assert scalar(system_env, "access", "SELECT count(*) FROM access_codes WHERE"
                  f" academic_year = :y AND organization_id IN ({ids})", y=NEXT_YEAR) == 3
    recipients = [mail["To"] for mail in smtp.messages() if NEXT_YEAR in mail["Subject"]]
    assert sorted(recipients) == sorted(set(recipients)), "a code was mailed twice"
    assert len(recipients) == run["mailed"]
    assert set(emails) <= set(recipients)
    assert_settled(system_env)
