"""How every service consumes events, in real containers on real RabbitMQ (SQLite and
PostgreSQL): redelivery is bounded and what cannot be applied is kept, listed and replayed
over RPC; malformed events are kept with their reason; versioned events apply only when
newer; a result that arrives before its voucher's redemption is parked, then recorded."""
import json
import uuid

import pytest
from sqlalchemy import func, select

from services.access.service import AccessService
from services.billing.models import BillingOrder, BillingOrganization
from services.billing.service import BillingService
from services.common.events import MAX_ATTEMPTS
from services.common.messaging_tables import failed_events, outbox, processed_events
from services.orders.service import OrdersService
from services.scores.models import ExamResult, Organization
from services.scores.service import ScoresService
from services.vouchers.service import VouchersService
from tests.integration.test_scores import CODE, SCHOOL, result, voucher_redeemed

NOW = "2026-11-20T15:00:00+00:00"  # academic year 2026-27


def organization_event(organization_id, version=1, name=None):
    return {"event_id": str(uuid.uuid4()), "id": organization_id,
            "name": name or "Org {}".format(organization_id), "kind": "school",
            "zip": "48201", "city": "Detroit", "state": "MI", "district_id": None,
            "state_funded": False, "version": version}


def count(store, table, *where):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def rename_table(store, old, new):
    with store.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE {} RENAME TO {}".format(old, new))


def test_an_event_that_keeps_failing_is_kept_after_the_bound_then_replayed_once(
        start_service, stores, dispatch, rpc, wait_for, stays):
    start_service(ScoresService, CLOCK_NOW=NOW)
    store = stores("scores")
    rename_table(store, "organizations", "organizations_away")  # "no such table"
    registered = organization_event(501)
    dispatch("access", "organization_registered", registered)

    wait_for(lambda: count(store, failed_events) == 1, timeout=90)
    assert stays(lambda: count(store, failed_events) == 1, duration=2)  # acknowledged
    [kept] = rpc.scores.failed_events()
    assert (kept["consumer"], kept["event_type"], kept["event_id"]) == (
        "keep_registered_organization", "organization_registered", registered["event_id"])
    assert kept["payload"] == registered
    if stores.kind == "sqlite":  # SQLite says "no such table" as an OperationalError
        assert kept["attempts"] == MAX_ATTEMPTS and "no such table" in kept["error"]

    rename_table(store, "organizations_away", "organizations")
    replay = rpc.scores.replay_failed_events()
    assert replay == {"replayed": [{"id": kept["id"], "consumer": kept["consumer"],
                                    "event_type": "organization_registered"}],
                      "still_failing": []}
    assert count(store, Organization, Organization.id == 501) == 1
    assert count(store, processed_events,
                 processed_events.c.event_id == registered["event_id"]) == 1
    assert rpc.scores.failed_events() == []
    assert rpc.scores.replay_failed_events() == {"replayed": [], "still_failing": []}


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_while_the_database_cannot_count_an_attempt_the_event_waits_and_then_applies(
        start_service, stores, dispatch, wait_for, stays):
    start_service(ScoresService, CLOCK_NOW=NOW)
    store = stores("scores")
    rename_table(store, "organizations", "organizations_away")
    rename_table(store, "event_retries", "event_retries_away")  # as if the database were away
    registered = organization_event(502)
    dispatch("access", "organization_registered", registered)
    assert stays(lambda: count(store, failed_events) == 0,
                 duration=MAX_ATTEMPTS * 2)  # many more deliveries than the bound, uncounted

    rename_table(store, "event_retries_away", "event_retries")
    rename_table(store, "organizations_away", "organizations")
    wait_for(lambda: count(store, Organization, Organization.id == 502) == 1, timeout=30)
    assert count(store, failed_events) == 0


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_every_service_keeps_a_malformed_event_with_its_reason(
        start_service, stores, dispatch, rpc, wait_for, stays):
    for service in (AccessService, OrdersService, VouchersService, ScoresService,
                    BillingService):
        start_service(service, CLOCK_NOW=NOW)
    malformed = {
        "access": ("access", "access_code_run_requested",
                   {"run_id": "seven", "academic_year": "2026-27"}, "run_id"),
        "orders": ("vouchers", "vouchers_generated", {"organization_id": 1}, "order_id"),
        "vouchers": ("vouchers", "generation_chunk_queued", {"batch_id": 1, "chunk_no": True},
                     "chunk_no"),
        "scores": ("vouchers", "voucher_redeemed",
                   dict(voucher_redeemed(), organization_id=None), "organization_id"),
        "billing": ("orders", "po_number_changed",
                    {"order_id": 5, "organization_id": 1, "po_number": "PO-1", "version": 0},
                    "version"),
    }
    for source, event_type, payload, _field in malformed.values():
        dispatch(source, event_type, dict(payload, event_id=str(uuid.uuid4())))

    for service, (source, event_type, payload, field) in malformed.items():
        store = stores(service)
        wait_for(lambda: count(store, failed_events, failed_events.c.event_type == event_type),
                 timeout=30, message="{} kept no {}".format(service, event_type))
        assert stays(lambda: count(store, failed_events,
                                   failed_events.c.event_type == event_type) == 1,
                     duration=0.5), service  # not redelivered
        [kept] = [row for row in getattr(rpc, service).failed_events()
                  if row["event_type"] == event_type]
        assert kept["error"].startswith("MalformedEvent: ") and field in kept["error"], kept
        assert "Traceback" not in kept["error"] and kept["attempts"] == 1


