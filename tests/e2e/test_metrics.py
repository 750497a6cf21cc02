"""Every process of the system exports its Prometheus metrics on its own probe address, and
one order shows in each: the gateway's request and RPC, the orders service's RPC worker,
the codes the vouchers processes made, and the events each consumer it reached applied."""
import os

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from scripts.sandbox import free_port
from scripts.system import System
from tests.e2e.checks import wait_for

QUANTITY = 2600  # two chunks: 2,500 and 100
ORDERS_ROUTE = "/api/organizations/<int:org_id>/orders"


@pytest.fixture(scope="module")
def system(system_env):
    running = System(env=system_env, log_dir=os.path.join(system_env["CLEP_DATA_DIR"], "log"))
    running.probe_addresses = {name: "127.0.0.1:{}".format(free_port())
                               for name in running.names}
    running.start()
    try:
        running.wait_healthy(timeout=90)
        yield running
    finally:
        running.stop()


def scrape(system, name):
    """{(sample name, frozenset of its labels): value} of one process's /metrics."""
    answer = requests.get("http://{}/metrics".format(system.probe_addresses[name]), timeout=10)
    assert answer.status_code == 200, (name, answer.text)
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def comes_to(get, expected, timeout=30):
    """Poll `get()` until it equals `expected` (the consumers an order reaches apply its
    events on their own time); fail showing the difference otherwise."""
    try:
        wait_for(lambda: get() == expected, timeout=timeout)
    except AssertionError:
        assert get() == expected


def sample(name, **labels):
    return name, frozenset(labels.items())


def event_applied(consumer, event_type):
    return sample("clep_events_applied_total", consumer=consumer, event_type=event_type)


def rpc_worker(service, entrypoint):
    return sample("clep_worker_seconds_count", service=service, kind="rpc",
                  entrypoint=entrypoint)


# what one order (of QUANTITY codes, in two chunks) adds to each process's figures
ORDER_ADDS = {
    "gateway": {
        sample("clep_http_request_seconds_count", route=ORDERS_ROUTE, method="POST",
               code="201"): 1,
        sample("clep_rpc_call_seconds_count", service="orders", method="place_order"): 1},
    "orders": {
        rpc_worker("orders", "place_order"): 1,
        event_applied("mail_order_confirmation", "order_placed"): 1,
        event_applied("count_generated_vouchers", "voucher_chunk_generated"): 2,
        event_applied("mark_fulfilled", "vouchers_generated"): 1},
    "vouchers-1": {
        sample("clep_vouchers_generated_total"): QUANTITY,
        event_applied("plan_generation", "order_placed"): 1,
        event_applied("generate_chunk", "generation_chunk_queued"): 2},
    "access": {event_applied("remember_ordering_organization", "order_placed"): 1},
    "billing": {event_applied("keep_order", "order_placed"): 1},
    # the order does not reach scores: the coordinator's look at the scores tab does
    "scores": {rpc_worker("scores", "list_scores"): 1},
}


def test_every_process_exports_the_figures_of_an_order(system, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    before = {name: scrape(system, name) for name in ORDER_ADDS}

    placed = portal.place_order(account, school["id"], quantity=QUANTITY)
    assert placed.status_code == 201, placed.text
    portal.wait_until_fulfilled(account, school["id"], placed.json()["id"])
    assert portal.scores(account, school["id"]).status_code == 200

    def added():
        now = {name: scrape(system, name) for name in ORDER_ADDS}
        return {name: {key: now[name].get(key, 0) - before[name].get(key, 0)
                       for key in expected} for name, expected in ORDER_ADDS.items()}

    comes_to(added, ORDER_ADDS)


def test_every_service_reports_its_store_and_vouchers_its_chunk_queue(system, portal):
    account, school = portal.coordinator_of()
    placed = portal.place_order(account, school["id"], quantity=10)
    portal.wait_until_fulfilled(account, school["id"], placed.json()["id"])

    def store_figures():
        return {service: (figures.get(sample("clep_outbox_oldest_unsent_seconds",
                                             service=service)),
                          figures.get(sample("clep_failed_events", service=service)))
                for service, figures in ((name.partition("-")[0], scrape(system, name))
                                         for name in system.names if name != "gateway")}

    # everything the order caused is published (no unsent event left) and nothing is kept
    nothing_waits = {service: (0, 0) for service in
                     ("access", "orders", "vouchers", "scores", "billing")}
    comes_to(store_figures, nothing_waits)

    vouchers = scrape(system, "vouchers-1")
    queue = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"
    # every chunk was taken; one process consumes the queue
    assert vouchers[sample("clep_chunk_queue_messages", queue=queue)] == 0
    assert vouchers[sample("clep_chunk_queue_consumers", queue=queue)] == 1


def test_the_gateway_keeps_its_metrics_off_its_public_port(system, portal):
    assert portal.get("/metrics").status_code == 404
    probe = "http://{}".format(system.probe_addresses["gateway"])
    assert requests.get(probe + "/health/live", timeout=10).status_code == 200
    assert "clep_http_request_seconds_count" in requests.get(probe + "/metrics",
                                                             timeout=10).text
