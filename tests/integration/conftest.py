"""Integration fixtures: real service containers on a fresh RabbitMQ vhost and real databases.

Only the neighbours of the service under test are played by the test: a small listener
service collects the events it publishes, a standalone dispatcher sends it events as if
another service had, and a standalone RPC proxy calls it as the gateway or the CLI would.
"""
import time
from collections import defaultdict

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import migrated_store, service_config  # the root conftest

RPC_TIMEOUT = 20


def wait_for(predicate, timeout=10, interval=0.05, message=None):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds.

    `message` (a string, or a function called on failure) says what was not met.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            if callable(message):
                message = message()
            raise AssertionError(message or "condition not met within {}s".format(timeout))
        eventlet.sleep(interval)


def stays(predicate, duration=1.0, interval=0.05):
    """True when `predicate` holds for the whole of `duration` (for "nothing more arrives")."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            return False
        eventlet.sleep(interval)
    return predicate()


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    return wait_for


@pytest.fixture(name="stays")
def stays_fixture():
    return stays


@pytest.fixture
def stores(databases):
    """`stores("orders")`: the migrated `Store` of one service's own fresh database.

    Made once per service per test, so the test and every container of that service share
    it (the test reads the tables it checks through it).
    """
    made = {}

    def get(service_name):
        if service_name not in made:
            made[service_name] = migrated_store(service_name, databases.new_url(service_name))
        return made[service_name]

    get.kind = databases.kind
    yield get
    for store in made.values():
        store.dispose()


@pytest.fixture
def config(rabbit_config, tmp_path):
    """Config for things that need only the broker (listeners, proxies, dispatchers)."""
    return service_config(rabbit_config, tmp_path, {})


@pytest.fixture
def start_service(container_factory, rabbit_config, tmp_path, stores):
    """`start_service(ServiceClass, **extra_config)`: a started container of the service.

    Its database is the test's fresh one for that service (migrated on first use); call it
    twice for two processes of one service sharing the database and the queues. Containers
    are killed here, before the databases are dropped.
    """
    started = []

    def start(service_cls, **extra):
        config = service_config(rabbit_config, tmp_path,
                                {service_cls.name: stores(service_cls.name).url}, **extra)
        container = container_factory(service_cls, config)
        container.start()
        started.append(container)
        return container

    yield start
    for container in started:
        container.kill()


class Received:
    """What a listener collected: `received["order_placed"]` is the list of payloads (a
    packed message's events one by one, as a batch consumer reads them);
    `received.messages["voucher_redeemed"]`, how many messages brought them."""

    def __init__(self):
        self.events = defaultdict(list)
        self.messages = defaultdict(int)

    def add(self, event_type, body):
        self.events[event_type].extend(body if isinstance(body, list) else [body])
        self.messages[event_type] += 1

    def __getitem__(self, event_type):
        return self.events[event_type]

    def count(self, event_type):
        return len(self.events[event_type])

    def wait(self, event_type, count=1, timeout=10):
        """Wait until at least `count` of these arrived (check exact counts with `stays`)."""
        wait_for(lambda: len(self.events[event_type]) >= count, timeout, message=(
            "{} of {} {} events arrived within {}s".format(
                len(self.events[event_type]), count, event_type, timeout)))
        return self.events[event_type]


@pytest.fixture
def listen(container_factory, config):
    """`listen("orders", "order_placed", ...)`: start a listener service; returns `Received`.

    The listener stands in for the consuming neighbours: each event type gets its own
    durable queue (bound when this returns), exactly as a real consumer's would be.
    """
    started = []

    def start(source_service, *event_types, name="listener"):
        received = Received()
        attributes = {"name": name}
        for event_type in event_types:
            def handle(self, payload, event_type=event_type):
                received.add(event_type, payload)
            handle.__name__ = "on_" + event_type
            attributes[handle.__name__] = event_handler(source_service, event_type)(handle)
        container = container_factory(type("Listener", (), attributes), config)
        container.start()
        started.append(container)
        return received

    yield start
    for container in started:
        container.kill()


@pytest.fixture
def dispatch(config):
    """`dispatch("orders", "order_placed", payload)`: publish an event as that service."""
    dispatchers = {}

    def send(source_service, event_type, payload):
        if source_service not in dispatchers:
            dispatchers[source_service] = event_dispatcher(config)
        dispatchers[source_service](source_service, event_type, payload)

    return send


@pytest.fixture
def rpc(config):
    """The cluster as the gateway sees it: `rpc.orders.place_order(...)`."""
    proxy = ClusterRpcProxy(config, timeout=RPC_TIMEOUT)
    cluster = proxy.start()
    yield cluster
    proxy.stop()
