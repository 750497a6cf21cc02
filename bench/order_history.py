"""Order history under load (issue 11 target: at least 1,000 requests/s with p99 at most
50 ms from 32 connections, an organization with 20 orders), on SQLite and PostgreSQL,
beside the same read answered by a plain WSGI app on the same databases in the same run
(bench/plain_orders_app.py under gunicorn, 2 sync workers): what the bus costs."""
import contextlib
import os
import subprocess
import sys
import time

import requests

from bench.harness import report, running_system, wrk_load
from scripts.sandbox import free_port
from scripts.system import PROJECT_ROOT

ORDERS = 20
CONNECTIONS = 32
LOAD_SECONDS = 8
PLAIN_WORKERS = 2


@contextlib.contextmanager
def plain_app(env):
    """The plain app served by gunicorn in the sandbox's environment; yields its base URL."""
    address = "127.0.0.1:{}".format(free_port())
    log_path = os.path.join(env["CLEP_DATA_DIR"], "log", "plain_orders_app.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(PLAIN_WORKERS),
             "--bind", address, "bench.plain_orders_app:app"],
            cwd=PROJECT_ROOT, env=dict(os.environ, **env), stdout=log, stderr=log)
    try:
        base_url = "http://" + address
        deadline = time.monotonic() + 60
        while True:  # any answer: the workers are up (they take seconds to import)
            try:
                requests.get(base_url + "/", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None and time.monotonic() < deadline, \
                    "the plain app did not start: see " + log_path
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def run():
    for database in ("sqlite", "postgresql"):
        print("order history on {} ({} orders, {} connections):".format(
            database, ORDERS, CONNECTIONS), flush=True)
        with running_system(database) as (system, portal):
            portal.set_fees()
            account, school = portal.coordinator_of()
            placed = [portal.place_order(account, school["id"], quantity=1).json()
                      for _ in range(ORDERS)]
            for order in placed:  # every status final: both answers must be the same
                portal.wait_until_fulfilled(account, school["id"], order["id"])
            path = "/api/organizations/{}/orders".format(school["id"])
            bearer = ["Authorization: " + account.headers["Authorization"]]
            with plain_app(system.env) as plain_url:
                answers = [requests.get(base + path, headers=account.headers, timeout=30)
                           for base in (system.base_url, plain_url)]
                assert [a.status_code for a in answers] == [200, 200], answers
                assert answers[0].json() == answers[1].json(), "not the same answer"
                assert len(answers[0].json()["orders"]) == ORDERS
                assert [requests.get(base + path, headers={"Authorization": "Bearer wrong"},
                                     timeout=30).status_code
                        for base in (system.base_url, plain_url)] == [401, 401]
                gateway_rate, gateway_p99 = wrk_load(system.base_url + path, CONNECTIONS,
                                                     LOAD_SECONDS, bearer)
                plain_rate, plain_p99 = wrk_load(plain_url + path, CONNECTIONS,
                                                 LOAD_SECONDS, bearer)
            report("gateway: requests/s", [gateway_rate], 1000, unit="/s",
                   higher_is_better=True)
            report("gateway: p99 latency", [gateway_p99 * 1000], 50, unit=" ms")
            print("  plain WSGI app ({} gunicorn workers): {:.0f} requests/s, p99 {:.0f} ms; "
                  "gateway / plain: {:.2f}x the requests/s, {:.1f}x the p99".format(
                      PLAIN_WORKERS, plain_rate, plain_p99 * 1000, gateway_rate / plain_rate,
                      gateway_p99 / plain_p99), flush=True)
