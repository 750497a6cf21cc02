"""What the gateway knows of the services' health, kept current in the background.

A probe must stay cheap under load: asking five services on every `GET /health` made a
Kubernetes probe slow exactly when the system was busy. Instead, while anyone is probing,
a timer in each gateway process asks every service's `health` RPC (which also touches its
database) once a second, and the health routes answer from the last answers. When nobody
has probed for ACTIVE_SECONDS the timer rests (no RPC traffic on an idle system), and the
first probe after that asks the services itself. A view older than STALE_AFTER_SECONDS is
never served as it is.
"""
import time

import eventlet.semaphore
from nameko.extensions import DependencyProvider

SERVICES = ("access", "orders", "vouchers", "scores", "billing")
CHECK_SECONDS = 1  # HEALTH_CHECK_SECONDS (config): how often the timer asks
ANSWER_SECONDS = 3  # how long one round waits for a service's answer
STALE_AFTER_SECONDS = 10  # a view this old is not believed
ACTIVE_SECONDS = 15  # the timer keeps checking this long after the last probe


class HealthView:
    """The services' last answers in one gateway process (shared by its workers)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.states = {}  # served only once a check has recorded them
        self.checked_at = None
        self.probed_at = None
        # probes that find the view stale ask the services once between them, not each
        self.asking = eventlet.semaphore.Semaphore(1)

    def record(self, states):
        self.states = dict(states)
        self.checked_at = self.clock()

    def is_fresh(self):
        return self.checked_at is not None and \
            self.clock() - self.checked_at <= STALE_AFTER_SECONDS

    def probed_lately(self):
        """Whether the background check is wanted: someone probed in ACTIVE_SECONDS."""
        return self.probed_at is not None and self.clock() - self.probed_at <= ACTIVE_SECONDS

    def current(self):
        """(healthy, {service: state}) for a probe: healthy when every service answered
        "ok" in the last check, which must be fresh (ask the services first if not)."""
        self.probed_at = self.clock()
        if not self.is_fresh():
            return False, {name: "unknown" for name in SERVICES}
        return all(state == "ok" for state in self.states.values()), dict(self.states)


class ServicesHealth(DependencyProvider):
    """`self.services_health` in the gateway: the process's one HealthView."""

    def setup(self):
        self.view = HealthView()

    def get_dependency(self, worker_ctx):
        return self.view
