"""The scores service in a real container on SQLite and PostgreSQL: it keeps copies of the
organizations (access) and voucher redemptions (vouchers) from their events, stores
batches of results over RPC, announces each voucher-funded one as `exam_recorded`, and
answers score
reports with every look recorded."""
import uuid

import pytest
from sqlalchemy import func, select

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.messaging_tables import failed_events, processed_events
from services.scores.models import (ExamResult, Organization, ScoreAccess, ScoreViewer,
                                    VoucherRedemption)
from services.scores.service import ScoresService
from services.vouchers.codes import format_code

SCHOOL, COLLEGE, STRANGER = 101, 102, 103
CODE = "ABCDEFGHJKMNPQR0"


def organization_event(organization_id, kind="school", name=None, event_id=None, version=1):
    return {"event_id": event_id or str(uuid.uuid4()), "id": organization_id,
            "name": name or "Org {}".format(organization_id), "kind": kind, "zip": "48201",
            "city": "Detroit", "state": "MI", "district_id": None, "state_funded": False,
            "version": version}


def voucher_redeemed(code=CODE, registration_id=9001, organization_id=SCHOOL, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "registration_id": registration_id,
            "voucher_code": code, "voucher_code_shown": format_code(code) if code == CODE
            else code, "order_id": 44, "organization_id": organization_id,
            "academic_year": "2026-27", "covers_remote_proctoring": True, "legacy": False,
            "student": {"id": "S-1", "name": "Ada Lovelace", "email": "ada@example.org"},
            "exam": "College Algebra", "redeemed_at": "2026-10-01T14:00:00Z",
            "complete_by": "2027-04-01"}


def result(result_id, **changes):
    row = {"result_id": result_id,
           "student": {"id": "S-" + result_id, "first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.org"},
           "exam": "College Algebra", "test_date": "2026-10-05", "score": 57,
           "delivery_mode": "remote"}
    row.update(changes)
    return row


def count(store, model, *conditions):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions))


PRINCIPAL = {"account": {"id": 7, "email": "pat@example.org", "name": "Pat Coordinator"},
             "access": "manage", "academic_year": "2026-27"}


def principal_of(organization_id, access="manage"):
    return dict(PRINCIPAL, organization={"id": organization_id, "name": "Org"}, access=access)


@pytest.fixture
def scores(start_service, stores, dispatch, wait_for):
    """A running scores service that knows three organizations and one redemption."""
    start_service(ScoresService, CLOCK_NOW="2026-11-20T15:00:00+00:00")
    store = stores("scores")
    for organization_id, kind in ((SCHOOL, "school"), (COLLEGE, "college"),
                                  (STRANGER, "school")):
        dispatch("access", "organization_registered", organization_event(organization_id, kind))
    dispatch("vouchers", "voucher_redeemed", voucher_redeemed())
    wait_for(lambda: count(store, Organization) == 3 and count(store, VoucherRedemption) == 1)
    return store


def test_a_batch_is_stored_announced_and_resent_without_change(scores, rpc, listen, stays):
    recorded = listen("scores", "exam_recorded")
    answer = rpc.scores.record_results([
        result("R-1", voucher_code="abcd-efgh-jkmn-pqr0", attending_institution_id=COLLEGE),
        result("R-2", attending_institution_id=COLLEGE, score=49),
        result("R-3", score=85),
        result("R-4", voucher_code="ZZZZ-ZZZZ-ZZZZ-ZZZZ"),
        result("R-5", attending_institution_id=999),
        result("R-6", test_date="2026-11-21"),
    ])
    assert (answer["accepted"], answer["recorded"]) == (2, 2)
    assert [(r["result_id"], r["code"]) for r in answer["rejected"]] == [
        ("R-3", "score_out_of_range"), ("R-5", "unknown_institution"),
        ("R-6", "test_date_in_future")]
    assert [r["result_id"] for r in answer["parked"]] == ["R-4"]  # not redeemed yet

    [event] = recorded.wait("exam_recorded", 1)  # R-2 is self-paid: announced to nobody
    assert event["result_id"] == "R-1" and event["voucher_code"] == CODE
    assert event["organization_id"] == SCHOOL and event["attending_institution_id"] == COLLEGE
    assert event["registration_id"] == 9001 and event["order_id"] == 44
    assert event["academic_year"] == "2026-27"
    assert event["delivery_mode"] == "remote"

    again = rpc.scores.record_results([result("R-1", score=80), result("R-2")])
    assert again == {"accepted": 2, "rejected": [], "recorded": 0, "already_recorded": 2,
                     "parked": []}
    assert stays(lambda: recorded.count("exam_recorded") == 1, duration=1.0)
    assert count(scores, ExamResult) == 2
    with scores.reader() as session:
        assert session.get(ExamResult, "R-1").score == 57


