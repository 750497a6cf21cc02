"""Calls gathered in the gateway (gateway/gathered_calls.py): what arrives while the slots
are busy shares the next call, and each caller gets its own outcome or its call's error."""
import eventlet
import pytest

from gateway.gathered_calls import Gatherer


class Service:
    """Doubles each item, taking a moment; records the items of each call."""

    def __init__(self, fail_on=None):
        self.calls = []
        self.fail_on = fail_on

    def send(self, items):
        self.calls.append(list(items))
        eventlet.sleep(0.01)
        if self.fail_on in items:
            raise TimeoutError("the service did not answer")
        return [item * 2 for item in items]


def call_all(gatherer, service, items):
    pool = eventlet.GreenPool(len(items))
    threads = [pool.spawn(gatherer.call, service.send, item) for item in items]
    outcomes = []
    for thread in threads:
        try:
            outcomes.append(thread.wait())
        except TimeoutError as error:
            outcomes.append(error)
    return outcomes


def test_a_call_alone_goes_out_at_once_with_its_one_item():
    service = Service()
    assert Gatherer().call(service.send, 21) == 42
    assert service.calls == [[21]]


def test_what_arrives_while_the_slots_are_busy_shares_the_next_call():
    service = Service()
    outcomes = call_all(Gatherer(in_flight=1, most=50), service, list(range(10)))
    assert outcomes == [item * 2 for item in range(10)]
    assert service.calls == [[0], list(range(1, 10))]


def test_a_call_carries_at_most_its_share_and_the_slots_bound_what_is_in_flight():
    service = Service()
    outcomes = call_all(Gatherer(in_flight=2, most=4), service, list(range(12)))
    assert outcomes == [item * 2 for item in range(12)]
    assert [len(items) for items in service.calls] == [1, 1, 4, 4, 2]
    assert sorted(item for items in service.calls for item in items) == list(range(12))


def test_a_failed_call_fails_its_own_items_only():
    service = Service(fail_on=5)
    outcomes = call_all(Gatherer(in_flight=1, most=3), service, list(range(8)))
    failed = [items for items in service.calls if 5 in items][0]
    for item, outcome in zip(range(8), outcomes):
        if item in failed:
            assert isinstance(outcome, TimeoutError)
        else:
            assert outcome == item * 2


@pytest.mark.parametrize("in_flight", [1, 3])
def test_every_caller_is_answered_once_under_a_burst(in_flight):
    service = Service()
    outcomes = call_all(Gatherer(in_flight=in_flight, most=7), service, list(range(100)))
    assert outcomes == [item * 2 for item in range(100)]
    assert sorted(item for items in service.calls for item in items) == list(range(100))
