"""Hearing the access service's `access_changed` notices, in every gateway process.

Each process binds a queue of its own (exclusive, gone with its connection) to the access
service's event exchange, and hands each notice to its AuthorizationCache. nameko's
broadcast event handler would do the binding, but says nothing when its connection breaks
and comes back, and notices sent in between are lost for good: here the cache is told
(`set_listening`), so that it keeps nothing it could not be told about.
"""
import logging
import socket
import uuid

import eventlet
from kombu import Connection, Queue
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Extension
from nameko.standalone.events import get_event_exchange

log = logging.getLogger(__name__)

NOTICE = "access_changed"
HEARTBEAT_SECONDS = 10  # a broker that vanished without closing the socket is noticed
MAX_RETRY_SECONDS = 10


class AccessChangesListener(Extension):

    def __init__(self):
        self.cache = None
        self._thread = None

    def attach(self, cache):
        self.cache = cache

    def start(self):
        if self.cache is not None:
            self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def _run(self):
        config = self.container.config
        exchange = get_event_exchange("access", config)
        retry = 1
        while True:
            queue = Queue("gateway-access-changes-{}".format(uuid.uuid4().hex),
                          exchange=exchange, routing_key=NOTICE, durable=False,
                          exclusive=True, auto_delete=True)
            try:
                with Connection(config[AMQP_URI_CONFIG_KEY],
                                heartbeat=HEARTBEAT_SECONDS) as connection:
                    with connection.Consumer(queue, callbacks=[self._on_notice],
                                             accept=["json"], no_ack=True):
                        self.cache.set_listening(True)
                        log.info("listening for access changes")
                        retry = 1
                        self._drain(connection)
            except Exception as lost:
                log.warning("not listening for access changes (%r): every request asks the "
                            "access service until it listens again in %ss", lost, retry)
            finally:
                self.cache.set_listening(False)
            eventlet.sleep(retry)
            retry = min(retry * 2, MAX_RETRY_SECONDS)

    @staticmethod
    def _drain(connection):
        while True:
            try:
                connection.drain_events(timeout=1)
            except socket.timeout:
                connection.heartbeat_check()

    def _on_notice(self, body, message):
        try:
            account_id = body.get("account_id")
            organization_ids = [int(org_id) for org_id in body.get("organization_ids") or ()]
        except (AttributeError, TypeError, ValueError):
            log.warning("unreadable access_changed notice %r: forgetting everything", body)
            self.cache.set_listening(True)  # drops every kept answer, keeps listening
            return
        self.cache.forget(account_id=account_id, organization_ids=organization_ids)
