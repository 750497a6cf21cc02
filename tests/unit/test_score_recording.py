"""Recording a batch of results, the score reports and the access record, on a real
(SQLite) scores database: one unit of work per batch, events in the outbox with it."""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from services.common.errors import InvalidInput, NotFound
from services.common.messaging_tables import outbox
from services.scores import access_log, copies, late_redemptions, parking, reports
from services.scores.models import ExamResult, ScoreAccess, ScoreViewer, VoucherRedemption
from services.scores.results import record_results
from services.vouchers.codes import format_code
from tests.unit.conftest import _fresh_store

BUYER, COLLEGE, OTHER = 10, 20, 30
CODE = "ABCDEFGHJKMNPQR0"


@pytest.fixture
def store(migrated_templates, sqlite_databases, clock):
    store = _fresh_store(migrated_templates, sqlite_databases, "scores", clock)
    with store.transaction() as work:
        for organization_id, kind in ((BUYER, "school"), (COLLEGE, "college"), (OTHER, "school")):
            copies.keep_organization(work.session, clock, {
                "id": organization_id, "name": "Org {}".format(organization_id), "kind": kind,
                "district_id": None, "version": 1})
        copies.keep_redemptions(work.session, clock, [redemption(CODE, 501)])
    yield store
    store.dispose()


def redemption(code, registration_id, organization_id=BUYER):
    return {"registration_id": registration_id, "voucher_code": code,
            "voucher_code_shown": format_code(code), "order_id": 7,
            "organization_id": organization_id, "academic_year": "2026-27",
            "covers_remote_proctoring": True, "legacy": False,
            "student": {"id": "S-1", "name": "Ada Lovelace", "email": "ada@example.org"},
            "exam": "College Algebra", "redeemed_at": "2026-09-01T12:00:00+00:00",
            "complete_by": "2027-03-01"}


def row(result_id, **changes):
    result = {"result_id": result_id,
              "student": {"id": "S-" + result_id, "first_name": "Ada",
                          "last_name": "Lovelace " + result_id, "email": "ada@example.org"},
              "exam": "College Algebra", "test_date": "2026-10-01", "score": 62,
              "delivery_mode": "test_center"}
    result.update(changes)
    return result


def events(store):
    with store.reader() as session:
        return [json.loads(payload) for payload in session.scalars(
            select(outbox.c.payload).where(outbox.c.event_type == "exam_recorded")
            .order_by(outbox.c.id))]


def count(store, model):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


PRINCIPAL = {"account": {"id": 3, "email": "pat@example.org", "name": "Pat"},
             "access": "manage"}


def test_good_rows_are_stored_bad_ones_reported_with_reasons(store, clock):
    answer = record_results(store, clock, [
        row("R-1", voucher_code=CODE.lower(), attending_institution_id=COLLEGE),
        row("R-2", score=81),
        row("R-3", voucher_code="ZZZZZZZZZZZZZZZZ"),
        row("R-4", attending_institution_id=999),
        row("R-5", test_date="2026-10-16"),
        row("R-6", student={"id": "S-6"}),
        row("R-7", attending_institution_id=COLLEGE),
    ])
    assert answer["accepted"] == 2 and answer["recorded"] == 2
    assert [(r["index"], r["result_id"], r["code"]) for r in answer["rejected"]] == [
        (1, "R-2", "score_out_of_range"), (3, "R-4", "unknown_institution"),
        (4, "R-5", "test_date_in_future"), (5, "R-6", "missing_student_fields")]
    assert [(r["index"], r["result_id"]) for r in answer["parked"]] == [(2, "R-3")]

    assert all(r["reason"] for r in answer["rejected"])
    assert count(store, ExamResult) == 2

    [recorded] = events(store)  # R-7 is self-paid: stored, announced to nobody
    assert recorded["result_id"] == "R-1"
    assert recorded["voucher_code"] == CODE and recorded["organization_id"] == BUYER
    assert recorded["order_id"] == 7 and recorded["registration_id"] == 501
    assert recorded["attending_institution_id"] == COLLEGE


