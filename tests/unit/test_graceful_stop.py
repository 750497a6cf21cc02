"""A process's stop on SIGTERM (services/common/graceful.py): it drains first, waits for
every worker, also when the stop came with the worker pool full, and is bounded."""
import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import Entrypoint, SharedExtension

from services.common.graceful import GracefulContainer

POOL = 2


class Gate(SharedExtension):
    """What the workers wait on; it also records when the container drained it."""

    def __init__(self):
        super().__init__()
        self.opened = eventlet.Event()
        self.events = []

    def drain(self):
        self.events.append("drained")


class Manual(Entrypoint):
    """An entrypoint the test fires by hand (no broker)."""
    gate = Gate()

    def stop(self):
        self.gate.events.append("entrypoint stopped")


class Waiting:
    name = "waiting"

    @Manual.decorator
    def wait(self):
        eventlet.sleep(3600)  # a worker that never ends by itself


def start(container_cls, **config):
    container = container_cls(Waiting, dict({"max_workers": POOL}, **config))
    container.start()
    entrypoint = next(iter(container.entrypoints))
    return container, entrypoint, entrypoint.gate


def fill_the_pool(container, gate):
    """POOL workers that end together when the gate opens, and one more waiting for a
    slot (a message or request already taken, as under load)."""
    def work():
        gate.opened.wait()
    for _ in range(POOL):
        container._worker_pool.spawn(work)
    waiting = eventlet.spawn(container._worker_pool.spawn, work)
    eventlet.sleep(0)
    assert container._worker_pool.waiting() == 1
    return waiting


@pytest.mark.parametrize("container_cls, stops", [(GracefulContainer, True),
                                                 (ServiceContainer, False)])
def test_a_stop_with_the_pool_full_ends(container_cls, stops):
    """nameko's own container never ends this stop: eventlet's waitall() waits on an event
    the pool replaces when the waiting worker starts after the running ones ended."""
    container, _entrypoint, gate = start(container_cls)
    fill_the_pool(container, gate)
    stopping = eventlet.spawn(container.stop)
    eventlet.sleep(0.01)
    assert not stopping.dead  # waits for the workers
    gate.opened.send()  # every running worker ends in the same turn of the hub
    try:
        with eventlet.Timeout(2):
            stopping.wait()
        stopped = True
    except eventlet.Timeout:
        stopped = False
        container.kill()
    assert stopped is stops
    assert container._worker_pool.running() == 0


def test_the_drain_comes_before_the_entrypoints_stop():
    container, _entrypoint, gate = start(GracefulContainer)
    with eventlet.Timeout(5):
        container.stop()
    assert gate.events == ["drained", "entrypoint stopped"]


def test_a_stop_kills_what_still_runs_after_stop_seconds():
    container, entrypoint, _gate = start(GracefulContainer, STOP_SECONDS=0.3)
    container.spawn_worker(entrypoint, (), {})
    started = eventlet.hubs.get_hub().clock()
    with eventlet.Timeout(5):
        container.stop()
        container.wait()
    assert 0.3 <= eventlet.hubs.get_hub().clock() - started < 2
    assert container._worker_pool.running() == 0


def test_a_second_sigterm_waits_for_the_first_stop():
    container, _entrypoint, gate = start(GracefulContainer)
    fill_the_pool(container, gate)
    first = eventlet.spawn(container.stop)
    second = eventlet.spawn(container.stop)
    eventlet.sleep(0.01)
    assert not first.dead and not second.dead
    gate.opened.send()
    with eventlet.Timeout(2):
        first.wait()
        second.wait()
    assert gate.events == ["drained", "entrypoint stopped"]


def test_a_drain_that_breaks_does_not_keep_the_process_from_stopping(monkeypatch):
    container, _entrypoint, gate = start(GracefulContainer, STOP_SECONDS=5)

    def broken_drain():
        raise ValueError("a bad drain setting")
    monkeypatch.setattr(gate, "drain", broken_drain)
    with eventlet.Timeout(3):
        container.stop()
        container.wait()
    assert gate.events == ["entrypoint stopped"]
