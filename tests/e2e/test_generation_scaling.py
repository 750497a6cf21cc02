"""Generation scaled out: two vouchers processes on PostgreSQL share an order's chunks, and
killing one of them mid-order still ends with exactly the quantity, every code once.

Each process takes one chunk at a time here (VOUCHER_CHUNK_PREFETCH=1), so that an order's
chunks are made in two rounds and the kill lands between them, with chunks in flight.
"""
import csv
import io

import pytest

from scripts.sandbox import Sandbox

from services.vouchers.generation import chunk_sizes
from tests.e2e import service_db
from tests.e2e.checks import wait_for

DATABASE = "postgresql"
VOUCHER_WORKERS = 2
CHUNKS = len(chunk_sizes(10_000))


@pytest.fixture(scope="module")
def system_env(tmp_path_factory):
    with Sandbox(DATABASE, data_dir=tmp_path_factory.mktemp("system")) as env:
        env["VOUCHER_CHUNK_PREFETCH"] = "1"
        yield env


def chunk_workers(system_env, order_id):
    return service_db.rows(system_env, "vouchers",
                           "SELECT c.chunk_no, c.worker FROM generation_chunks c "
                           "JOIN voucher_batches b ON b.id = c.batch_id "
                           "WHERE b.order_id = :order_id ORDER BY c.chunk_no",
                           order_id=order_id)


def downloaded_codes(portal, account, school, order):
    download = portal.get(f"/api/organizations/{school['id']}/orders/{order['id']}/vouchers.csv",
                          account.headers)
    assert download.status_code == 200, download.text
    return [row[0] for row in csv.reader(io.StringIO(download.text))][1:]


def test_two_processes_share_the_chunks_of_one_order(system, system_env, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    pids = {str(system.processes[name].pid) for name in ("vouchers-1", "vouchers-2")}
    order = portal.place_order(account, school["id"], quantity=10_000).json()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    workers = chunk_workers(system_env, order["id"])
    assert [chunk_no for chunk_no, _ in workers] == list(range(CHUNKS))
    assert {worker.rsplit(":", 1)[1] for _, worker in workers} == pids, workers
    codes = downloaded_codes(portal, account, school, order)
    assert len(codes) == len(set(codes)) == 10_000


def test_killing_one_of_two_processes_mid_order_still_makes_exactly_the_quantity(
        system, system_env, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=10_000).json()
    made = lambda: service_db.count_codes_of_order(system_env, order["id"])  # noqa: E731
    wait_for(lambda: made() > 0, interval=0.002)  # the first chunk is in
    system.kill_process("vouchers-1")
    at_kill = made()
    assert 0 < at_kill < 10_000, "the kill should land in the middle of generation"

    # vouchers-2 alone finishes the order: the killed process's unacknowledged chunks
    # go back to the queue, and any it had committed are not made again
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    assert made() == 10_000
    codes = downloaded_codes(portal, account, school, order)
    assert len(codes) == len(set(codes)) == 10_000
    assert len(chunk_workers(system_env, order["id"])) == CHUNKS

    system.start_process("vouchers-1")  # back to two, for whatever runs next
    system.wait_healthy(timeout=60)
