"""Rolling restarts under a steady load (issue 12): each gateway process, then each
vouchers process, is stopped with SIGTERM, waited for, started again and waited for until
ready, one at a time, while client threads keep sending requests on keep-alive
connections. Not one request may fail, and orders placed while the vouchers processes
restart are made exactly.

Also: a gateway process that gets SIGTERM with its worker pool full answers every request
it holds and exits within its bound (services/common/graceful.py).
"""
import http.client
import os
import threading
import time
import uuid
from urllib.parse import quote

import requests

from scripts.sandbox import RABBIT_API
from services.vouchers.generation import chunk_sizes
from tests.e2e import service_db
from tests.e2e.checks import wait_for
from tests.e2e.gateway_processes import _server_end_inode, _socket_inodes
from tests.e2e.settled import vhost_of

DATABASE = "postgresql"
GATEWAY_WORKERS = 2
VOUCHER_WORKERS = 2
GATEWAY_MAX_WORKERS = 8
SETTINGS = {
    "CLEP_CACHE_SECONDS": "0",  # every request asks the services: RPCs cross the restarts
    "VOUCHER_CHUNK_PREFETCH": "1",  # a process holds one chunk: others wait in the queue
    "CLEP_GATEWAY_MAX_WORKERS": str(GATEWAY_MAX_WORKERS),
    "CLEP_DRAIN_SECONDS": "3",  # room for the test to see the draining readiness
}
GATEWAYS = ("gateway", "gateway-2")
VOUCHERS = ("vouchers-1", "vouchers-2")
CLIENTS = 4
CHUNK_QUEUE = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"
OVERDUE = "still stopping"  # services/common/graceful.py's line when the bound kills work


class SteadyLoad:
    """CLIENTS threads, each with a keep-alive session of its own, sending a cheap
    authenticated read, a read from the vouchers service and now and then a write, until
    stopped. Every answer that is not the expected status, and every error (a connection
    reset, a timeout), is a failure: nothing is retried."""

    def __init__(self, base_url, account, school, order):
        orders = f"{base_url}/api/organizations/{school['id']}/orders"
        self.steps = [
            ("GET", orders, None),
            ("GET", f"{base_url}/api/organizations/{school['id']}/voucher-summary", None),
            ("GET", orders, None),
            ("PATCH", f"{orders}/{order['id']}", "po_number"),
        ]
        self.headers = account.headers
        self.answered = []  # (monotonic time, method)
        self.failures = []
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True)
                         for n in range(CLIENTS)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self, number):
        session = requests.Session()
        step = 0
        while not self._stopping.is_set():
            method, url, body = self.steps[step % len(self.steps)]
            step += 1
            json = {"po_number": f"PO-{number}-{step}"} if body else None
            try:
                response = session.request(method, url, headers=self.headers, json=json,
                                           timeout=30)
            except requests.RequestException as error:
                self.failures.append(f"{method} {url}: {error!r}")
                continue
            if response.status_code != 200:
                self.failures.append(f"{method} {url}: {response.status_code} "
                                     f"{response.text[:200]}")
            self.answered.append((time.monotonic(), method))
            time.sleep(0.01)

    def answered_since(self, moment):
        return sum(1 for at, _method in self.answered if at >= moment)


