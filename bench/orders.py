"""A 10,000-voucher order from POST to fulfilled, its CSV download, and how much the
gateway grows while it streams that CSV (issue 4 targets; issue 11 brought the order's
to 0.3 s)."""
import time

from bench.harness import report, running_system, timed
from bench.process_memory import RssGrowth

RUNS = 3


def order_to_fulfilled(portal, account, organization_id, quantity):
    started = time.perf_counter()
    order = portal.place_order(account, organization_id, quantity=quantity).json()
    while portal.order(account, organization_id, order["id"]).json()["status"] != "fulfilled":
        time.sleep(0.005)
    return time.perf_counter() - started, order


def download_csv(portal, account, organization_id, order_id):
    response = portal.get("/api/organizations/{}/orders/{}/vouchers.csv".format(
        organization_id, order_id), account.headers)
    assert response.status_code == 200
    return response.content.count(b"\n") - 1


def run():
    for database in ("sqlite", "postgresql"):
        print("orders on {} (one vouchers process):".format(database), flush=True)
        with running_system(database, gateway_workers=1) as (system, portal):  # one RSS
            portal.set_fees()
            account, school = portal.coordinator_of()
            _, warm = order_to_fulfilled(portal, account, school["id"], 1000)  # warm up
            download_csv(portal, account, school["id"], warm["id"])
            gateway = system.processes["gateway"].pid
            fulfilled, downloads, growth = [], [], []
            for _ in range(RUNS):
                seconds, order = order_to_fulfilled(portal, account, school["id"], 10_000)
                fulfilled.append(seconds)
                with RssGrowth(gateway) as memory:
                    seconds, rows = timed(lambda: download_csv(portal, account, school["id"],
                                                               order["id"]))
                assert rows == 10_000, rows
                downloads.append(seconds)
                growth.append(memory.growth_mb)
            report("10,000-voucher order, POST to fulfilled", fulfilled, 0.3)
            report("CSV download of 10,000 codes", downloads, 0.3)
            report("gateway RSS growth while streaming that CSV", growth, 10, unit=" MB")