def test_a_result_without_its_redemption_yet_is_parked_then_recorded_with_it(store, clock):
    late_code = "ZZZZZZZZZZZZZZZZ"
    answer = record_results(store, clock, [row("R-1", voucher_code=late_code),
                                           row("R-1", voucher_code=late_code)])
    assert [(r["index"], r["result_id"]) for r in answer["parked"]] == [(0, "R-1"), (1, "R-1")]
    assert (answer["accepted"], answer["already_recorded"]) == (0, 0)
    assert count(store, ExamResult) == 0
    with store.transaction() as work:
        copies.keep_redemptions(work.session, clock, [redemption(late_code, 502)])
        assert late_redemptions.record_parked_results(work, clock, late_code) == 1
    assert [event["result_id"] for event in events(store)] == ["R-1"]
    with store.reader() as session:
        assert session.get(ExamResult, "R-1").registration_id == "502"
        assert parking.parked_list(session) == []

def test_a_batch_of_redemptions_is_kept_once_each_and_names_the_codes_awaited(store, clock):
    awaited, other = "YYYYYYYYYYYYYYYY", "XXXXXXXXXXXXXXXX"
    record_results(store, clock, [row("R-9", voucher_code=awaited)])  # parked
    with store.transaction() as work:
        codes = copies.keep_redemptions(work.session, clock, [
            redemption(awaited, 601), redemption(other, 602), redemption(other, 602),
            redemption("WWWWWWWWWWWWWWWW", 501)])  # 501 is CODE's registration, kept before
        assert codes == {awaited, other, CODE}  # the first copy of 501 stands
        assert parking.codes_with_parked_results(work.session, codes) == {awaited}
    with store.reader() as session:
        assert session.scalar(select(func.count()).select_from(VoucherRedemption)) == 3


def test_a_result_sent_again_is_accepted_and_changes_nothing(store, clock):
    first = record_results(store, clock, [row("R-1", voucher_code=CODE)])
    again = record_results(store, clock, [row("R-1", voucher_code=CODE, score=80),
                                          row("R-1", score=20)])
    assert first["recorded"] == 1
    assert again == {"accepted": 2, "rejected": [], "recorded": 0, "already_recorded": 2,
                     "parked": []}
    with store.reader() as session:
        assert session.get(ExamResult, "R-1").score == 62
    assert len(events(store)) == 1 and count(store, ScoreViewer) == 1


def test_a_voucher_pays_for_one_exam_only(store, clock):
    answer = record_results(store, clock, [row("R-1", voucher_code=CODE),
                                           row("R-2", voucher_code=CODE)])
    assert [r["code"] for r in answer["rejected"]] == ["voucher_already_used"]
    later = record_results(store, clock, [row("R-3", voucher_code=CODE)])
    assert [r["code"] for r in later["rejected"]] == ["voucher_already_used"]


def test_the_registration_must_match_the_voucher_and_can_stand_for_it(store, clock):
    mismatch = record_results(store, clock, [row("R-1", voucher_code=CODE,
                                                 registration_id="999")])
    assert [r["code"] for r in mismatch["rejected"]] == ["registration_mismatch"]
    by_registration = record_results(store, clock, [row("R-2", registration_id=501)])
    assert by_registration["recorded"] == 1
    assert events(store)[0]["voucher_code"] == CODE
    self_paid = record_results(store, clock, [row("R-3", registration_id="elsewhere-1")])
    assert self_paid["recorded"] == 1 and len(events(store)) == 1  # self-paid: not announced
    with store.reader() as session:
        assert session.get(ExamResult, "R-3").paid_by_organization_id is None


def test_a_repeat_of_a_rejected_row_in_the_same_batch_is_rejected_too(store, clock):
    answer = record_results(store, clock, [row("R-1", attending_institution_id=999),
                                           row("R-1", attending_institution_id=COLLEGE)])
    assert [r["code"] for r in answer["rejected"]] == ["unknown_institution",
                                                       "rejected_earlier_in_batch"]
    assert answer["accepted"] == 0


def record_year(store, clock):
    record_results(store, clock, [
        row("A", voucher_code=CODE, test_date="2026-09-03", attending_institution_id=COLLEGE),
        row("B", attending_institution_id=COLLEGE, test_date="2026-10-01", exam="Biology",
            score=45),
        row("C", attending_institution_id=COLLEGE, test_date="2026-03-10"),  # 2025-26
        row("D", attending_institution_id=OTHER, test_date="2026-09-20"),
    ])