def test_a_name_the_portal_accepts_is_a_name_a_result_may_carry(scores, rpc):
    """No-break spaces and joiners pass the portal's printable rule (students type them);
    a control character does not."""
    names = {"N-1": "Ana\u00a0Mar\u00eda", "N-2": "Zo\u200de", "N-3": "Ada\u0007"}
    answer = rpc.scores.record_results([
        result(result_id, attending_institution_id=COLLEGE,
               student={"id": "S-" + result_id, "first_name": name, "last_name": "Lovelace",
                        "email": "ada@example.org"})
        for result_id, name in names.items()])
    assert answer["recorded"] == 2
    assert [(r["result_id"], r["code"]) for r in answer["rejected"]] == [
        ("N-3", "missing_student_fields")]
    with scores.reader() as session:
        assert session.get(ExamResult, "N-1").first_name == "Ana\u00a0Mar\u00eda"


def test_a_thousand_results_go_in_one_call_more_are_refused(scores, rpc):
    batch = [result("B-{}".format(n), attending_institution_id=COLLEGE) for n in range(1000)]
    answer = rpc.scores.record_results(batch)
    assert answer["recorded"] == 1000 and answer["rejected"] == []
    assert count(scores, ScoreViewer, ScoreViewer.organization_id == COLLEGE) == 1000
    with pytest.raises(InvalidInput):
        rpc.scores.record_results(batch + [result("B-1000")])


def test_events_redelivered_change_nothing(scores, dispatch, wait_for):
    again = voucher_redeemed(code="LEGACY-77", registration_id="R77", event_id=str(uuid.uuid4()))
    dispatch("vouchers", "voucher_redeemed", again)
    dispatch("vouchers", "voucher_redeemed", again)
    renamed = organization_event(COLLEGE, "college", name="Wayne County Community College",
                                 version=2)
    dispatch("access", "organization_updated", renamed)
    wait_for(lambda: count(scores, processed_events,
                           processed_events.c.event_id == renamed["event_id"]) == 1)
    wait_for(lambda: count(scores, processed_events,
                           processed_events.c.event_id == again["event_id"]) == 1)
    assert count(scores, VoucherRedemption) == 2
    with scores.reader() as session:
        assert session.get(VoucherRedemption, "R77").voucher_code == "LEGACY77"
        assert session.get(Organization, COLLEGE).name == "Wayne County Community College"


def test_reports_show_each_organization_its_own_scores_and_record_every_look(scores, rpc):
    rpc.scores.record_results([
        result("R-1", voucher_code=CODE, attending_institution_id=COLLEGE,
               test_date="2026-10-05"),
        result("R-2", attending_institution_id=COLLEGE, test_date="2026-09-01",
               exam="Biology"),
        result("R-3", attending_institution_id=COLLEGE, test_date="2026-05-01"),
    ])
    school = rpc.scores.list_scores(principal_of(SCHOOL))
    college = rpc.scores.list_scores(principal_of(COLLEGE), None, None, "test_date")
    last_year = rpc.scores.list_scores(principal_of(COLLEGE), "2025-26")
    stranger = rpc.scores.list_scores(principal_of(STRANGER, "read_only"))
    assert [s["result_id"] for s in school["scores"]] == ["R-1"]
    assert school["scores"][0]["voucher_code"] == "ABCD-EFGH-JKMN-PQR0"
    assert [s["result_id"] for s in college["scores"]] == ["R-2", "R-1"]
    assert [s["result_id"] for s in last_year["scores"]] == ["R-3"]
    assert stranger["scores"] == [] and stranger["access"] == "read_only"

    detail = rpc.scores.score_detail(principal_of(SCHOOL), "R-1")
    assert detail["order_id"] == 44 and detail["passed"] is True
    with pytest.raises(NotFound):
        rpc.scores.score_detail(principal_of(STRANGER), "R-1")

    first = rpc.scores.begin_export(principal_of(COLLEGE), "2026-27", None, 1)
    assert first["rows"][0][0] == "R-2" and first["next_after"] == ["2026-09-01", "R-2"]
    rest = rpc.scores.export_page(COLLEGE, "2026-27", None, first["next_after"], 1)
    assert rest["rows"][0][0] == "R-1"

    log = rpc.scores.score_access_log()
    assert log["total"] == count(scores, ScoreAccess) == 6
    assert [e["action"] for e in log["entries"]] == ["export", "detail", "list", "list",
                                                     "list", "list"]
    college_log = rpc.scores.score_access_log(COLLEGE)
    assert {(e["academic_year"], e["action"]) for e in college_log["entries"]} == {
        ("2026-27", "list"), ("2025-26", "list"), ("2026-27", "export")}
    assert college_log["entries"][0]["account"]["email"] == "pat@example.org"
    with pytest.raises(InvalidInput):
        rpc.scores.list_scores(principal_of(COLLEGE), "2026")


