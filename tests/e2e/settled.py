"""After a fault, the system settles: nothing waits in a queue or unacknowledged, nothing is
left unsent in an outbox, and no event was given up on (`failed_events`).

The queue counts come from RabbitMQ's management API for the sandbox's vhost. The broker
samples them every `collect_statistics_interval` (5 s by default): only counts read at
least that long after the check began say anything about the state the test left.
"""
import time
from urllib.parse import quote

import requests

from scripts.sandbox import RABBIT_API, SERVICE_NAMES

STATISTICS_INTERVAL = 5.0  # seconds: RabbitMQ's default collect_statistics_interval
from tests.e2e.service_db import scalar


def vhost_of(system_env):
    return system_env["AMQP_URI"].rsplit("/", 1)[1]


def busy_queues(system_env, rabbit_api=RABBIT_API):
    """{queue: (ready, unacknowledged)} of the vhost's queues that hold any message."""
    response = requests.get("{}/queues/{}".format(rabbit_api, quote(vhost_of(system_env),
                                                                    safe="")), timeout=10)
    response.raise_for_status()
    return {queue["name"]: (queue.get("messages_ready", 0),
                            queue.get("messages_unacknowledged", 0))
            for queue in response.json()
            if queue.get("messages_ready", 0) or queue.get("messages_unacknowledged", 0)}


def unsent_events(system_env):
    """{service: events written to its outbox and not yet published}."""
    unsent = {service: scalar(system_env, service,
                              "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
              for service in SERVICE_NAMES}
    return {service: count for service, count in unsent.items() if count}


def failed_events(system_env):
    found = {service: scalar(system_env, service, "SELECT count(*) FROM failed_events")
             for service in SERVICE_NAMES}
    return {service: count for service, count in found.items() if count}


def assert_settled(system_env, rabbit_api=RABBIT_API, timeout=60,
                   statistics_interval=STATISTICS_INTERVAL):
    """Wait until no queue of the vhost holds a message (ready or unacknowledged) and every
    outbox is sent, in counts sampled after this call began; then no event may have been
    given up on."""
    fresh_from = time.monotonic() + statistics_interval + 0.5
    deadline = fresh_from + timeout
    while True:
        queues, outboxes = busy_queues(system_env, rabbit_api), unsent_events(system_env)
        if not queues and not outboxes and time.monotonic() >= fresh_from:
            break
        assert time.monotonic() < deadline, \
            f"not settled after {timeout}s: queues {queues}, unsent events {outboxes}"
        time.sleep(0.5)
    assert failed_events(system_env) == {}
