"""Redemptions per second (issue 4 target: 500/s): the registration system redeeming
distinct codes from concurrent clients, each on its own keep-alive connection; then the
testing system reporting the exams taken with those codes, in batches of 1,000 (each one
announced to vouchers and billing, unlike the self-paid results of bench/scores.py)."""
import concurrent.futures
import http.client
import json
import threading
import time

from bench.harness import report, running_system, wait_until_consumed
from bench.scores import BATCH, post_batch
from scripts.system import DEFAULT_GATEWAY_WORKERS
from services.common.clock import Clock

CLIENTS = 16
PER_RUN = 2000
RUNS = 3


def redeem_all(portal, codes):
    """Redeem every code from CLIENTS threads; returns redemptions per second."""
    host, port = portal.base_url.split("//", 1)[1].split(":")
    headers = dict(portal.partner, **{"Content-Type": "application/json"})
    queue = iter(codes)
    lock = threading.Lock()
    failures = []

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                code = next(queue, None)
            if code is None:
                break
            body = json.dumps({"voucher_code": code, "exam": "College Algebra", "student": {
                "id": "S-" + code[-6:], "name": "Bench Student", "email": "s@example.org"}})
            connection.request("POST", "/api/voucher-redemptions", body, headers)
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                failures.append(response.status)
        connection.close()

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client) for _ in range(CLIENTS)]:
            future.result()
    seconds = time.perf_counter() - started
    assert not failures, "{} redemptions failed: {}".format(len(failures), set(failures))
    return len(codes) / seconds


# (database, vouchers processes, gateway processes): as `make run` runs them, and, on
# PostgreSQL, with one gateway process, where each call to vouchers gathers twice as many
# redemptions (gateway/gathered_calls.py)
CONFIGURATIONS = (("sqlite", 1, DEFAULT_GATEWAY_WORKERS),
                  ("postgresql", 2, DEFAULT_GATEWAY_WORKERS),
                  ("postgresql", 2, 1))


def plural(count, noun):
    return "{} {}{}".format(count, noun, "" if count == 1 else "es")


def run():
    for database, vouchers, gateways in CONFIGURATIONS:
        print("redemptions on {}, {}, {}, {} concurrent clients:".format(
            database, plural(vouchers, "vouchers process"), plural(gateways, "gateway process"),
            CLIENTS), flush=True)
        with running_system(database, voucher_workers=vouchers,
                            gateway_workers=gateways) as (system, portal):
            portal.set_fees()
            account, school = portal.coordinator_of()
            order = portal.place_order(account, school["id"],
                                       quantity=PER_RUN * RUNS + 500).json()
            portal.wait_until_fulfilled(account, school["id"], order["id"])
            codes = portal.voucher_codes(account, school["id"], order["id"])
            redeem_all(portal, codes[:500])  # warm up
            rates = [redeem_all(portal, codes[500 + run * PER_RUN:500 + (run + 1) * PER_RUN])
                     for run in range(RUNS)]
            report("redemptions per second", rates, 500, unit="/s", higher_is_better=True)

            wait_until_consumed(system)  # scores knows every redemption
            redeemed = codes[500:500 + RUNS * PER_RUN]
            seconds = [post_batch(portal, exams_taken_with(redeemed[start:start + BATCH]))
                       for start in range(0, len(redeemed) - BATCH + 1, BATCH)]
            report("voucher-funded results ingested per second (batches of 1,000)",
                   [BATCH / s for s in seconds], 5000, unit="/s", higher_is_better=True)


def exams_taken_with(codes):
    today = Clock().today().isoformat()
    return [{"result_id": "V-" + code, "voucher_code": code, "exam": "College Algebra",
             "student": {"id": "S-" + code[-6:], "first_name": "Bench", "last_name": "Student",
                         "email": "s@example.org"},
             "test_date": today, "score": 20 + n % 61, "delivery_mode": "test_center"}
            for n, code in enumerate(codes)]
