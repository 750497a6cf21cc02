"""A message whose work is under way when its process stops is acknowledged once the work
is done (services/common/graceful.py): an RPC is answered and runs once, an event is
applied once. nameko's own stop may close the consumer's connection as soon as its
consumers are cancelled, before the work is done; the broker then hands the message to the
next process, which runs it again (seen here with nameko's ServiceContainer, not every
time: it depends on where the consumer's loop is when the stop comes)."""
import eventlet
import pytest
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.graceful import GracefulContainer
from tests.integration.conftest import stays, wait_for

WORK_SECONDS = 2.0  # longer than a turn of the consumer's loop (1 s)
runs = []


class Slow:
    name = "slow_service"

    @rpc
    def work(self, label):
        runs.append(label)
        eventlet.sleep(WORK_SECONDS)
        return "done"

    @event_handler("somebody", "happened")
    def apply(self, label):
        runs.append(label)
        eventlet.sleep(WORK_SECONDS)


@pytest.fixture
def config(rabbit_config):
    runs.clear()
    return dict(rabbit_config, max_workers=4)


def started(container_cls, config):
    container = container_cls(Slow, config)
    container.start()
    return container


def test_an_rpc_under_way_at_the_stop_runs_once(config):
    container = started(GracefulContainer, config)
    with ClusterRpcProxy(config) as proxy:
        reply = proxy.slow_service.work.call_async("rpc")
        wait_for(lambda: runs)
        container.stop()
        assert reply.result() == "done"
    after = started(GracefulContainer, config)  # a redelivered request would come here
    try:
        assert stays(lambda: runs == ["rpc"], duration=WORK_SECONDS + 0.5)
    finally:
        after.stop()


def test_an_event_under_way_at_the_stop_is_applied_once(config):
    container = started(GracefulContainer, config)
    event_dispatcher(config)("somebody", "happened", "event")
    wait_for(lambda: runs)
    container.stop()
    after = started(GracefulContainer, config)
    try:
        assert stays(lambda: runs == ["event"], duration=WORK_SECONDS + 0.5)
    finally:
        after.stop()
