"""A service for tests/e2e/test_stop_with_a_full_pool.py: one route on the gateway's web
server whose workers all wait for the same moment and are woken together, so that they
end in one turn of the event loop."""
import time

import eventlet

from gateway.http import api, json_response

_moments = {}  # moment -> the event its workers wait for


def _keep_hub_awake():
    # as the gateway's timer does: the hub wakes often, so SIGTERM is seen at once
    while True:
        eventlet.sleep(0.05)


eventlet.spawn(_keep_hub_awake)


class SlowService:
    name = "slow"

    @api("GET", "/until/<float:moment>")
    def until(self, request, moment):
        if moment not in _moments:
            _moments[moment] = eventlet.Event()
            eventlet.spawn_after(max(0.0, moment - time.time()), _moments[moment].send)
        _moments[moment].wait()
        return json_response({"slept_until": moment})
