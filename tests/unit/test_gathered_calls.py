"""Calls gathered in the gateway (gateway/gathered_calls.py): what arrives while the slots
are busy shares the next call, and each caller gets its own outcome or its call's error."""
import logging

import eventlet
import pytest

from gateway.gathered_calls import Gatherer, _RedeemThrough
from services.common import correlation


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


class Vouchers:
    """The vouchers service as the gateway's redemptions call it; records each call's
    items and the id it came under."""

    def __init__(self):
        self.calls = []

    def redeem_vouchers(self, items):
        self.calls.append((correlation.current_id(), [item["correlation_id"] for item in items]))
        eventlet.sleep(0.01)
        return [{"ticket": item["voucher_code"]} for item in items]


def test_gathered_redemptions_each_name_their_request_and_the_call_that_took_them(caplog):
    vouchers, redeem = Vouchers(), _RedeemThrough(Gatherer(in_flight=1, most=50)).redeem

    def request(number):
        token = correlation.bind("request-{:08d}".format(number), "gateway")
        try:
            return redeem(vouchers, "partner", "CODE{}".format(number), {}, "Biology")
        finally:
            correlation.unbind(token)

    pool = eventlet.GreenPool(4)
    with caplog.at_level(logging.INFO, logger="gateway.gathered_calls"):
        tickets = list(pool.imap(request, range(4)))
    assert tickets == ["CODE0", "CODE1", "CODE2", "CODE3"]
    assert vouchers.calls == [
        ("request-00000000", ["request-00000000"]),  # alone: out at once
        ("request-00000001", ["request-00000001", "request-00000002", "request-00000003"])]
    assert sorted((record.correlation_id, record.getMessage()) for record in caplog.records) \
        == [("request-0000000{}".format(number),
             "redemption sent in the redeem_vouchers call of request-00000001")
            for number in (2, 3)]