def connection_to(system, name, path="/health/live"):
    """A keep-alive connection served by the gateway process `name`, after one request on
    it answered 200; None if the kernel gave the connection to another process."""
    host, port = system.base_url.split("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        inode = _server_end_inode(connection.sock.getsockname()[1], int(port))
        if response.status == 200 and inode in _socket_inodes(system.processes[name].pid):
            return connection
    except OSError:
        pass
    connection.close()
    return None


def gateway_ready(system, name):
    connection = connection_to(system, name, "/health/ready")
    if connection is not None:
        connection.close()
    return connection is not None


def chunk_consumers(system_env):
    response = requests.get("{}/queues/{}/{}".format(
        RABBIT_API, quote(vhost_of(system_env), safe=""), quote(CHUNK_QUEUE, safe="")),
        timeout=10)
    response.raise_for_status()
    return response.json().get("consumers", 0)


def test_rolling_restarts_under_load_fail_no_request(system, system_env, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    first = portal.place_order(account, school["id"], quantity=1).json()
    placed = []

    with SteadyLoad(system.base_url, account, school, first) as load:
        wait_for(lambda: load.answered_since(0) >= 20, timeout=30)

        for name in GATEWAYS:
            # a client on a keep-alive connection to the stopping process is answered and
            # told to close it; the process says it is not ready
            held = wait_for(lambda: connection_to(system, name), timeout=30)
            began, logged = time.monotonic(), log_size(system, name)
            system.processes[name].terminate()
            wait_for(lambda: told_to_close(held), timeout=5, interval=0.02)
            held.close()
            assert wait_for(lambda: draining_readiness(system), timeout=5,
                            interval=0.01) == (503, "close")
            assert system.stop_process(name) == 0
            assert OVERDUE not in log_of(system, name, logged)  # it stopped within its bound
            assert load.answered_since(began) > 0
            system.start_process(name)
            wait_for(lambda: gateway_ready(system, name), timeout=60)

        for name in VOUCHERS:
            order = portal.place_order(account, school["id"], quantity=10_000).json()
            placed.append(order)
            made = lambda: service_db.count_codes_of_order(system_env, order["id"])  # noqa: E731
            wait_for(lambda: made() > 0, interval=0.005)  # its first chunk is in
            assert made() < 10_000  # the others are in flight or waiting in the queue
            logged = log_size(system, name)
            assert system.stop_process(name) == 0
            assert OVERDUE not in log_of(system, name, logged)
            system.start_process(name)
            wait_for(lambda: chunk_consumers(system_env) == len(VOUCHERS), timeout=60)

        for order in placed:
            portal.wait_until_fulfilled(account, school["id"], order["id"])
        served = load.answered_since(0)

    assert load.failures == [], f"{len(load.failures)} of {served} requests failed: " \
                                f"{load.failures[:10]}"
    assert served > 100
    for order in placed:
        assert service_db.count_codes_of_order(system_env, order["id"]) == 10_000
        codes = portal.voucher_codes(account, school["id"], order["id"])
        assert len(codes) == len(set(codes)) == 10_000
        chunks = service_db.scalar(
            system_env, "vouchers", "SELECT count(*) FROM generation_chunks c JOIN "
            "voucher_batches b ON b.id = c.batch_id WHERE b.order_id = :o"
            " AND c.generated_at IS NOT NULL", o=order["id"])
        assert chunks == len(chunk_sizes(10_000))


def log_size(system, name):
    return os.path.getsize(system.log_path(name))


def log_of(system, name, since):
    """What the process logged from byte `since` on (its log spans its restarts)."""
    with open(system.log_path(name), "rb") as log:
        log.seek(since)
        return log.read().decode("utf-8", errors="replace")


def told_to_close(connection):
    """Whether the answer to a request on this keep-alive connection says it closes."""
    connection.request("GET", "/health/live")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    return response.getheader("Connection") == "close"


def draining_readiness(system):
    """(status, Connection header) of /health/ready, on a new connection, if a process
    draining answered it (the one stopping: the others are not); None otherwise."""
    host, port = system.base_url.split("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/health/ready")
        response = connection.getresponse()
        if b'"draining"' in response.read():
            return response.status, response.getheader("Connection")
        return None
    finally:
        connection.close()


def test_sigterm_with_the_worker_pool_full_answers_every_request(system, system_env, portal):
    """GATEWAY_MAX_WORKERS requests wait in the orders service on a row the test holds,
    a few more wait in the gateway for a worker; the gateway gets SIGTERM; then the row is
    let go. Every request is answered, and the process exits by itself within its bound."""
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=1).json()
    name = GATEWAYS[0]
    connections = []
    for _attempt in range(200):
        if len(connections) == GATEWAY_MAX_WORKERS + 4:
            break
        connection = connection_to(system, name)
        if connection is not None:
            connections.append(connection)
    assert len(connections) == GATEWAY_MAX_WORKERS + 4
    path = f"/api/organizations/{school['id']}/orders/{order['id']}"
    statuses = []

    def change(connection, number):
        try:
            connection.request("PATCH", path, body=f'{{"po_number": "PO-{number}"}}',
                               headers=dict(account.headers,
                                            **{"Content-Type": "application/json"}))
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except OSError as error:
            statuses.append(repr(error))

    with service_db.held(system_env, "orders", "SELECT id FROM orders WHERE id = :o "
                         "FOR UPDATE", o=order["id"]):
        threads = [threading.Thread(target=change, args=(connection, uuid.uuid4().hex[:8]))
                   for connection in connections]
        for thread in threads:
            thread.start()
        # the pool is full: as many requests wait on the row as the gateway has workers
        wait_for(lambda: service_db.waiting_on_a_lock(system_env, "orders")
                 >= GATEWAY_MAX_WORKERS - 2, timeout=30)  # (a timer may hold a worker)
        logged = log_size(system, name)
        system.processes[name].terminate()
        # the SIGTERM arrives while they wait: the process says it drains
        wait_for(lambda: "draining:" in log_of(system, name, logged), timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    returncode = system.stop_process(name)
    try:
        assert statuses == [200] * len(connections)
        assert returncode == 0 and OVERDUE not in log_of(system, name, logged)
    finally:
        system.start_process(name)
        wait_for(lambda: gateway_ready(system, name), timeout=60)
