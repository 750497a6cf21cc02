"""Listening to the events a running system publishes, as a consumer would: a queue of the
test's own, bound to a service's event exchange in the sandbox's vhost.

    with EventTap(system_env["AMQP_URI"], "access", "organization_updated") as tap:
        ... act over HTTP ...
        [event] = tap.wait_for(lambda event: event["id"] == org_id)
"""
import time
import uuid

from kombu import Connection, Exchange, Queue


class EventTap:
    def __init__(self, amqp_uri, service, *event_types):
        self.amqp_uri = amqp_uri
        self.exchange = Exchange("{}.events".format(service), type="topic", durable=True)
        self.event_types = event_types
        self.received = []

    def __enter__(self):
        self.connection = Connection(self.amqp_uri)
        self.channel = self.connection.channel()
        name = "e2e-tap-{}".format(uuid.uuid4().hex[:8])
        self.queues = [Queue("{}-{}".format(name, event_type), self.exchange,
                             routing_key=event_type, exclusive=True, auto_delete=True,
                             channel=self.channel) for event_type in self.event_types]
        for queue in self.queues:
            self.exchange.declare(channel=self.channel)
            queue.declare()
        return self

    def __exit__(self, *exc_info):
        self.connection.release()

    def _drain(self):
        for queue in self.queues:
            while True:
                message = queue.get(no_ack=True)
                if message is None:
                    break
                self.received.append(dict(message.payload, _type=message.delivery_info[
                    "routing_key"]))

    def wait_for(self, predicate, count=1, timeout=15):
        """The events received matching `predicate`, once at least `count` arrived."""
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            found = [event for event in self.received if predicate(event)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("{} of {} expected events within {}s; received {}".format(
                    len(found), count, timeout, self.received))
            time.sleep(0.1)

    def all(self, predicate=lambda event: True):
        self._drain()
        return [event for event in self.received if predicate(event)]
