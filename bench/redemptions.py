"""Redemptions per second (issue 4 target: 500/s): the registration system redeeming
distinct codes from 16 concurrent keep-alive connections (wrk with bench/redeem_codes.lua,
each code once); then the testing system reporting the exams taken with those codes, in
batches of 1,000 (each one announced to vouchers and billing, unlike the self-paid results
of bench/scores.py)."""
import os
import tempfile

from bench.harness import WRK_THREADS, report, running_system, wait_until_consumed, wrk_load
from bench.scores import BATCH, post_batch
from scripts.system import DEFAULT_GATEWAY_WORKERS
from services.common.clock import Clock

CLIENTS = 16
RUN_SECONDS = 5
RUNS = 3
CODES_PER_RUN = 6000  # more than a run can redeem at 1,000/s: wrk must not run out
ORDER_MOST = 10_000  # vouchers in one order at most


def redeem_for(portal, system, codes, seconds):
    """Redemptions per second while wrk posts `codes`, each once, for `seconds`."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listed:
        listed.write("\n".join(codes) + "\n")
    try:
        rate, _p99 = wrk_load(
            system.base_url + "/api/voucher-redemptions", CLIENTS, seconds,
            headers=["{}: {}".format(name, value) for name, value in portal.partner.items()]
            + ["Content-Type: application/json"],
            script="redeem_codes.lua", script_args=(listed.name, WRK_THREADS))
    finally:
        os.unlink(listed.name)
    return rate


def codes_to_redeem(portal, account, school_id, count):
    """The codes of enough fulfilled orders for `count` redemptions."""
    codes = []
    while len(codes) < count:
        order = portal.place_order(account, school_id,
                                   quantity=min(ORDER_MOST, count - len(codes))).json()
        portal.wait_until_fulfilled(account, school_id, order["id"])
        codes += portal.voucher_codes(account, school_id, order["id"])
    return codes


def redeemed_codes(portal, account, school_id, codes):
    """Which of `codes` the runs redeemed, from the orders' voucher usage."""
    asked, redeemed = set(codes), []
    for order in portal.get("/api/organizations/{}/orders".format(school_id),
                            account.headers).json()["orders"]:
        page = 1
        while True:
            found = portal.voucher_usage(account, school_id, order["id"], status="redeemed",
                                         page=page, per_page=1000)["vouchers"]
            redeemed += [voucher["voucher_code"] for voucher in found
                         if voucher["voucher_code"] in asked]
            if len(found) < 1000:
                break
            page += 1
    return redeemed


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
            codes = codes_to_redeem(portal, account, school["id"], CODES_PER_RUN * (RUNS + 1))
            runs = [codes[run * CODES_PER_RUN:(run + 1) * CODES_PER_RUN]
                    for run in range(RUNS + 1)]
            redeem_for(portal, system, runs[0], 2)  # warm up
            rates = [redeem_for(portal, system, run, RUN_SECONDS) for run in runs[1:]]
            report("redemptions per second", rates, 500, unit="/s", higher_is_better=True)

            wait_until_consumed(system)  # scores knows every redemption
            redeemed = redeemed_codes(portal, account, school["id"], codes)
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
