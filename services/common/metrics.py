"""Prometheus metrics of a process: every worker timed, every event counted.

A process keeps its figures in prometheus_client's registry; a service shows them at
`/metrics` on its probe address (services/common/probes.py). `metrics = WorkerMetrics()`
in a service times each of its workers (an RPC, an HTTP request, a batch or one event, a
timer) by entrypoint and counts those that raised; the event consumers
(services/common/events.py, event_batches.py) count the events each applied and each
kept in `failed_events`.
"""
import time
import weakref

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import Counter, Histogram

WORKER_SECONDS = Histogram(
    "clep_worker_seconds", "How long a worker took, by entrypoint",
    ["service", "kind", "entrypoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
WORKER_FAILURES = Counter(
    "clep_worker_failures", "Workers that ended with an exception, by entrypoint",
    ["service", "kind", "entrypoint"])
EVENTS_APPLIED = Counter(
    "clep_events_applied", "Events a consumer applied (a repeat it skipped included)",
    ["consumer", "event_type"])
EVENTS_KEPT = Counter(
    "clep_events_kept", "Events a consumer could not apply and kept in failed_events",
    ["consumer", "event_type"])

_KINDS = ((Rpc, "rpc"), (HttpRequestHandler, "http"), (EventHandler, "event"),
          (Timer, "timer"))


def kind_of(entrypoint):
    return next((kind for cls, kind in _KINDS if isinstance(entrypoint, cls)),
                type(entrypoint).__name__.lower())


class WorkerMetrics(DependencyProvider):

    def setup(self):
        self._started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.container.service_name, kind_of(entrypoint), entrypoint.method_name)
        if started is not None:
            WORKER_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        if exc_info is not None:
            WORKER_FAILURES.labels(*labels).inc()

    def get_dependency(self, worker_ctx):
        return None