def test_each_organization_sees_its_own_students_per_year(store, clock):
    record_year(store, clock)
    with store.reader() as session:
        buyer = reports.list_scores(session, BUYER, "2026-27")
        college = reports.list_scores(session, COLLEGE, "2026-27")
        college_before = reports.list_scores(session, COLLEGE, "2025-26")
        other = reports.list_scores(session, OTHER, "2026-27")
    assert [s["result_id"] for s in buyer["scores"]] == ["A"]
    assert buyer["scores"][0]["voucher_code"] == "ABCD-EFGH-JKMN-PQR0"
    assert buyer["scores"][0]["funding"] == "voucher"
    assert [s["result_id"] for s in college["scores"]] == ["B", "A"]  # newest first
    assert college["scores"][1]["funding"] == "voucher"
    assert college["scores"][1]["voucher_code"] is None  # the buyer's business
    assert college["scores"][0]["passed"] is False and college["exams"] == ["Biology",
                                                                             "College Algebra"]
    assert [s["result_id"] for s in college_before["scores"]] == ["C"]
    assert [s["result_id"] for s in other["scores"]] == ["D"]


def test_sorting_filtering_and_paging(store, clock):
    record_year(store, clock)
    with store.reader() as session:
        by_date = reports.list_scores(session, COLLEGE, "2026-27", sort="test_date")
        by_student = reports.list_scores(session, COLLEGE, "2026-27", sort="-student")
        biology = reports.list_scores(session, COLLEGE, "2026-27", exam="Biology")
        second_page = reports.list_scores(session, COLLEGE, "2026-27", page=2, per_page=1)
        with pytest.raises(InvalidInput):
            reports.list_scores(session, COLLEGE, "2026-27", sort="score")
    assert [s["result_id"] for s in by_date["scores"]] == ["A", "B"]
    assert [s["student"]["last_name"] for s in by_student["scores"]] == ["Lovelace B",
                                                                        "Lovelace A"]
    assert [s["result_id"] for s in biology["scores"]] == ["B"] and biology["total"] == 1
    assert [s["result_id"] for s in second_page["scores"]] == ["A"]
    assert second_page["total"] == 2


def test_details_only_for_the_organizations_that_may_see_them(store, clock):
    record_year(store, clock)
    with store.reader() as session:
        detail = reports.score_detail(session, BUYER, "A")
        seen_by_college = reports.score_detail(session, COLLEGE, "A")
        with pytest.raises(NotFound):
            reports.score_detail(session, OTHER, "A")
    assert detail["order_id"] == 7 and detail["registration_id"] == "501"
    assert detail["seen_as"] == ["voucher_buyer"]
    assert seen_by_college["order_id"] is None and seen_by_college["voucher_code"] is None
    assert seen_by_college["seen_as"] == ["attending_institution"]


def test_the_export_pages_through_every_row_in_test_date_order(store, clock):
    record_results(store, clock, [row("E{:02d}".format(n), attending_institution_id=COLLEGE,
                                      test_date=date(2026, 9, 1 + n % 5).isoformat())
                                  for n in range(23)])
    pages, after = [], None
    with store.reader() as session:
        while True:
            page = reports.export_page(session, COLLEGE, "2026-27", after=after, limit=5)
            pages.append(page["rows"])
            after = page["next_after"]
            if after is None:
                break
    rows = [r for page in pages for r in page]
    assert len(rows) == 23 and len({r[0] for r in rows}) == 23
    assert [r[6] for r in rows] == sorted(r[6] for r in rows)
    assert page["columns"][0] == "result_id"


def test_every_look_is_recorded_and_operations_can_read_the_record(store, clock):
    with store.transaction() as work:
        access_log.record_access(work.session, clock, PRINCIPAL, COLLEGE, "2026-27", "list",
                                 detail="page=1", row_count=2)
        access_log.record_access(work.session, clock, dict(PRINCIPAL, access="read_only"),
                                 OTHER, "2025-26", "export")
    with store.reader() as session:
        everything = access_log.access_log(session)
        college = access_log.access_log(session, organization_id=COLLEGE)
    assert count(store, ScoreAccess) == 2 and everything["total"] == 2
    assert [e["action"] for e in everything["entries"]] == ["export", "list"]
    entry = college["entries"][0]
    assert entry["account"] == {"id": 3, "email": "pat@example.org", "name": "Pat"}
    assert (entry["organization_id"], entry["academic_year"], entry["row_count"]) == (
        COLLEGE, "2026-27", 2)
    assert entry["at"].startswith("2026-10-15T15:00:00")