def test_versions_apply_only_when_newer_whatever_the_order_of_arrival(
        start_service, stores, dispatch, rpc, wait_for):
    start_service(BillingService, CLOCK_NOW=NOW)
    start_service(ScoresService, CLOCK_NOW=NOW)
    billing, scores = stores("billing"), stores("scores")
    dispatch("orders", "order_placed", {
        "event_id": str(uuid.uuid4()), "id": 77, "organization_id": 501,
        "academic_year": "2026-27", "covers_remote_proctoring": False,
        "exam_fee_cents": 9300, "remote_proctoring_fee_cents": 2500, "po_number": "PO-1",
        "state": "MI", "state_funded": False, "version": 1})
    wait_for(lambda: count(billing, BillingOrder) == 1)

    # two quick changes, delivered newest first
    for version in (3, 2):
        dispatch("orders", "po_number_changed", {
            "event_id": str(uuid.uuid4()), "order_id": 77, "organization_id": 501,
            "po_number": "PO-{}".format(version), "version": version})
    for version in (3, 2, 1):  # the registration (version 1) last of all
        event_type = "organization_registered" if version == 1 else "organization_updated"
        dispatch("access", event_type, organization_event(
            501, version, name="Name {}".format(version)))

    wait_for(lambda: count(billing, processed_events) == 6 and
             count(scores, processed_events) == 3)
    assert count(billing, failed_events) == count(scores, failed_events) == 0
    with billing.reader() as session:
        order = session.get(BillingOrder, 77)
        assert (order.po_number, order.version) == ("PO-3", 3)
        organization = session.get(BillingOrganization, 501)
        assert (organization.name, organization.version) == ("Name 3", 3)
    with scores.reader() as session:
        organization = session.get(Organization, 501)
        assert (organization.name, organization.version) == ("Name 3", 3)


def test_events_from_before_versions_apply_as_they_did_then(start_service, stores, dispatch,
                                                            wait_for):
    """Left in an outbox or failed_events at the upgrade, an event without a version is
    applied (last arrival wins, as before versions) and leaves the copy's version alone, so
    the versioned changes after it still keep their order."""
    start_service(BillingService, CLOCK_NOW=NOW)
    start_service(ScoresService, CLOCK_NOW=NOW)
    billing, scores = stores("billing"), stores("scores")

    def unversioned(event):
        return {name: value for name, value in event.items() if name != "version"}

    dispatch("orders", "order_placed", unversioned({
        "event_id": str(uuid.uuid4()), "id": 78, "organization_id": 502,
        "academic_year": "2026-27", "covers_remote_proctoring": False,
        "exam_fee_cents": 9300, "remote_proctoring_fee_cents": 2500, "po_number": "PO-1",
        "state": "MI", "state_funded": False}))
    dispatch("access", "organization_registered", unversioned(organization_event(502)))
    wait_for(lambda: count(billing, processed_events) == 2 and
             count(scores, processed_events) == 1)
    dispatch("orders", "po_number_changed", {"event_id": str(uuid.uuid4()), "order_id": 78,
                                             "organization_id": 502, "po_number": "PO-OLD"})
    dispatch("access", "organization_updated",
             unversioned(organization_event(502, name="Old Name")))
    wait_for(lambda: count(billing, processed_events) == 4 and
             count(scores, processed_events) == 2)
    assert count(billing, failed_events) == count(scores, failed_events) == 0
    with billing.reader() as session:
        order = session.get(BillingOrder, 78)
        assert (order.po_number, order.version) == ("PO-OLD", 1)
        assert session.get(BillingOrganization, 502).name == "Old Name"
    with scores.reader() as session:
        assert session.get(Organization, 502).name == "Old Name"

    dispatch("access", "organization_updated", organization_event(502, 2, name="New Name"))
    wait_for(lambda: count(billing, processed_events) == 5 and
             count(scores, processed_events) == 3)
    with billing.reader() as session:
        organization = session.get(BillingOrganization, 502)
        assert (organization.name, organization.version) == ("New Name", 2)
    with scores.reader() as session:
        organization = session.get(Organization, 502)
        assert (organization.name, organization.version) == ("New Name", 2)


