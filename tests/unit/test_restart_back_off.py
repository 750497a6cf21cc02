"""`make run` restarts a process that exits on its own after a delay that doubles while it
keeps exiting, up to a minute, and starts from one second again once it stayed up."""
import pytest

from scripts import system as launcher
from scripts.system import System


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    ticking = Clock()
    monkeypatch.setattr(launcher.time, "monotonic", ticking)
    return ticking


def crash_after(system, clock, seconds_up):
    """The process ran `seconds_up` seconds since its last start, then exited."""
    system._started_at["access"] = clock.now
    clock.now += seconds_up
    return system.schedule_restart("access")


def test_the_delay_doubles_while_the_process_keeps_exiting_up_to_a_minute(clock):
    system = System()
    delays = [crash_after(system, clock, 2) for _ in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_process_that_stayed_up_is_restarted_after_one_second_again(clock):
    system = System()
    assert [crash_after(system, clock, 2) for _ in range(4)] == [1, 2, 4, 8]
    assert crash_after(system, clock, launcher.STAYS_UP_SECONDS) == 1
    assert crash_after(system, clock, 2) == 2


def test_a_restart_is_due_only_after_its_delay(clock, monkeypatch):
    system = System()
    started = []
    monkeypatch.setattr(system, "start_process", started.append)
    assert crash_after(system, clock, 2) == 1
    assert system.restart_due() == [] and started == []
    clock.now += 1
    assert system.restart_due() == ["access"] and started == ["access"]
