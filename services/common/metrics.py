"""Prometheus metrics of a process: every worker timed, every event counted.

A process keeps its figures in prometheus_client's registry; a service shows them at
`/metrics` on its probe address (services/common/probes.py). `metrics = WorkerMetrics()`
in a service times each of its workers (an RPC, an HTTP request, a batch or one event, a
timer) by entrypoint and counts those that raised; the event consumers
(services/common/events.py, event_batches.py) count the events each applied and each
kept in `failed_events`. Two figures are read from the service's database when scraped
(`STORE_FIGURES`): how old its oldest unsent outbox event is, and how many events it keeps
in `failed_events`.
"""
import time
import weakref
from datetime import datetime, timezone

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from services.common.messaging_tables import failed_events, outbox

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


class StoreFigures:
    """A collector of what a scrape reads from each service's database (one per process;
    the probes of a service add its store)."""

    def __init__(self):
        self._stores = {}

    def add(self, service_name, store):
        self._stores[service_name] = store

    def remove(self, service_name):
        self._stores.pop(service_name, None)

    def collect(self):
        oldest = GaugeMetricFamily(
            "clep_outbox_oldest_unsent_seconds",
            "Age of the oldest event its outbox has not published yet (0: none)",
            labels=["service"])
        kept = GaugeMetricFamily("clep_failed_events",
                                 "Events kept in failed_events, for operations to replay",
                                 labels=["service"])
        for service_name, store in list(self._stores.items()):
            try:
                with store.reader() as session:
                    created = session.scalar(select(func.min(outbox.c.created_at))
                                             .where(outbox.c.sent_at.is_(None)))
                    count = session.scalar(select(func.count()).select_from(failed_events))
            except Exception:  # noqa: BLE001 - database away: not in this scrape
                continue
            oldest.add_metric([service_name], _age_seconds(created))
            kept.add_metric([service_name], count)
        yield oldest
        yield kept


def _age_seconds(created):
    if created is None:
        return 0.0
    if created.tzinfo is None:  # SQLite hands back what it stored, in UTC
        created = created.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - created).total_seconds())


STORE_FIGURES = StoreFigures()
REGISTRY.register(STORE_FIGURES)
