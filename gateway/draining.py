"""The gateway's web server, stopped without failing a request (issue 12).

nameko's stop closes the listening socket and kills the connections' threads once the
workers it knows of are done; a request on a keep-alive connection, or one waiting in the
socket's accept queue, was cut off. On SIGTERM the container (services/common/graceful.py)
first calls `drain()` here:

1. the process says it is draining: `/health/ready` and `/health` answer 503, so a load
   balancer (Kubernetes' Service, through the readiness probe and the pod's terminating
   state) stops sending it new connections;
2. for DRAIN_SECONDS it goes on accepting and serving as before, except that every
   response carries `Connection: close`: a client on a keep-alive connection gets its
   answer, then opens a new connection, which goes to a process that is not stopping;
3. it stops accepting (closes its listening socket), closes the keep-alive connections
   that stayed idle the whole time (one with a request already waiting is served first),
   and waits for the requests under way to be answered;
4. then the usual stop runs: nothing is left in flight.

The listening socket: on its own (a container, `nameko run`) the process binds
WEB_SERVER_ADDRESS itself (eventlet sets SO_REUSEPORT). Under scripts/system.py several
gateway processes share one port through ONE listening socket that the parent made and
handed down (CLEP_LISTEN_FD): a process that stops closes its copy, and connections
waiting to be accepted stay in the one queue for the others. With a socket per process
(SO_REUSEPORT), the kernel resets the connections waiting in the queue of the socket that
closes, and keeps sending new ones to it until then: without a load balancer in front,
a stop could not be lossless that way.
"""
import logging
import os
import socket

import eventlet
from eventlet.greenio import GreenSocket, shutdown_safe
from eventlet.wsgi import STATE_CLOSE, STATE_IDLE
from nameko.extensions import DependencyProvider
from nameko.web.server import WebServer

log = logging.getLogger(__name__)

DEFAULT_DRAIN_SECONDS = 1.0
LISTEN_FD_VARIABLE = "CLEP_LISTEN_FD"
POLL_SECONDS = 0.05


def inherited_listening_socket():
    """The listening socket the parent handed down (CLEP_LISTEN_FD), or None."""
    fd = os.environ.get(LISTEN_FD_VARIABLE)
    if not fd:
        return None
    return GreenSocket(socket.socket(fileno=int(fd)))


class DrainingWebServer(WebServer):
    def __init__(self):
        super().__init__()
        self.draining = False
        self.drain_seconds = DEFAULT_DRAIN_SECONDS
        self._connections = []  # eventlet's [address, socket, state] of each open one

    def setup(self):
        super().setup()
        # read at start, so that a bad value stops the start, not the stop
        configured = self.container.config.get("DRAIN_SECONDS")
        self.drain_seconds = DEFAULT_DRAIN_SECONDS if configured in (None, "") \
            else float(configured)

    def start(self):
        if not self._starting:
            inherited = inherited_listening_socket()
            if inherited is None:
                return super().start()
            self._starting = True
            self._sock = inherited
            self._sock.settimeout(None)  # as nameko does (kombu issue 838)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    def process_request(self, sock, address):
        connection = [address, sock, STATE_IDLE]  # eventlet updates the state
        self._connections.append(connection)
        try:
            self._serv.process_request(connection)
        except OSError as exc:  # as nameko's: a client gone very early (nameko issue 368)
            if "raw readinto() returned invalid length" not in str(exc):
                raise
        finally:
            self._connections.remove(connection)

    def drain(self):
        if self._serv is None:  # never started
            return
        seconds = self.drain_seconds
        log.info("draining: not ready, closing keep-alive connections, %.1fs until the "
                 "listening socket closes", seconds)
        self.draining = True
        self._serv.keepalive = False  # from now on every response says Connection: close
        eventlet.sleep(seconds)
        self._stop_accepting()
        for connection in list(self._connections):
            _address, sock, state = connection
            connection[2] = STATE_CLOSE  # whatever it is answering is its last
            if state == STATE_IDLE and not _request_waiting(sock):
                shutdown_safe(sock)
        while self._connections:
            eventlet.sleep(POLL_SECONDS)
        log.info("drained: every connection answered and closed")

    def _stop_accepting(self):
        if self._is_accepting and self._gt is not None:  # (started)
            self._is_accepting = False
            self._gt.kill()
            self._sock.close()

    def stop(self):
        self._stop_accepting()  # already done if drained
        super(WebServer, self).stop()


def _request_waiting(sock):
    """Whether the client already sent something on this idle connection (it is then
    answered, with Connection: close, rather than cut off)."""
    try:
        return bool(sock.fd.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # nothing yet (EAGAIN), or gone
        return False


class Draining(DependencyProvider):
    """`self.draining()` in the gateway: whether this process is on its way out."""

    def setup(self):
        self.server = next(extension for extension in self.container.subextensions
                           if isinstance(extension, DrainingWebServer))

    def get_dependency(self, worker_ctx):
        return lambda: self.server.draining
