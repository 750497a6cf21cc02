"""The gateway's web server on SIGTERM (gateway/draining.py), in-process: during the drain
it answers as before but closes every keep-alive connection after its answer; then it
stops accepting, closes the connections that stayed idle and answers what it holds."""
import http.client
import socket
import time

import eventlet
import pytest

from gateway.http import api, json_response
from scripts.sandbox import free_port
from services.common.graceful import GracefulContainer

DRAIN_SECONDS = 0.5


class Gateway:
    name = "gateway"

    @api("GET", "/sleep/<float:seconds>")
    def sleep(self, request, seconds):
        eventlet.sleep(seconds)
        return json_response({"slept": seconds})


@pytest.fixture
def gateway():
    port = free_port()
    container = GracefulContainer(Gateway, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                                            "DRAIN_SECONDS": DRAIN_SECONDS})
    container.start()
    yield port, container
    container.kill()


def connection(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=5)


def get(held, seconds=0):
    held.request("GET", f"/sleep/{seconds:.3f}")
    response = held.getresponse()
    response.read()
    return response.status, response.getheader("Connection")


def test_a_drain_answers_everything_and_closes_every_connection(gateway):
    port, container = gateway
    busy, idle, lingering = connection(port), connection(port), connection(port)
    for held in (busy, idle, lingering):
        assert get(held) == (200, None)  # keep-alive
    in_flight = eventlet.spawn(get, busy, DRAIN_SECONDS + 0.5)  # outlasts the drain
    eventlet.sleep(0.05)
    began = time.monotonic()
    stopping = eventlet.spawn(container.stop)
    eventlet.sleep(0.1)

    assert get(idle) == (200, "close")  # still served, then closed
    fresh = connection(port)
    assert get(fresh) == (200, "close")  # still accepting

    stopping.wait()
    assert time.monotonic() - began >= DRAIN_SECONDS + 0.3  # waited for the busy one
    assert in_flight.wait() == (200, "close")
    assert lingering.sock.recv(1) == b""  # idle all along: closed by the server
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
