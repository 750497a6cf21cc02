"""The outbox relay's loop: a broker out of reach is one warning line however long it
stays away, and one line when it is back; any other failure is logged with its
traceback; the loop goes on either way."""
import logging

import pytest

from services.common import outbox_relay
from services.common.outbox_relay import OutboxRelay


def relay_failing_with(error, monkeypatch, failures=1):
    """Run the loop: `failures` passes raise `error`, the next one publishes an event, the
    one after ends the loop."""
    monkeypatch.setattr(outbox_relay, "POLL_SECONDS", 0.01)
    relay = OutboxRelay()
    relay.service_name = "orders"
    relay.purge_sent = lambda: None
    passes = []

    def relay_batch():
        passes.append(1)
        if len(passes) <= failures:
            raise error
        if len(passes) == failures + 2:
            relay._running = False
            return 0
        return 1

    relay.relay_batch = relay_batch
    relay._running = True
    relay._run()
    assert len(passes) == failures + 2
    return relay


def test_a_broker_out_of_reach_is_one_warning_line_then_one_when_it_is_back(
        monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger=outbox_relay.__name__):
        relay_failing_with(ConnectionRefusedError(111, "Connection refused"), monkeypatch,
                           failures=3)
    [away, back] = caplog.records
    assert away.levelno == logging.WARNING and away.exc_info is None
    assert "orders: broker out of reach (ConnectionRefusedError" in away.getMessage()
    assert back.levelno == logging.INFO and "broker reached again" in back.getMessage()


@pytest.mark.parametrize("error", [RuntimeError("a bug"), LookupError("no such table")])
def test_another_failure_keeps_its_traceback(error, monkeypatch, caplog):
    with caplog.at_level(logging.INFO, logger=outbox_relay.__name__):
        relay_failing_with(error, monkeypatch)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info[1] is error
