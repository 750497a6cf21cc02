"""The outbox relay's loop: a broker out of reach is one warning line and the loop goes
on; any other failure is logged with its traceback, and the loop goes on too."""
import logging

import pytest

from services.common import outbox_relay
from services.common.outbox_relay import OutboxRelay


def relay_failing_once_with(error, monkeypatch):
    monkeypatch.setattr(outbox_relay, "POLL_SECONDS", 0.01)
    relay = OutboxRelay()
    relay.service_name = "orders"
    relay.purge_sent = lambda: None
    passes = []

    def relay_batch():
        passes.append(1)
        if len(passes) == 1:
            raise error
        relay._running = False  # the second pass ends the loop
        return 0

    relay.relay_batch = relay_batch
    relay._running = True
    relay._run()
    assert len(passes) == 2
    return relay


def test_a_broker_out_of_reach_is_one_warning_line(monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger=outbox_relay.__name__):
        relay_failing_once_with(ConnectionRefusedError(111, "Connection refused"), monkeypatch)
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "orders: broker out of reach (ConnectionRefusedError" in record.getMessage()


@pytest.mark.parametrize("error", [RuntimeError("a bug"), LookupError("no such table")])
def test_another_failure_keeps_its_traceback(error, monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger=outbox_relay.__name__):
        relay_failing_once_with(error, monkeypatch)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info[1] is error
