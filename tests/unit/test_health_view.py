"""The gateway's health view: answered from the background check, never a stale "ok"."""
from gateway import health
from gateway.health import HealthView


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


ALL_OK = {name: "ok" for name in health.SERVICES}


def test_nothing_is_healthy_before_the_first_check():
    view = HealthView(Clock())
    assert not view.is_fresh()  # the probe asks the services itself
    healthy, services = view.current()
    assert not healthy and set(services.values()) == {"unknown"}


def test_healthy_when_every_service_answered_ok():
    view = HealthView(Clock())
    view.record(ALL_OK)
    assert view.current() == (True, ALL_OK)


def test_one_service_down_makes_the_view_unhealthy_and_names_it():
    view = HealthView(Clock())
    view.record(dict(ALL_OK, vouchers="unavailable"))
    healthy, services = view.current()
    assert not healthy and services["vouchers"] == "unavailable"


def test_a_view_the_timer_stopped_refreshing_is_not_believed():
    clock = Clock()
    view = HealthView(clock)
    view.record(ALL_OK)
    clock.now += health.STALE_AFTER_SECONDS + 1
    healthy, services = view.current()
    assert not healthy and set(services.values()) == {"unknown"}


def test_the_background_check_runs_only_while_someone_probes():
    clock = Clock()
    view = HealthView(clock)
    assert not view.probed_lately()  # an idle system: no health traffic on the broker
    view.record(ALL_OK)
    view.current()
    clock.now += health.ACTIVE_SECONDS
    assert view.probed_lately()
    clock.now += 1
    assert not view.probed_lately()