def test_a_past_years_access_lists_and_exports_that_years_scores_only(scores, rpc):
    rpc.scores.record_results([
        result("P-1", attending_institution_id=COLLEGE, test_date="2026-10-05"),
        result("P-2", attending_institution_id=COLLEGE, test_date="2026-05-01")])
    last_years = dict(principal_of(COLLEGE, "read_only"), access_year="2025-26")
    listed = rpc.scores.list_scores(last_years, "2025-26")
    assert [s["result_id"] for s in listed["scores"]] == ["P-2"]
    for other_year in (None, "2026-27", "2021-22"):
        with pytest.raises(Forbidden):
            rpc.scores.list_scores(last_years, other_year)
        with pytest.raises(Forbidden):
            rpc.scores.begin_export(last_years, other_year)
    assert {e["academic_year"] for e in rpc.scores.score_access_log(COLLEGE)["entries"]} == {
        "2025-26"}


def test_an_unusable_event_is_kept_in_failed_events(scores, dispatch, wait_for):
    dispatch("vouchers", "voucher_redeemed", {"event_id": str(uuid.uuid4()),
                                              "voucher_code": CODE})
    wait_for(lambda: count(scores, failed_events) == 1)
    assert count(scores, VoucherRedemption) == 1


def test_a_malformed_batch_is_an_error_not_a_crash(scores, rpc):
    with pytest.raises(InvalidInput):
        rpc.scores.record_results({"results": []})
    answer = rpc.scores.record_results(["not a row", None, result("OK-1")])
    assert [r["code"] for r in answer["rejected"]] == ["invalid_result", "invalid_result"]
    assert answer["recorded"] == 1


RESULTS_CSV = """\
result_id,student_id,first_name,last_name,email,exam,test_date,score,delivery_mode,\
voucher_code,registration_id,attending_institution_id
F-1,S-1,Ada,Lovelace,ada@example.org,College Algebra,2026-10-05,61,test_center,ABCD-EFGH-JKMN-PQR0,,
F-2,S-2,Alan,Turing,alan@example.org,Biology,2026-10-06,50,remote,,,{college}
F-3,S-3,Grace,Hopper,grace@example.org,Biology,2026-10-06,eighty,remote,,,{college}
F-4,S-4,"=HYPERLINK(""http://x"",""y"")",Kay,kay@example.org,Biology,2026-10-07,70,remote,,,{college}
F-5,S-5,Edsger,,edsger@example.org,Biology,2026-10-07,70,remote,,,{college}
"""


