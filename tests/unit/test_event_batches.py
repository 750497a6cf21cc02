"""Applying a batch of events in one unit of work (services/common/event_batches.py): what
each event becomes, on a real SQLite store, with the guarantees of one-event-at-a-time."""
import json
import logging
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.common import correlation, event_batches
from services.common.event_schema import EventSchema, Text
from services.common.events import MAX_ATTEMPTS, EventConsumer
from services.common.messaging_tables import event_retries, failed_events, outbox, \
    processed_events


class Greeting(EventSchema):
    name = Text(required=True)


class FakeService:
    """What the batch needs of a service: its `db`; counts the units of work opened."""

    def __init__(self, store):
        self.db = store
        self.transactions = 0
        real = store.transaction

        def counted():
            self.transactions += 1
            return real()
        store.transaction = counted


def greet(_service, work, event):
    """The handler under test: one outbox row per applied event (it commits or not with
    the unit of work); a name says how to fail."""
    if event["name"] == "refused":
        raise LookupError("no such greeting")
    if event["name"] == "locked":
        raise OperationalError("UPDATE", {}, Exception("database is locked"))
    work.emit("greeted", {"name": event["name"]})


def greet_each(service, work, events):
    for one in events:
        greet(service, work, one)


def event(name, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "name": name}


@pytest.fixture
def service(vouchers_store, monkeypatch):
    monkeypatch.setattr(event_batches.eventlet, "sleep", lambda seconds: None)
    return FakeService(vouchers_store)


@pytest.fixture
def run(service):
    consumer = EventConsumer("greet", "tests", "greeting")

    return batch_of(service, consumer, greet_each)


def batch_of(service, consumer, apply_all):
    """What `consumes_in_batches` makes of `apply_all(service, work, events)`."""
    def apply(svc, one):
        loaded = event_batches.check_event(Greeting, one)
        with svc.db.transaction() as work:
            if work.first_delivery(loaded["event_id"], "greet"):
                apply_all(svc, work, [loaded])

    def batch(events):
        return event_batches.apply_batch(service, consumer, Greeting, apply_all, apply, events)
    return batch


def count(store, table, *where):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def greeted(store):
    with store.reader() as session:
        return sorted(session.scalars(select(outbox.c.payload)).all())


def test_a_batch_is_one_unit_of_work_and_every_message_is_acknowledged(service, run):
    events = [event("n{}".format(n)) for n in range(50)]
    assert run(events) == [True] * 50
    assert service.transactions == 1
    assert count(service.db, outbox) == 50
    assert count(service.db, processed_events) == 50


def test_an_event_applied_before_or_twice_in_the_batch_is_applied_once(service, run):
    again = event("again")
    assert run([again]) == [True]
    twice = event("twice")
    assert run([again, twice, dict(twice), event("new")]) == [True] * 4
    assert count(service.db, outbox) == 3  # again, twice, new: once each


def test_a_malformed_event_is_kept_and_the_others_are_applied(service, run):
    bad = {"event_id": str(uuid.uuid4()), "name": "   "}
    assert run([event("a"), bad, event("b")]) == [True, True, True]
    assert count(service.db, outbox) == 2
    with service.db.reader() as session:
        [kept] = session.execute(select(failed_events)).all()
    assert kept.event_id == bad["event_id"] and kept.error.startswith("MalformedEvent: name")


def test_an_event_failing_for_good_is_kept_and_the_rest_of_its_batch_committed(service, run):
    refused = event("refused")
    assert run([event("a"), refused, event("b")]) == [True, True, True]
    assert count(service.db, outbox) == 2
    assert count(service.db, processed_events) == 2  # the refused one may be replayed
    with service.db.reader() as session:
        [kept] = session.execute(select(failed_events)).all()
    assert kept.event_id == refused["event_id"] and "no such greeting" in kept.error


def test_a_transient_failure_requeues_that_event_counted_and_applies_the_others(service, run):
    locked = event("locked")
    assert run([event("a"), locked, event("b")]) == [True, False, True]
    assert count(service.db, outbox) == 2
    with service.db.reader() as session:
        [retry] = session.execute(select(event_retries)).all()
    assert (retry.event_id, retry.consumer, retry.attempts) == (locked["event_id"], "greet", 1)
    assert count(service.db, failed_events) == 0


def test_an_event_failing_transiently_past_the_bound_is_kept_and_acknowledged(service, run):
    locked = event("locked")
    for _ in range(MAX_ATTEMPTS - 1):
        assert run([locked]) == [False]
    assert run([locked, event("a")]) == [True, True]
    with service.db.reader() as session:
        [kept] = session.execute(select(failed_events)).all()
    assert kept.attempts == MAX_ATTEMPTS
    assert count(service.db, event_retries) == 0


def test_an_event_requeued_then_applied_forgets_its_count(service, run, monkeypatch):
    flaky = event("flaky")
    monkeypatch.setitem(flaky, "name", "locked")
    assert run([flaky]) == [False]
    assert count(service.db, event_retries) == 1
    monkeypatch.setitem(flaky, "name", "fine now")
    assert run([flaky, event("other")]) == [True, True]
    assert count(service.db, event_retries) == 0
    assert count(service.db, outbox) == 2


