"""Operations and the events the services could not apply, end to end over HTTP: an event
that keeps failing ends in the service's failed events (not in a redelivery loop), shows
in the operations view, and a replay applies it once; a result reported before its
voucher's redemption is parked, shown to operations, and recorded when the code is
redeemed."""
import uuid

from sqlalchemy import text

from services.common.clock import Clock
from services.common.events import MAX_ATTEMPTS
from tests.e2e.billing_flow import order_codes, redeem
from tests.e2e.checks import error_of, wait_for
from tests.e2e.service_db import engine_of

SERVICES = ("access", "orders", "vouchers", "scores", "billing")


def failed_events(portal, service):
    response = portal.get(f"/api/admin/services/{service}/failed-events", portal.ops)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == service
    return response.json()["failed_events"]


def replay(portal, service, **body):
    response = portal.post(f"/api/admin/services/{service}/failed-events/replay", portal.ops,
                           json=body)
    assert response.status_code == 200, response.text
    return response.json()


def rename_table(system_env, service, old, new):
    with engine_of(system_env, service).begin() as connection:
        connection.execute(text("ALTER TABLE {} RENAME TO {}".format(old, new)))


def exam_result(voucher_code=None, **fields):
    result = {"result_id": "R-" + uuid.uuid4().hex[:12], "exam": "College Algebra",
              "student": {"id": "S-1", "first_name": "Ada", "last_name": "Lovelace",
                          "email": "ada@example.org"},
              "test_date": Clock().today().isoformat(), "score": 63,
              "delivery_mode": "test_center", "voucher_code": voucher_code}
    result.update(fields)
    return result


def test_every_service_has_an_operations_view_and_replay(portal):
    for service in SERVICES:
        assert isinstance(failed_events(portal, service), list)
        assert set(replay(portal, service, ids=[999999])) == {"service", "replayed",
                                                                 "still_failing"}
    unknown = portal.get("/api/admin/services/payroll/failed-events", portal.ops)
    assert error_of(unknown, 404)["code"] == "unknown_service"
    bad = portal.post("/api/admin/services/scores/failed-events/replay", portal.ops,
                      json={"ids": ["all"]})
    assert error_of(bad, 400)["code"] == "invalid_input"
    too_big = portal.post("/api/admin/services/scores/failed-events/replay", portal.ops,
                          json={"ids": [1_000_000_000]})  # no table's id is that long
    assert error_of(too_big, 400)["fields"] == {
        "ids.0": ["An id: a whole number from 1 to 999999999."]}
    assert error_of(portal.get("/api/admin/services/scores/failed-events"), 401)
    assert error_of(portal.get("/api/admin/parked-results", portal.partner), 403)


def test_an_event_that_keeps_failing_is_kept_shown_and_replayed_once(portal, system_env):
    rename_table(system_env, "scores", "organizations", "organizations_away")
    try:
        college = portal.register_organization(kind="college")
        kept = wait_for(lambda: [row for row in failed_events(portal, "scores")
                                 if row["payload"].get("id") == college["id"]],
                        timeout=120, message="scores kept no failed organization_registered")
    finally:
        rename_table(system_env, "scores", "organizations_away", "organizations")
    [row] = kept
    assert (row["consumer"], row["event_type"]) == ("keep_registered_organization",
                                                    "organization_registered")
    if portal_database(system_env) == "sqlite":  # "no such table": transient, bounded
        assert row["attempts"] == MAX_ATTEMPTS

    # until replayed, scores does not know the college a student names
    before = portal.post_exam_results([exam_result(attending_institution_id=college["id"])])
    assert before.json()["rejected"][0]["code"] == "unknown_institution"

    assert replay(portal, "scores", ids=[]) == {"service": "scores", "replayed": [],
                                                "still_failing": []}  # none of them
    assert row["id"] in [r["id"] for r in failed_events(portal, "scores")]
    replayed = replay(portal, "scores", ids=[row["id"]])
    assert replayed["replayed"] == [{"id": row["id"], "consumer": row["consumer"],
                                     "event_type": "organization_registered"}]
    assert replay(portal, "scores", ids=[row["id"]])["replayed"] == []
    assert not [r for r in failed_events(portal, "scores") if r["id"] == row["id"]]
    after = portal.post_exam_results([exam_result(attending_institution_id=college["id"])])
    assert after.json()["recorded"] == 1, after.text


def portal_database(system_env):
    return "postgresql" if any(value.startswith("postgres") for key, value in
                               system_env.items() if key.endswith("DATABASE_URL")) else "sqlite"


def test_a_result_reported_before_its_redemption_is_parked_then_recorded(portal):
    account, organization = portal.coordinator_of()
    portal.set_fees()
    _order, [code] = order_codes(portal, account, organization["id"], 1)

    early = exam_result(voucher_code=code)
    answer = portal.post_exam_results([early])
    assert answer.status_code == 202, answer.text
    assert (answer.json()["recorded"], answer.json()["rejected"]) == (0, [])
    [parked] = answer.json()["parked"]
    assert parked["result_id"] == early["result_id"] and parked["expires_at"]
    listed = portal.get("/api/admin/parked-results", portal.ops)
    assert listed.status_code == 200, listed.text
    assert early["result_id"] in [row["result_id"] for row in listed.json()["parked_results"]]

    redeem(portal, code)  # the registration system's redemption, late
    scores = wait_for(lambda: [row for row in portal.scores(
        account, organization["id"]).json()["scores"]
        if row["result_id"] == early["result_id"]], timeout=30,
        message="the parked result was not recorded on the redemption")
    assert len(scores) == 1
    parked_now = portal.get("/api/admin/parked-results", portal.ops).json()["parked_results"]
    assert early["result_id"] not in [row["result_id"] for row in parked_now]
    again = portal.post_exam_results([early]).json()
    assert (again["already_recorded"], again["parked"]) == (1, [])
