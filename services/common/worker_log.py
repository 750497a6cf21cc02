"""Every worker runs under a correlation id, and ends with one log line.

`worker_log = WorkerLog()` in a service: before the worker runs, the id that came with
its RPC or event (nameko's context_data, from the message's headers) is checked and made
current, or a new one is made (a timer's run, a message without one, one that is not
sane). It is put back into the worker's context_data, so every RPC and event the worker
sends carries it, and every outbox row it writes (services/common/database.py).

When the worker is done, one INFO line says what ran, how it ended and how long it took:
`rpc place_order: ok in 12.3 ms`, `event on_order_placed (order_placed 6f1c…): ok in
4.1 ms`, `batch on_voucher_redeemed (voucher_redeemed, 200 events): ok in 31.0 ms`,
`http POST /api/organizations/1/orders (place_order): 201 in 40.2 ms`. Entrypoints named
in `quiet` (health checks, the gateway's keep-awake timer, each asked every second) log
it at DEBUG.
"""
import logging
import time

from nameko.extensions import DependencyProvider

from services.common import correlation
from services.common.batch_consumer import BatchEventHandler
from services.common.metrics import kind_of

log = logging.getLogger("clep.workers")


class WorkerLog(DependencyProvider):

    def __init__(self, quiet=()):
        self.quiet = frozenset(quiet)

    def setup(self):
        correlation.set_process_service(self.container.service_name)

    def worker_setup(self, worker_ctx):
        data = worker_ctx.data
        correlation_id = correlation.sane(data.get(correlation.KEY)) or correlation.new_id()
        data[correlation.KEY] = correlation_id
        token = correlation.bind(correlation_id, self.container.service_name)
        worker_ctx.clep_worker_log = (time.perf_counter(), token)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = getattr(worker_ctx, "clep_worker_log", None)
        entrypoint = worker_ctx.entrypoint
        level = logging.DEBUG if entrypoint.method_name in self.quiet else logging.INFO
        if started is None or not log.isEnabledFor(level):
            return
        milliseconds = round((time.perf_counter() - started[0]) * 1000, 1)
        outcome = _outcome(result, exc_info)
        kind, what, fields = _described(entrypoint, worker_ctx.args)
        log.log(level, "%s %s: %s in %.1f ms", kind, what, outcome, milliseconds, extra=dict(
            fields, kind=kind, entrypoint=entrypoint.method_name, outcome=outcome,
            duration_ms=milliseconds))

    def worker_teardown(self, worker_ctx):
        started = getattr(worker_ctx, "clep_worker_log", None)
        if started is not None:
            correlation.unbind(started[1])

    def get_dependency(self, worker_ctx):
        return None


def _outcome(result, exc_info):
    if exc_info is not None:
        return type(exc_info[1]).__name__
    status = getattr(result, "status_code", None)  # an HTTP response
    return str(status) if status is not None else "ok"


def _described(entrypoint, args):
    """(kind, what ran, the line's extra fields)."""
    name = entrypoint.method_name
    if isinstance(entrypoint, BatchEventHandler):
        events = len(args[0]) if args else 0
        return "batch", "{} ({}, {} events)".format(name, entrypoint.event_type, events), {
            "event_type": entrypoint.event_type, "events": events}
    kind = kind_of(entrypoint)
    if kind == "event":
        event = args[0] if args else None
        event_id = event.get("event_id") if isinstance(event, dict) else None
        return kind, "{} ({} {})".format(name, entrypoint.event_type, event_id), {
            "event_type": entrypoint.event_type, "event_id": event_id}
    if kind == "http" and args:
        return kind, "{} {} ({})".format(args[0].method, args[0].path, name), {}
    return kind, name, {}
