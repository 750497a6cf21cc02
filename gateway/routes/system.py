"""The system's own routes: health and the OpenAPI document."""
import eventlet
from nameko.timer import timer

from gateway.http import json_response
from gateway.openapi import openapi_document
from gateway.routing import route
from gateway.schemas.common import HealthOut
from services.common.errors import ClepError

SERVICES = ("access", "orders", "vouchers", "scores", "billing")
HEALTH_TIMEOUT_SECONDS = 3


class SystemRoutes:

    @timer(interval=1)
    def keep_hub_awake(self):
        """Does nothing, every second. A process with only HTTP entrypoints otherwise
        sleeps in its event loop until the next timer and notices SIGTERM up to a minute
        late; this makes `docker stop` and Kubernetes see a prompt, graceful stop."""

    @route("GET", "/health", auth="none", tag="system", response=HealthOut, errors=(503,),
           summary="200 when the gateway and all five services answer, else 503.")
    def health(self, call):
        def ask(name):
            try:
                with eventlet.Timeout(HEALTH_TIMEOUT_SECONDS, ClepError):
                    return name, getattr(self, name).health()
            except ClepError:
                return name, "unavailable"
        pool = eventlet.GreenPool(len(SERVICES))
        services = dict(pool.imap(ask, SERVICES))
        healthy = all(state == "ok" for state in services.values())
        return json_response({"status": "ok" if healthy else "unavailable",
                              "services": services}, status=200 if healthy else 503)

    @route("GET", "/api/openapi.json", auth="none", tag="system",
           summary="This API, as OpenAPI 3.")
    def openapi(self, call):
        return json_response(openapi_document())
