"""One correlation id follows a request through the JSON logs of every process it touched
(CLEP_LOG_FORMAT=json): an order from its POST to its codes (the gateway, orders, access,
vouchers, billing, through RPC, events sent from outboxes and the chunk work queue), and a
redemption, an exam result and a look at the scores, whose events travel many requests to
a message or a batch, to the batch consumers of scores, billing and vouchers."""
import json
import re
import uuid

from tests.e2e.checks import wait_for

SETTINGS = {"CLEP_LOG_FORMAT": "json"}
SERVICE_OF = {"gateway": "gateway", "access": "access", "orders": "orders",
              "vouchers-1": "vouchers", "scores": "scores", "billing": "billing"}


def log_lines(system, name):
    """The JSON lines of a process's log (its file also holds what is not a log record:
    the start-up banner of scripts/system.py)."""
    lines = []
    written = system.log_path(name).read_text()
    complete = written[:written.rfind("\n") + 1]  # not a last line still being written
    for text in complete.splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))  # a line that starts as JSON must be JSON
    return lines


def lines_with(system, correlation_id):
    """{process: its lines carrying the id}"""
    return {name: [line for line in log_lines(system, name)
                   if line["correlation_id"] == correlation_id] for name in SERVICE_OF}


def entrypoints_logged(system, correlation_id, expected):
    """Wait until each process has logged the workers `expected` names ({process: {(kind,
    entrypoint), ...}}) under the id; returns every process's lines with it."""
    def ran():
        return {name: {(line.get("kind"), line.get("entrypoint")) for line in found}
                for name, found in lines_with(system, correlation_id).items()}

    def all_ran():
        seen = ran()
        return all(workers <= seen[name] for name, workers in expected.items())

    try:
        wait_for(all_ran, timeout=30, interval=0.2)
    except AssertionError:
        raise AssertionError("not every worker of {} logged {}: {}".format(
            expected, correlation_id, ran()))
    return lines_with(system, correlation_id)


def test_an_orders_id_is_in_the_log_of_every_process_the_order_touched(system, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    request_id = "order-" + uuid.uuid4().hex
    placed = portal.post(f"/api/organizations/{school['id']}/orders", dict(
        account.headers, **{"Idempotency-Key": uuid.uuid4().hex, "X-Request-Id": request_id}),
        json={"quantity": 3000, "covers_remote_proctoring": True, "terms_version": "2026-07"})
    assert placed.status_code == 201, placed.text
    assert placed.headers["X-Request-Id"] == request_id
    portal.wait_until_fulfilled(account, school["id"], placed.json()["id"])

    lines = entrypoints_logged(system, request_id, {
        "gateway": {("http", "place_order")},
        "access": {("event", "remember_ordering_organization")},
        "orders": {("rpc", "place_order"), ("event", "mail_order_confirmation"),
                   ("event", "count_generated_vouchers"), ("event", "mark_fulfilled")},
        "vouchers-1": {("event", "plan_generation"), ("event", "generate_chunk")},
        "billing": {("event", "keep_order")},
    })
    assert not lines["scores"]  # an order is no business of the scores service
    for name, found in lines.items():
        for line in found:
            assert line["service"] == SERVICE_OF[name], line
            assert {"time", "level", "logger", "message"} <= set(line), line
    # two chunks of 2,500 at most, each its own worker under the order's id
    chunks = [line for line in lines["vouchers-1"] if line.get("entrypoint") == "generate_chunk"]
    assert len(chunks) == 2 and all(line["outcome"] == "ok" for line in chunks), chunks
    placing = [line for line in lines["gateway"] if line.get("entrypoint") == "place_order"]
    assert placing[0]["outcome"] == "201" and placing[0]["duration_ms"] > 0


def test_packed_events_keep_the_id_of_the_request_each_came_from(system, portal):
    portal.set_fees()
    account, school = portal.coordinator_of()
    placed = portal.place_order(account, school["id"], quantity=5)
    assert placed.status_code == 201, placed.text
    order = portal.wait_until_fulfilled(account, school["id"], placed.json()["id"])
    code = portal.voucher_codes(account, school["id"], order["id"])[0]

    redeeming = "redeem-" + uuid.uuid4().hex
    redeemed = portal.post("/api/voucher-redemptions", dict(portal.partner, **{
        "X-Correlation-Id": redeeming}), json={
        "voucher_code": code, "exam": "College Algebra",
        "student": {"id": "S-1", "name": "Ada Lovelace", "email": "ada@example.org"}})
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.headers["X-Request-Id"] == redeeming
    entrypoints_logged(system, redeeming, {
        "gateway": {("http", "redeem_voucher")}, "vouchers-1": {("rpc", "redeem_vouchers")}})
    # voucher_redeemed went packed to the batch consumers: a line for the event, under its id
    applied = wait_for(lambda: [
        line for name in ("scores", "billing") for line in lines_with(system, redeeming)[name]
        if line.get("event_type") == "voucher_redeemed" and line.get("outcome") == "applied"
    ] or None, timeout=30, interval=0.2)
    assert {line["service"] for line in applied} == {"scores", "billing"}, applied
    assert all(line["batch_correlation_id"] != redeeming for line in applied)

    reporting = "results-" + uuid.uuid4().hex
    reported = portal.post("/api/exam-results", dict(portal.partner, **{
        "X-Request-Id": reporting}), json={"results": [{
            "result_id": "R-" + uuid.uuid4().hex[:12], "exam": "College Algebra",
            "test_date": redeemed.json()["redeemed_at"][:10], "score": 61,
            "delivery_mode": "test_center", "voucher_code": code,
            "registration_id": redeemed.json()["registration_id"],
            "student": {"id": "S-1", "first_name": "Ada", "last_name": "Lovelace",
                        "email": "ada@example.org"}}]})
    assert reported.status_code == 202, reported.text
    assert not reported.json()["parked"], reported.text  # the redemption is in scores
    wait_for(lambda: {line["service"] for name in ("vouchers-1", "billing")
                      for line in lines_with(system, reporting)[name]
                      if line.get("event_type") == "exam_recorded"} == {"vouchers", "billing"},
             timeout=30, interval=0.2)
    assert lines_with(system, reporting)["scores"]  # record_results, under the same id

    # a second look at the scores list is answered from what the gateway kept, and the look
    # is recorded by the scores service's batch consumer, under the id of the look
    path = f"/api/organizations/{school['id']}/scores"
    assert portal.get(path, account.headers).status_code == 200
    looking = "look-" + uuid.uuid4().hex
    looked = portal.get(path, dict(account.headers, **{"X-Request-Id": looking}))
    assert looked.status_code == 200 and looked.json()["scores"], looked.text
    wait_for(lambda: [line for line in lines_with(system, looking)["scores"]
                      if line.get("event_type") == "scores_viewed"
                      and line.get("outcome") == "applied"], timeout=30, interval=0.2)


def test_an_id_that_is_not_sane_is_replaced_and_never_logged(system, portal):
    for sent in ('bad id "with quotes"', "x" * 129, "short", "a\u00e9" * 8):
        answered = portal.get("/api/openapi.json", headers={"X-Request-Id": sent})
        assert answered.status_code == 200
        made = answered.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), made
    assert "with quotes" not in system.log_path("gateway").read_text()
    # no id sent: one is made all the same
    assert re.fullmatch(r"[0-9a-f]{32}", portal.get("/health/live").headers["X-Request-Id"])
