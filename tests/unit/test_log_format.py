"""How log records are written (services/common/log_format.py): one JSON object per line
with the service and the correlation id, or the plain line people read; a refusal stays
one line in either."""
import io
import json
import logging

import pytest

from services.common import correlation
from services.common.errors import NotFound
from services.common.log_filters import RefusalsOnOneLine
from services.common.log_format import UnknownLogFormat, formatter


@pytest.fixture
def written():
    """`written(kind)`: a logger writing through the chosen formatter (and the refusal
    filter, as config.yaml has it); `.lines()` is what it wrote."""
    loggers = []

    def make(kind):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter(kind))
        handler.addFilter(RefusalsOnOneLine())
        logger = logging.getLogger("clep.test.{}.{}".format(kind, len(loggers)))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.lines = lambda: stream.getvalue().splitlines()
        loggers.append((logger, handler))
        return logger

    yield make
    for logger, handler in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def in_worker():
    token = correlation.bind("req-0123456789", "orders")
    yield
    correlation.unbind(token)


def test_a_json_line_has_the_fields_and_the_current_id(written, in_worker):
    log = written("json")
    log.info("placed order %s", 7)
    [line] = log.lines()
    record = json.loads(line)
    assert record.pop("time").endswith("+00:00")
    assert record == {"level": "INFO", "logger": log.name, "message": "placed order 7",
                      "service": "orders", "correlation_id": "req-0123456789"}


def test_whatever_a_message_holds_it_stays_one_line_of_json(written, in_worker):
    log = written("json")
    sent = 'a "quoted"\nsecond line\r\x1b[31m} {\ud800'
    log.warning("client sent %s", sent)
    [line] = log.lines()
    assert json.loads(line)["message"] == "client sent " + sent
    assert line.isascii()


def test_an_exception_is_its_text_in_the_same_line(written, in_worker):
    log = written("json")
    try:
        {}["missing"]
    except KeyError:
        log.exception("could not apply")
    [line] = log.lines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["message"] == "could not apply"
    assert record["exception"].startswith("Traceback") and "KeyError: 'missing'" in \
        record["exception"]


def test_a_refusal_stays_one_info_line_without_a_traceback(written, in_worker):
    log = written("json")
    try:
        raise NotFound("order_not_found", "No such order.")
    except NotFound:
        log.exception("error handling worker")
    [line] = log.lines()
    record = json.loads(line)
    assert record["level"] == "INFO" and "exception" not in record


def test_a_line_given_its_own_id_keeps_it_and_adds_its_fields(written, in_worker):
    log = written("json")
    log.info("voucher_redeemed event e-1 applied", extra={
        "correlation_id": "redeem-0123456789", "batch_correlation_id": "req-0123456789",
        "event_id": "e-1", "outcome": "applied", "unrelated": "not written"})
    record = json.loads(log.lines()[0])
    assert (record["correlation_id"], record["batch_correlation_id"], record["event_id"],
            record["outcome"]) == ("redeem-0123456789", "req-0123456789", "e-1", "applied")
    assert "unrelated" not in record


def test_outside_a_worker_there_is_no_id(written):
    correlation.set_process_service("billing")
    try:
        log = written("json")
        log.info("outbox relay started")
        record = json.loads(log.lines()[0])
    finally:
        correlation.set_process_service(None)
    assert (record["service"], record["correlation_id"]) == ("billing", None)


def test_a_plain_line_names_the_id_and_leaves_the_record_as_it_was(written, in_worker):
    log = written("plain")
    log.info("hello")
    assert log.lines()[0].endswith(" INFO {} [req-0123456789]: hello".format(log.name))
    records = []
    log.addFilter(lambda record: records.append(record) or True)
    log.info("again")
    assert not hasattr(records[0], "correlation_id")


def test_an_unknown_format_is_refused_by_name():
    assert type(formatter(" JSON ")).__name__ == "JsonFormatter"
    with pytest.raises(UnknownLogFormat, match="CLEP_LOG_FORMAT"):
        formatter("yaml")
