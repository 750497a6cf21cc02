"""Generation scaled out: 100,000 vouchers across ten orders placed at once, with one, two
and four vouchers processes on PostgreSQL, and the peak resident size of each vouchers
process while it generates them. On one two-core machine the processes share the cores
with PostgreSQL, RabbitMQ and the rest of the system: these figures show that the work
spreads and what one process costs, not how it scales across machines (README, "Scale")."""
import concurrent.futures
import time

from bench.harness import report, running_system
from bench.process_memory import status_kb

ORDERS = 10
QUANTITY = 10_000
RUNS = 3


def statuses(portal, account, organization_id):
    response = portal.get("/api/organizations/{}/orders".format(organization_id),
                          account.headers)
    return {order["id"]: order["status"] for order in response.json()["orders"]}


def ten_orders_to_fulfilled(portal, account, organization_id):
    """Seconds from the first POST until all ten orders are fulfilled (one list call per
    poll, so that polling costs the system little)."""
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(ORDERS) as pool:
        placed = list(pool.map(lambda _: portal.place_order(
            account, organization_id, quantity=QUANTITY).json(), range(ORDERS)))
    ids = {order["id"] for order in placed}
    while True:
        current = statuses(portal, account, organization_id)
        if all(current.get(order_id) == "fulfilled" for order_id in ids):
            return time.perf_counter() - started
        time.sleep(0.02)


def run():
    for workers in (1, 2, 4):
        print("generation on postgresql, {} vouchers process{}:".format(
            workers, "" if workers == 1 else "es"), flush=True)
        with running_system("postgresql", voucher_workers=workers) as (system, portal):
            portal.set_fees()
            account, school = portal.coordinator_of()
            portal.wait_until_fulfilled(account, school["id"], portal.place_order(
                account, school["id"], quantity=2000).json()["id"])  # warm up
            samples = []
            for _ in range(RUNS):
                # a school per run keeps each history to the run's ten orders
                account, school = portal.coordinator_of()
                samples.append(ten_orders_to_fulfilled(portal, account, school["id"]))
            report("100,000 vouchers in ten orders, first POST to all fulfilled", samples,
                   5.0)
            report("the same, in vouchers generated per second",
                   [ORDERS * QUANTITY / seconds for seconds in samples], 20_000, unit="/s",
                   higher_is_better=True)
            for n in range(1, workers + 1):
                peak = status_kb(system.processes["vouchers-{}".format(n)].pid, "VmHWM")
                report("vouchers-{} peak RSS (VmHWM) after {:,} codes".format(
                    n, (RUNS * ORDERS * QUANTITY)), [peak / 1024], 150, unit=" MB")
