"""The system's own routes: health and the OpenAPI document."""
import eventlet
from nameko.timer import timer

from gateway import health
from gateway.draining import Draining
from gateway.http import json_response
from gateway.openapi import openapi_document
from gateway.routing import route
from gateway.schemas.common import HealthOut, LiveOut
from services.common.errors import ClepError
from services.common.scheduled import ConfiguredTimer
from services.common.worker_log import WorkerLog


class SystemRoutes:
    services_health = health.ServicesHealth()
    draining = Draining()  # after SIGTERM: not ready (gateway/draining.py)
    # every request's correlation id and its one line; the probes' and timers' at DEBUG
    worker_log = WorkerLog(quiet=("keep_hub_awake", "check_services", "health",
                                  "health_ready", "health_live"))

    @timer(interval=1)
    def keep_hub_awake(self):
        """Does nothing, every second. A process with only HTTP entrypoints otherwise
        sleeps in its event loop until the next timer and notices SIGTERM up to a minute
        late; this makes `docker stop` and Kubernetes see a prompt, graceful stop."""

    @ConfiguredTimer.decorator("HEALTH_CHECK_SECONDS", health.CHECK_SECONDS)
    def check_services(self):
        """While someone is probing, keep the services' health current for the probes."""
        if self.services_health.probed_lately():
            self.services_health.record(self._ask_services())

    def _ask_services(self):
        """Every service's `health`, asked at once: "ok", or "unavailable" without an
        answer in health.ANSWER_SECONDS."""
        def ask(name):
            try:
                with eventlet.Timeout(health.ANSWER_SECONDS, ClepError):
                    return name, getattr(self, name).health()
            except ClepError:
                return name, "unavailable"
        pool = eventlet.GreenPool(len(health.SERVICES))
        return dict(pool.imap(ask, health.SERVICES))

    def _services_view(self, ask_now=False):
        if self.draining():  # the load balancer is to send this process nothing new
            return json_response({"status": "draining", "services": {}}, status=503)
        view = self.services_health
        if ask_now or not view.is_fresh():  # after a rest: ask now, once for all waiting
            asked_before = view.checked_at
            with view.asking:
                if ask_now or view.checked_at == asked_before:
                    view.record(self._ask_services())
        healthy, services = self.services_health.current()
        return json_response({"status": "ok" if healthy else "unavailable",
                              "services": services}, status=200 if healthy else 503)

    @route("GET", "/health", auth="none", tag="system", response=HealthOut, errors=(503,),
           summary="200 when the gateway and all five services answer, else 503 (from "
                   "the background check, as /health/ready).")
    def health(self, call):
        return self._services_view()

    @route("GET", "/health/ready", auth="none", tag="system", response=HealthOut,
           errors=(503,),
           summary="Readiness: 200 when every service answered its health check in the "
                   "last second or so (checked in the background while probes come, not "
                   "per probe), else 503.")
    def health_ready(self, call):
        return self._services_view()

    @route("GET", "/api/admin/health", auth="operations", tag="operations",
           response=HealthOut, errors=(401, 403, 503),
           summary="Every service asked now, not the background view: for operations' "
                   "tools, e.g. waiting until a restarted service answers again.")
    def health_now(self, call):
        return self._services_view(ask_now=True)

    @route("GET", "/health/live", auth="none", tag="system", response=LiveOut,
           summary="Liveness: 200 while this gateway process answers, whatever the "
                   "services' state (a service down must not restart the gateway).")
    def health_live(self, call):
        return json_response({"status": "ok"})

    @route("GET", "/api/openapi.json", auth="none", tag="system",
           summary="This API, as OpenAPI 3.")
    def openapi(self, call):
        return json_response(openapi_document())
