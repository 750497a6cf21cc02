"""Liveness and readiness of a service process, for an orchestrator's probes.

The services speak RPC and events only; Kubernetes needs something cheap to ask. With
PROBE_ADDRESS set (`host:port`; empty, as under `make run`, serves nothing; `make run`
with CLEP_PROBE_BASE_PORT gives each process a port of its own, scripts/system.py), each
process answers plain HTTP there:

- `GET /health/live`: 200 while the process's event loop runs (a stuck process answers
  nothing, and is restarted);
- `GET /health/ready`: 200 while its database answered the background check (every
  CHECK_SECONDS) within the last STALE_AFTER_CHECKS checks, else 503;
- `GET /metrics`: the process's Prometheus metrics (services/common/metrics.py).

A probe only reads that state: it never touches the database or the broker, so probes
cost next to nothing whatever their rate. (A process that loses the broker for good exits
and is restarted: nameko's consumers do not outlive their connection.)

The gateway has no database and answers its probes on its public port; it takes
`ProbeServer`, the same server without readiness, to keep `/metrics` off that port.
"""
import logging
import time

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common import metrics
from services.common.database import Database
from services.common.service_health import check_database

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
STALE_AFTER_CHECKS = 3


class ProbeServer(DependencyProvider):
    """Serves `/health/live` and `/metrics` on PROBE_ADDRESS, in a greenthread of the
    process (what the gateway takes)."""

    def setup(self):
        self.address = self.container.config.get("PROBE_ADDRESS") or ""
        self._socket = None
        self._threads = []

    def start(self):
        if not self.address:
            return
        host, _, port = self.address.rpartition(":")
        # no SO_REUSEPORT: two processes given one address must fail, not split the scrapes
        self._socket = eventlet.listen((host or "0.0.0.0", int(port)), reuse_port=False)
        self._threads = [self.container.spawn_managed_thread(self._serve, identifier="probes")]

    def stop(self):
        for thread in self._threads:
            thread.kill()
        self._threads = []
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    kill = stop

    def get_dependency(self, worker_ctx):
        return self

    def _serve(self):
        # no line per probe (log_output=False); the answers are too simple to fail
        eventlet.wsgi.server(self._socket, self._answer, log_output=False)

    def _answer(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body = generate_latest()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                      ("Content-Length", str(len(body)))])
            return [body]
        status, body = self.answer(path)
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
        return [body]

    def answer(self, path):
        """(status, body) of a probe other than /metrics."""
        if path == "/health/live":
            return "200 OK", b"live\n"
        return "404 Not Found", b"/health/live or /metrics\n"


class Probes(ProbeServer):
    """`probes = Probes()` in a service with a `Database`: its probes, readiness included,
    and its metrics with the figures read from its database."""

    def setup(self):
        super().setup()
        self.ready_until = 0.0  # monotonic time until which the last good check counts
        self._store = None

    def start(self):
        if not self.address:
            return
        self._store = next(provider.store for provider in self.container.dependencies
                            if isinstance(provider, Database))
        super().start()
        self._threads.append(
            self.container.spawn_managed_thread(self._check, identifier="probe check"))
        metrics.STORE_FIGURES.add(self.container.service_name, self._store)

    def stop(self):
        if self._socket is not None:
            metrics.STORE_FIGURES.remove(self.container.service_name)
        super().stop()

    kill = stop

    def is_ready(self):
        return time.monotonic() < self.ready_until

    def _check(self):
        was_ready = None
        while True:
            try:
                check_database(self._store)
                self.ready_until = time.monotonic() + CHECK_SECONDS * STALE_AFTER_CHECKS
            except Exception as error:  # noqa: BLE001 - any failure: not ready, said once
                if was_ready is not False:
                    log.warning("%s: database check failed: %s",
                                self.container.service_name, str(error).splitlines()[0])
                was_ready = False
            else:
                was_ready = True
            eventlet.sleep(CHECK_SECONDS)

    def answer(self, path):
        if path == "/health/ready":
            return ("200 OK", b"ready\n") if self.is_ready() else (
                "503 Service Unavailable", b"database not answering\n")
        if path == "/health/live":
            return super().answer(path)
        return "404 Not Found", b"/health/live, /health/ready or /metrics\n"
