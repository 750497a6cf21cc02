"""Requests that arrive while earlier ones are on their way to a service travel together.

A redemption's own work in the vouchers service is a few statements; its RPC (the
request, the reply, the broker's confirms, a worker on each side) cost more than that. A
`Gatherer` lets at most `in_flight` calls be on their way at once; whatever arrives
meanwhile waits for a free slot and then goes in the next call, up to `most` items in
one. Alone, a request goes out at once: nothing waits on a timer, and a call carries more
items only when there are more requests than slots.

Each caller gets its own item's outcome; if the call itself fails (a timeout, the service
away), every item of it gets that error, as each would have on its own call.
"""
import collections
import functools
import logging

import eventlet.event
import eventlet.semaphore
from nameko.exceptions import deserialize
from nameko.extensions import DependencyProvider, SharedExtension

from services.common import correlation

log = logging.getLogger(__name__)

IN_FLIGHT = 1  # calls on their way from one gateway process at once (2 measured slower)
MOST = 50  # items in one call at most


class _Waiting:
    __slots__ = ("item", "taken", "outcome")

    def __init__(self, item):
        self.item = item
        self.taken = False
        self.outcome = eventlet.event.Event()


class Gatherer:
    def __init__(self, in_flight=IN_FLIGHT, most=MOST):
        self._slots = eventlet.semaphore.Semaphore(in_flight)
        self._waiting = collections.deque()
        self.most = most

    def call(self, send, item):
        """`send(items)` answers a list of outcomes in the items' order; returns this
        item's (or raises the call's error)."""
        mine = _Waiting(item)
        self._waiting.append(mine)
        while not mine.taken:
            with self._slots:  # waiters are let in first come, first served
                if not mine.taken:  # else another caller took it along meanwhile
                    self._send(send, [self._waiting.popleft()
                                      for _ in range(min(self.most, len(self._waiting)))])
        return mine.outcome.wait()

    @staticmethod
    def _send(send, batch):
        for waiting in batch:
            waiting.taken = True
        try:
            outcomes = send([waiting.item for waiting in batch])
        except Exception as error:  # noqa: BLE001 - each caller raises it as its own
            for waiting in batch:
                waiting.outcome.send_exception(error)
        else:
            for waiting, outcome in zip(batch, outcomes):
                waiting.outcome.send(outcome)


class ProcessRedemptions(SharedExtension):
    """The gateway process's one Gatherer of redemptions."""

    def setup(self):
        self.gatherer = Gatherer()


class Redemptions(DependencyProvider):
    """`redemptions = Redemptions()` in the gateway: `redeem(vouchers, ...)` is a ticket
    (or raises the domain error), through the vouchers service's `redeem_vouchers` called
    with the worker's own RPC proxy."""

    process = ProcessRedemptions()

    def get_dependency(self, worker_ctx):
        return _RedeemThrough(self.process.gatherer)


class _RedeemThrough:
    def __init__(self, gatherer):
        self._gatherer = gatherer

    def redeem(self, vouchers, client, voucher_code, student, exam):
        answer = self._gatherer.call(functools.partial(_redeem_vouchers, vouchers), {
            "client": client, "voucher_code": voucher_code, "student": student,
            "exam": exam, "correlation_id": correlation.current_id()})
        if "error" in answer:
            raise deserialize(answer["error"])
        return answer["ticket"]


def _redeem_vouchers(vouchers, items):
    """The call, under the id of the request whose worker sends it; each item names its
    own request's (vouchers announces each ticket under it), and a line under each other
    request's id says which call took it along."""
    sender = correlation.current_id()
    for item in items:
        if item["correlation_id"] != sender:
            log.info("redemption sent in the redeem_vouchers call of %s", sender,
                     extra={"correlation_id": item["correlation_id"]})
    return vouchers.redeem_vouchers(items)
