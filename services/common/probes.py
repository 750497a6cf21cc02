"""Liveness and readiness of a service process, for an orchestrator's probes.

The services speak RPC and events only; Kubernetes needs something cheap to ask. With
PROBE_ADDRESS set (`host:port`; empty, as under `make run`, serves nothing), each process
answers plain HTTP there:

- `GET /health/live`: 200 while the process's event loop runs (a stuck process answers
  nothing, and is restarted);
- `GET /health/ready`: 200 while its database answered the background check (every
  CHECK_SECONDS) within the last STALE_AFTER_CHECKS checks, else 503;
- `GET /metrics`: the process's Prometheus metrics (services/common/metrics.py).

A probe only reads that state: it never touches the database or the broker, so probes
cost next to nothing whatever their rate. (A process that loses the broker for good exits
and is restarted: nameko's consumers do not outlive their connection.)
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


class Probes(DependencyProvider):
    """`probes = Probes()` in a service with a `Database`: serves its probes."""

    def setup(self):
        self.address = self.container.config.get("PROBE_ADDRESS") or ""
        self.ready_until = 0.0  # monotonic time until which the last good check counts
        self._store = None
        self._socket = None
        self._threads = []

    def start(self):
        if not self.address:
            return
        self._store = next(provider.store for provider in self.container.dependencies
                            if isinstance(provider, Database))
        host, _, port = self.address.rpartition(":")
        self._socket = eventlet.listen((host or "0.0.0.0", int(port)))
        self._threads = [
            self.container.spawn_managed_thread(self._serve, identifier="probes"),
            self.container.spawn_managed_thread(self._check, identifier="probe check")]
        metrics.STORE_FIGURES.add(self.container.service_name, self._store)

    def stop(self):
        if self._socket is not None:
            metrics.STORE_FIGURES.remove(self.container.service_name)
        for thread in self._threads:
            thread.kill()
        self._threads = []
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    kill = stop

    def get_dependency(self, worker_ctx):
        return self

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
        if path == "/health/live":
            status, body = "200 OK", b"live\n"
        elif path == "/health/ready":
            status, body = ("200 OK", b"ready\n") if self.is_ready() else (
                "503 Service Unavailable", b"database not answering\n")
        else:
            status, body = "404 Not Found", b"/health/live, /health/ready or /metrics\n"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
        return [body]

