"""Hearing the services' notices and events in every gateway process, for its caches.

Each process binds one queue of its own (exclusive, gone with its connection) to the
event exchanges of the services, for the events its subscribers (the caches) name, and
hands each message to them. nameko's broadcast event handler would do the binding, but
says nothing when its connection breaks and comes back, and what was sent in between is
lost for good: here every subscriber is told (`set_listening`), so that it keeps nothing
it could not be told about.
"""
import logging
import socket
import uuid

import eventlet
from kombu import Connection, Queue, binding
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import SharedExtension
from nameko.standalone.events import get_event_exchange

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10  # a broker that vanished without closing the socket is noticed
MAX_RETRY_SECONDS = 10


class NoticeListener(SharedExtension):
    """Subscribers have `bindings` ({(service, event type): callback(payload)}) and
    `set_listening(bool)`."""

    def __init__(self):
        self.subscribers = []
        self.handlers = {}  # ("<service>.events", event type) -> [callbacks]
        self._thread = None

    def subscribe(self, subscriber):
        self.subscribers.append(subscriber)
        for (service, event_type), callback in subscriber.bindings.items():
            self.handlers.setdefault(("{}.events".format(service), event_type),
                                     []).append(callback)

    def start(self):
        if self.subscribers and self._thread is None:
            self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        if self._thread is not None:
            self._thread.kill()
            self._thread = None

    kill = stop

    def _set_listening(self, listening):
        for subscriber in self.subscribers:
            subscriber.set_listening(listening)

    def _queue(self):
        config = self.container.config
        exchanges = {}
        bindings = []
        for exchange_name, event_type in self.handlers:
            service = exchange_name[:-len(".events")]
            exchange = exchanges.setdefault(service, get_event_exchange(service, config))
            bindings.append(binding(exchange, routing_key=event_type))
        return Queue("gateway-notices-{}".format(uuid.uuid4().hex), bindings=bindings,
                     durable=False, exclusive=True, auto_delete=True)

    def _run(self):
        retry = 1
        while True:
            try:
                with Connection(self.container.config[AMQP_URI_CONFIG_KEY],
                                heartbeat=HEARTBEAT_SECONDS) as connection:
                    with connection.Consumer(self._queue(), callbacks=[self._on_message],
                                             accept=["json"], no_ack=True):
                        self._set_listening(True)
                        log.info("listening for the services' changes")
                        retry = 1
                        self._drain(connection)
            except Exception as lost:
                log.warning("not listening for the services' changes (%r): every request "
                            "asks the services until it listens again in %ss", lost, retry)
            finally:
                self._set_listening(False)
            eventlet.sleep(retry)
            retry = min(retry * 2, MAX_RETRY_SECONDS)

    @staticmethod
    def _drain(connection):
        while True:
            try:
                connection.drain_events(timeout=1)
            except socket.timeout:
                connection.heartbeat_check()

    def _on_message(self, body, message):
        info = message.delivery_info
        for callback in self.handlers.get((info["exchange"], info["routing_key"]), ()):
            try:
                callback(body if isinstance(body, dict) else {})
            except Exception:  # a notice we cannot read: forget everything, keep listening
                log.exception("unreadable %s %s: the caches start again empty",
                              info["exchange"], info["routing_key"])
                self._set_listening(True)
