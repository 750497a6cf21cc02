"""Kubernetes' probes of a service process (services/common/probes.py), over real HTTP:
live while the process runs, ready while its database answers, nothing once stopped."""
import uuid

import requests

from scripts.sandbox import free_port
from services.orders.service import OrdersService


def probe(port, path):
    return requests.get("http://127.0.0.1:{}{}".format(port, path), timeout=5)


def test_a_service_with_its_database_is_live_and_ready(start_service, wait_for):
    port = free_port()
    start_service(OrdersService, PROBE_ADDRESS="127.0.0.1:{}".format(port))

    assert probe(port, "/health/live").status_code == 200
    wait_for(lambda: probe(port, "/health/ready").status_code == 200)
    assert probe(port, "/health/ready").text == "ready\n"
    assert probe(port, "/metrics-or-anything").status_code == 404


def test_a_service_whose_database_does_not_answer_is_live_but_not_ready(start_service,
                                                                         stays):
    port = free_port()
    nowhere = "postgresql://postgres@127.0.0.1:{}/clep_orders".format(free_port())
    start_service(OrdersService, PROBE_ADDRESS="127.0.0.1:{}".format(port),
                  DATABASE_URLS={"orders": nowhere})

    assert probe(port, "/health/live").status_code == 200
    assert stays(lambda: probe(port, "/health/ready").status_code == 503, duration=3)


def test_a_stopped_service_answers_no_probe(start_service):
    port = free_port()
    container = start_service(OrdersService, PROBE_ADDRESS="127.0.0.1:{}".format(port))
    assert probe(port, "/health/live").status_code == 200

    container.stop()

    try:
        probe(port, "/health/live")
    except requests.ConnectionError:
        return
    raise AssertionError("a stopped process still answers its liveness probe")


def scraped(port):
    """{(name, labels as a sorted tuple): value} of the process's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families
    answer = probe(port, "/metrics")
    assert answer.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def test_metrics_count_the_workers_and_the_events_of_a_service(start_service, rpc, dispatch,
                                                               wait_for):
    """Every figure a test sees in this pytest process is the sum over its containers: the
    checks are on what this test adds."""
    port = free_port()
    start_service(OrdersService, PROBE_ADDRESS="127.0.0.1:{}".format(port))
    calls = ("clep_worker_seconds_count",
             (("entrypoint", "set_fees"), ("kind", "rpc"), ("service", "orders")))
    refused = ("clep_worker_failures_total",
               (("entrypoint", "set_fees"), ("kind", "rpc"), ("service", "orders")))
    before = scraped(port)

    rpc.orders.set_fees("2026-27", 9300, 2500)
    try:
        rpc.orders.set_fees("2026-27", -1, 2500)
    except Exception:  # noqa: BLE001 - the refusal is what is counted
        pass

    # nameko sends the reply before it tells the dependencies the worker ended
    wait_for(lambda: scraped(port).get(calls, 0) - before.get(calls, 0) == 2)
    after = scraped(port)
    assert after[calls] - before.get(calls, 0) == 2
    assert after[refused] - before.get(refused, 0) == 1

    applied = ("clep_events_applied_total",
               (("consumer", "keep_coordinator"), ("event_type", "profile_updated")))
    kept = ("clep_events_kept_total",
            (("consumer", "keep_coordinator"), ("event_type", "profile_updated")))
    dispatch("access", "profile_updated", {
        "event_id": str(uuid.uuid4()), "organization_id": 42, "organization_name": "Lincoln",
        "coordinator": {"name": "Casey", "email": "casey@school.example", "phone": "1"},
        "billing_contact": {"name": "Casey", "email": "casey@school.example", "phone": "1"}})
    dispatch("access", "profile_updated", {"event_id": str(uuid.uuid4())})  # malformed
    wait_for(lambda: scraped(port).get(applied, 0) - after.get(applied, 0) == 1 and
             scraped(port).get(kept, 0) - after.get(kept, 0) == 1)

    # read from this service's database: the malformed event is kept; `fees_set` waits in
    # the outbox, as no billing runs here to bind a queue for it
    figures = scraped(port)
    assert figures[("clep_failed_events", (("service", "orders"),))] == 1
    assert figures[("clep_outbox_oldest_unsent_seconds", (("service", "orders"),))] > 0
