"""Kubernetes' probes of a service process (services/common/probes.py), over real HTTP:
live while the process runs, ready while its database answers, nothing once stopped."""
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