def test_a_method_of_many_gets_the_new_events_at_once_and_each_alone_after_a_failure(service):
    calls = []

    def greet_all(svc, work, events):
        calls.append([one["name"] for one in events])
        for one in events:
            greet(svc, work, one)
    run = batch_of(service, EventConsumer("greet", "tests", "greeting"), greet_all)
    seen = event("seen")
    assert run([seen]) == [True]
    assert run([seen, event("a"), event("b")]) == [True] * 3
    assert calls[1:] == [["a", "b"]]  # one call for the batch, without what was applied

    calls.clear()
    assert run([event("c"), event("refused"), event("d")]) == [True] * 3
    assert calls == [["c", "refused", "d"], ["c"], ["refused"], ["d"]]
    assert count(service.db, outbox) == 5  # seen, a, b; then c and d on their own


def test_first_deliveries_names_the_new_ids_once(vouchers_store):
    with vouchers_store.transaction() as work:
        assert work.first_delivery("seen", "c")
    with vouchers_store.transaction() as work:
        assert work.first_deliveries(["seen", "new", "new", "other"], "c") == {"new", "other"}
        assert work.first_deliveries(["seen"], "another consumer") == {"seen"}
    with pytest.raises(ValueError):
        with vouchers_store.transaction() as work:
            work.first_deliveries(["x", ""], "c")


def test_a_notice_emitted_once_per_unit_of_work_goes_out_once_per_payload(vouchers_store):
    """200 exams of one organization in a batch: one `vouchers_changed`, not 200."""
    with vouchers_store.transaction() as work:
        for organization_id in (7, 7, 8, 7):
            work.emit_once("vouchers_changed", {"organization_id": organization_id})
    with vouchers_store.transaction() as work:
        work.emit_once("vouchers_changed", {"organization_id": 7})  # a new transaction
    with vouchers_store.reader() as session:
        payloads = session.scalars(select(outbox.c.payload).order_by(outbox.c.id)).all()
    assert ['"organization_id": 7' in p for p in payloads] == [True, False, True]


def test_every_consumer_of_a_packed_event_type_takes_batches():
    """A packed event type travels many to a message (a JSON list); only a batch handler
    reads such a message, so no other kind of handler may consume one."""
    from nameko.events import EventHandler

    from gateway.service import GatewayService
    from services.access.service import AccessService
    from services.billing.service import BillingService
    from services.common.batch_consumer import BatchEventHandler
    from services.orders.service import OrdersService
    from services.scores.service import ScoresService
    from services.vouchers.service import VouchersService

    services = (AccessService, OrdersService, VouchersService, ScoresService, BillingService,
                GatewayService)
    packed = {(service.db.service_name, event_type) for service in services
              if hasattr(service, "db") for event_type in service.db.packed}
    assert packed == {("vouchers", "voucher_redeemed"), ("scores", "exam_recorded")}
    consumers = {}
    for service in services:
        for name in dir(service):
            for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    key = (entrypoint.source_service, entrypoint.event_type)
                    consumers.setdefault(key, []).append((service.__name__, name, entrypoint))
    for key in packed:
        assert consumers.get(key), "nobody consumes {}: why pack it?".format(key)
        for service_name, method, entrypoint in consumers[key]:
            assert isinstance(entrypoint, BatchEventHandler), \
                "{}.{} reads {} one message at a time".format(service_name, method, key)



def stamped(record):
    """A log filter: the correlation id current when the record was made, noted on it."""
    record.current_id = correlation.current_id()
    return True


def test_each_event_of_a_batch_is_logged_under_its_own_id(service, run, caplog):
    """A packed message holds events of many requests: each event's line carries its
    request's id and names the batch's; an event applied on its own after its batch failed
    runs under its own id (its lines, what it emits)."""
    seen = event("seen")
    assert run([seen]) == [True]
    mine = dict(event("mine"), correlation_id="request-aaaaaaaa")
    theirs = dict(event("theirs"), correlation_id="request-bbbbbbbb")
    refused = dict(event("refused"), correlation_id="request-cccccccc")
    caplog.handler.addFilter(stamped)
    token = correlation.bind("batch-0123456789", "vouchers")
    try:
        with caplog.at_level(logging.INFO):
            assert run([mine, seen, {"event_id": "e-bad", "name": " "}]) == [True] * 3
            assert run([theirs, refused]) == [True] * 2
    finally:
        correlation.unbind(token)
    lines = [(record.event_id, record.outcome, record.correlation_id,
              record.batch_correlation_id) for record in caplog.records
             if hasattr(record, "batch_correlation_id")]
    assert lines == [
        (mine["event_id"], "applied", "request-aaaaaaaa", "batch-0123456789"),
        (seen["event_id"], "repeat", "batch-0123456789", "batch-0123456789"),
        ("e-bad", "kept", "batch-0123456789", "batch-0123456789"),
        (theirs["event_id"], "applied", "request-bbbbbbbb", "batch-0123456789"),
        (refused["event_id"], "kept", "request-cccccccc", "batch-0123456789")]
    [refusal] = [record for record in caplog.records if "could not apply" in record.message]
    assert refusal.exc_info and refusal.current_id == "request-cccccccc"
    with service.db.reader() as session:
        emitted = session.execute(select(outbox.c.payload, outbox.c.correlation_id)).all()
    assert sorted((json.loads(payload)["name"], kept) for payload, kept in emitted) == [
        ("mine", "batch-0123456789"),  # in the batch's unit of work
        ("seen", None),  # outside any worker
        ("theirs", "request-bbbbbbbb")]  # on its own