def test_operations_load_a_results_file_from_the_cli(scores, rabbit_config, tmp_path,
                                                     monkeypatch, capsys):
    from services.scores import cli
    path = tmp_path / "results.csv"
    path.write_text(RESULTS_CSV.format(college=COLLEGE))
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])

    assert cli.main(["load-results", str(path), "--batch-size", "2"]) == 1
    out = capsys.readouterr().out
    assert "line 4 (result_id F-3): invalid_score" in out
    assert "line 6 (result_id F-5): missing_student_fields" in out
    assert "5 rows, 3 accepted (3 new, 0 already recorded), 2 rejected" in out
    with scores.reader() as session:
        assert session.get(ExamResult, "F-1").paid_by_organization_id == SCHOOL
        assert session.get(ExamResult, "F-4").first_name == '=HYPERLINK("http://x","y")'

    assert cli.main(["load-results", str(path)]) == 1  # again: nothing more is stored
    assert "3 accepted (0 new, 3 already recorded)" in capsys.readouterr().out
    assert count(scores, ExamResult) == 3

    bad = tmp_path / "bad.csv"
    bad.write_text("result_id,score\nX,50\n")
    assert cli.main(["load-results", str(bad)]) == 2
    assert "lacks the column(s) student_id" in capsys.readouterr().err


def test_two_batches_racing_with_the_same_results_store_each_once(scores, config, listen,
                                                                  stays, dispatch, wait_for):
    """Two partner requests in flight at once with overlapping results: on PostgreSQL
    both transactions run together and the loser of each row skips it; every result is
    stored and viewable once, and every voucher-funded one announced exactly once."""
    import eventlet
    from nameko.standalone.rpc import ClusterRpcProxy

    codes = ["RACE{:012d}".format(n) for n in range(100)]
    for n, code in enumerate(codes):
        dispatch("vouchers", "voucher_redeemed", voucher_redeemed(code, registration_id=7000 + n))
    wait_for(lambda: count(scores, VoucherRedemption) == 101)
    recorded = listen("scores", "exam_recorded")
    shared = [result("S-{}".format(n), attending_institution_id=COLLEGE,
                     voucher_code=codes[n] if n < len(codes) else None) for n in range(600)]
    first = shared + [result("A-{}".format(n), attending_institution_id=COLLEGE)
                      for n in range(300)]
    second = list(reversed(shared)) + [result("B-{}".format(n), attending_institution_id=COLLEGE)
                                       for n in range(300)]

    def send(batch):
        with ClusterRpcProxy(config, timeout=30) as cluster:
            return cluster.scores.record_results(batch)

    answers = list(eventlet.GreenPool(2).imap(send, [first, second]))
    assert [answer["accepted"] for answer in answers] == [900, 900]
    assert all(answer["rejected"] == [] for answer in answers)
    assert sum(answer["recorded"] for answer in answers) == 1200
    assert count(scores, ExamResult) == 1200
    assert count(scores, ScoreViewer) == 1300  # the college, and the buyer of each voucher
    events = recorded.wait("exam_recorded", 100, timeout=60)
    assert stays(lambda: recorded.count("exam_recorded") == 100, duration=1.0)
    assert {event["result_id"] for event in events} == {"S-{}".format(n) for n in range(100)}


def test_a_look_a_gateway_answered_from_what_it_kept_joins_the_access_record(
        scores, rpc, dispatch, listen, wait_for, stays):
    changed = listen("scores", "scores_changed")
    rpc.scores.record_results([result("K-1", attending_institution_id=COLLEGE)])
    [notice] = changed.wait("scores_changed", 1)  # the gateways forget COLLEGE's lists
    assert notice["organization_id"] == COLLEGE

    look = {"event_id": str(uuid.uuid4()),
            "account": {"id": 7, "email": "pat@example.org", "name": "Pat Coordinator"},
            "organization_id": COLLEGE, "academic_year": "2026-27", "access": "read",
            "exam": "Biology", "sort": "student", "page": 2, "row_count": 1,
            "viewed_at": "2026-11-20T14:59:00+00:00"}
    dispatch("gateway", "scores_viewed", look)
    dispatch("gateway", "scores_viewed", dict(look))  # delivered twice: recorded once
    wait_for(lambda: count(scores, ScoreAccess) == 1)
    assert stays(lambda: count(scores, ScoreAccess) == 1, duration=0.5)
    [entry] = rpc.scores.score_access_log(COLLEGE)["entries"]
    assert (entry["at"], entry["action"], entry["access"], entry["row_count"]) == (
        "2026-11-20T14:59:00+00:00", "list", "read", 1)
    assert entry["detail"] == "exam=Biology sort=student page=2"
    assert entry["account"] == look["account"]
