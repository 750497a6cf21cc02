"""The portal's other hot reads under load (issue 11 target, as for order history: at
least 1,000 requests/s with p99 at most 50 ms from 32 connections), on SQLite and
PostgreSQL: one order, the order quote, the voucher summary, the voucher usage of one
order, the invoices list and the first page of scores. A school with 20 orders (one of
100 codes, 10 of them redeemed) and a college with 1,000 scores. The invoices list is
empty: a billing run bills only a month that is over."""
from datetime import timedelta

from bench.harness import report, running_system, wrk_load
from bench.scores import known_institution, post_batch, results_batch
from services.common.academic_year import AcademicYear
from services.common.clock import Clock

CONNECTIONS = 32
LOAD_SECONDS = 5
ORDERS = 20
REDEEMED = 10


def school_with_orders(portal):
    """(coordinator, school, the order of 100 codes with REDEEMED of them redeemed)."""
    portal.set_fees()
    account, school = portal.coordinator_of()
    placed = [portal.place_order(account, school["id"], quantity=1).json()
              for _ in range(ORDERS - 1)]
    placed.append(portal.place_order(account, school["id"], quantity=100).json())
    for order in placed:
        portal.wait_until_fulfilled(account, school["id"], order["id"])
    order = placed[-1]
    for code in portal.voucher_codes(account, school["id"], order["id"])[:REDEEMED]:
        assert portal.redeem_voucher(code).status_code == 201
    return account, school, order


def college_with_scores(portal):
    account, college = portal.coordinator_of(kind="college")
    known_institution(portal, college["id"])
    today = Clock().today()
    days = max(1, (today - AcademicYear.containing(today).first_day).days + 1)
    post_batch(portal, results_batch(college["id"], today - timedelta(days=days - 1), days))
    return account, college


def run():
    for database in ("sqlite", "postgresql"):
        print("hot reads on {} ({} connections, {} s each):".format(
            database, CONNECTIONS, LOAD_SECONDS), flush=True)
        with running_system(database) as (system, portal):
            account, school, order = school_with_orders(portal)
            scorer, college = college_with_scores(portal)
            school_path = "/api/organizations/{}".format(school["id"])
            reads = [
                ("one order", account, "{}/orders/{}".format(school_path, order["id"])),
                ("order quote", account, school_path + "/order-quote"),
                ("voucher summary", account, school_path + "/voucher-summary"),
                ("voucher usage of one order", account,
                 "{}/orders/{}/vouchers".format(school_path, order["id"])),
                ("invoices", account, school_path + "/invoices"),
                ("scores, first page", scorer,
                 "/api/organizations/{}/scores".format(college["id"])),
            ]
            for name, reader, path in reads:
                answer = portal.get(path, reader.headers)
                assert answer.status_code == 200, (path, answer.text[:300])
                rate, p99 = wrk_load(system.base_url + path, CONNECTIONS, LOAD_SECONDS,
                                     ["Authorization: " + reader.headers["Authorization"]])
                report("{}: requests/s".format(name), [rate], 1000, unit="/s",
                       higher_is_better=True)
                report("{}: p99 latency".format(name), [p99 * 1000], 50, unit=" ms")
