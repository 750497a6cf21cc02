"""Every worker runs under a correlation id and ends with one line
(services/common/worker_log.py)."""
import io
import json
import logging
from types import SimpleNamespace

import eventlet
import pytest
from nameko.events import EventHandler
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler

from services.common import correlation
from services.common.batch_consumer import BatchEventHandler
from services.common.log_format import JsonFormatter
from services.common.worker_log import WorkerLog, log as worker_lines


@pytest.fixture
def lines():
    """The JSON lines the workers write, as written (with the id current then)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    worker_lines.addHandler(handler)
    level = worker_lines.level
    worker_lines.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    worker_lines.removeHandler(handler)
    worker_lines.setLevel(level)


def entrypoint(kind, method_name, *args):
    made = kind(*args)
    made.method_name = method_name
    return made


def run(provider, entrypoint, data=None, args=(), result=None, exc_info=None):
    """A worker's life as nameko drives it; returns (its context, the id current in it)."""
    worker_ctx = SimpleNamespace(data=dict(data or {}), entrypoint=entrypoint, args=args)
    provider.worker_setup(worker_ctx)
    current = correlation.current_id()
    provider.worker_result(worker_ctx, result, exc_info)
    provider.worker_teardown(worker_ctx)
    assert correlation.current_id() is None  # nothing left for the next worker
    return worker_ctx, current


@pytest.fixture
def provider():
    made = WorkerLog(quiet=("health",))
    made.container = SimpleNamespace(service_name="orders")
    return made


def test_a_worker_runs_under_the_id_it_came_with_and_logs_one_line(provider, lines):
    worker_ctx, current = run(provider, entrypoint(Rpc, "place_order"),
                              data={"correlation_id": "order-12345678"})
    assert current == "order-12345678"
    assert worker_ctx.data["correlation_id"] == "order-12345678"
    [line] = lines()
    assert line["message"].startswith("rpc place_order: ok in ")
    assert (line["service"], line["correlation_id"], line["kind"], line["entrypoint"],
            line["outcome"]) == ("orders", "order-12345678", "rpc", "place_order", "ok")
    assert line["duration_ms"] >= 0


@pytest.mark.parametrize("sent", [None, "", "bad id\nforged line", 42, "x" * 200])
def test_a_worker_without_a_sane_id_makes_one_and_passes_it_on(provider, lines, sent):
    data = {} if sent is None else {"correlation_id": sent}
    worker_ctx, current = run(provider, entrypoint(Timer, "bill_last_month", 300), data=data)
    assert current and current != sent and correlation.sane(current) == current
    assert worker_ctx.data["correlation_id"] == current  # its RPCs and events carry it
    assert lines()[0]["correlation_id"] == current


def test_an_event_line_names_the_event_and_a_failure_its_exception(provider, lines):
    event = {"event_id": "e-1", "id": 7}
    run(provider, entrypoint(EventHandler, "keep_order", "orders", "order_placed"),
        args=(event,), exc_info=(LookupError, LookupError("no such order"), None))
    [line] = lines()
    assert line["message"].startswith("event keep_order (order_placed e-1): LookupError in ")
    assert (line["event_type"], line["event_id"], line["outcome"]) == (
        "order_placed", "e-1", "LookupError")


def test_a_batch_line_counts_its_events(provider, lines):
    run(provider, entrypoint(BatchEventHandler, "keep_redemption", "vouchers",
                             "voucher_redeemed"), args=([{"event_id": "a"}, {"event_id": "b"}],))
    [line] = lines()
    assert line["message"].startswith("batch keep_redemption (voucher_redeemed, 2 events): ok")
    assert (line["kind"], line["events"]) == ("batch", 2)


def test_an_http_line_names_the_request_and_its_status(provider, lines):
    request = SimpleNamespace(method="POST", path="/api/organizations/1/orders")
    run(provider, entrypoint(HttpRequestHandler, "place_order", "POST", "/api/..."),
        args=(request,), result=SimpleNamespace(status_code=201))
    [line] = lines()
    assert line["message"].startswith("http POST /api/organizations/1/orders (place_order): "
                                      "201 in ")
    assert (line["kind"], line["outcome"]) == ("http", "201")


def test_a_quiet_entrypoint_logs_only_at_debug(provider, lines):
    run(provider, entrypoint(Rpc, "health"))
    assert lines() == []


def test_each_greenthread_has_its_own_id_and_a_new_one_starts_without(provider):
    """Workers run side by side in greenthreads of one process: the context variable that
    holds the id is per greenthread under eventlet (and a new one does not inherit it)."""
    seen = {}

    def worker(number):
        started_with = correlation.current_id()
        worker_ctx = SimpleNamespace(data={"correlation_id": "request-{:08d}".format(number)},
                                     entrypoint=entrypoint(Rpc, "quote"), args=())
        provider.worker_setup(worker_ctx)
        eventlet.sleep(0.01)  # the others run meanwhile
        seen[number] = (started_with, correlation.current_id())
        provider.worker_teardown(worker_ctx)

    token = correlation.bind("the-spawning-one", "orders")
    try:
        pool = eventlet.GreenPool()
        for number in range(5):
            pool.spawn(worker, number)
        pool.waitall()
        assert correlation.current_id() == "the-spawning-one"
    finally:
        correlation.unbind(token)
    assert seen == {number: (None, "request-{:08d}".format(number)) for number in range(5)}