def test_producers_number_each_change(start_service, stores, rpc):
    start_service(AccessService, CLOCK_NOW=NOW)
    start_service(OrdersService, CLOCK_NOW=NOW)
    organization = rpc.access.register_organization({
        "name": "Lincoln High School", "kind": "school", "zip": "48201", "city": "Detroit",
        "state": "MI"})
    rpc.access.update_organization(organization["id"], {"city": "Dearborn"})
    rpc.access.update_organization(organization["id"], {"state_funded": True})
    rpc.access.update_organization(organization["id"], {"state_funded": True})  # no change

    rpc.orders.set_fees("2026-27", 9300, 2500)
    principal = {"account": {"id": 7, "name": "Casey", "email": "casey@school.example"},
                 "organization": {"id": organization["id"], "name": organization["name"],
                                  "state": "MI", "state_funded": False}}
    placed = rpc.orders.place_order(principal, "key-1", {
        "quantity": 10, "covers_remote_proctoring": False, "expiration_date": None,
        "po_number": "PO-1", "terms_version": "2026-07"})["order"]
    for po_number in ("PO-2", "PO-3"):
        rpc.orders.change_po_number(organization["id"], placed["id"], po_number)

    def versions(service, *event_types):
        with stores(service).reader() as session:
            return [(event_type, json.loads(payload)["version"]) for event_type, payload in
                    session.execute(select(outbox.c.event_type, outbox.c.payload).where(
                        outbox.c.event_type.in_(event_types)).order_by(outbox.c.id))]

    assert versions("access", "organization_registered", "organization_updated") == [
        ("organization_registered", 1), ("organization_updated", 2),
        ("organization_updated", 3)]
    assert versions("orders", "order_placed", "po_number_changed") == [
        ("order_placed", 1), ("po_number_changed", 2), ("po_number_changed", 3)]


def test_a_result_before_its_redemption_is_parked_then_recorded_once(
        start_service, stores, dispatch, rpc, listen, wait_for, stays):
    start_service(ScoresService, CLOCK_NOW=NOW)
    store = stores("scores")
    recorded = listen("scores", "exam_recorded")
    early = result("R-EARLY", voucher_code="abcd-efgh-jkmn-pqr0")

    answer = rpc.scores.record_results([early, result("R-SELF")])
    assert (answer["recorded"], answer["rejected"]) == (1, [])
    [parked] = answer["parked"]
    assert (parked["index"], parked["result_id"]) == (0, "R-EARLY")
    assert rpc.scores.record_results([early])["parked"][0]["expires_at"] == parked["expires_at"]
    [listed] = rpc.scores.parked_results()
    assert (listed["result_id"], listed["voucher_code"], listed["result"]) == (
        "R-EARLY", CODE, early)

    dispatch("vouchers", "voucher_redeemed", voucher_redeemed())
    [event] = recorded.wait("exam_recorded", 1)  # R-SELF is self-paid: not announced
    assert event["result_id"] == "R-EARLY" and event["voucher_code"] == CODE
    assert event["organization_id"] == SCHOOL
    assert event["registration_id"] == 9001
    with store.reader() as session:
        assert session.get(ExamResult, "R-EARLY").paid_by_organization_id == SCHOOL
    assert rpc.scores.parked_results() == []
    again = rpc.scores.record_results([early])
    assert (again["already_recorded"], again["parked"]) == (1, [])
    assert stays(lambda: recorded.count("exam_recorded") == 1, duration=1)
