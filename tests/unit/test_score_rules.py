"""The rules of a reported exam result, one row at a time, as `POST /api/exam-results`
applies them (services/scores/README.md, "Rules worth knowing"): no database, no broker."""
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from services.scores.results import (Rejected, academic_year_of, check_result, exam_recorded,
                                     passed, registration_id_out,
                                     viewers_of, voucher_candidates)

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 10, 15)


def row(**changes):
    result = {"result_id": "R-1", "student": {"id": "S-1", "first_name": "Ada",
                                              "last_name": "Lovelace",
                                              "email": "ada@example.org"},
              "exam": "College Algebra", "test_date": "2026-10-01", "score": 62,
              "delivery_mode": "test_center"}
    result.update(changes)
    return result


def rejected_code(result):
    with pytest.raises(Rejected) as rejected:
        check_result(result, TODAY, NEW_YORK)
    return rejected.value.code


@pytest.mark.parametrize("score, result", [(20, False), (49, False), (50, True), (80, True)])
def test_pass_is_50_or_above(score, result):
    assert passed(score) is result
    assert check_result(row(score=score), TODAY, NEW_YORK)["score"] == score


@pytest.mark.parametrize("score, code", [(19, "score_out_of_range"), (81, "score_out_of_range"),
                                         (0, "score_out_of_range"), (50.5, "invalid_score"),
                                         ("60", "invalid_score"), (True, "invalid_score"),
                                         (None, "invalid_score")])
def test_scores_outside_20_to_80_or_not_whole_numbers_are_rejected(score, code):
    assert rejected_code(row(score=score)) == code


@pytest.mark.parametrize("field", ["id", "first_name", "last_name", "email"])
def test_each_student_field_is_required(field):
    student = dict(row()["student"])
    del student[field]
    assert rejected_code(row(student=student)) == "missing_student_fields"
    student[field] = "   "
    assert rejected_code(row(student=student)) == "missing_student_fields"


def test_a_missing_student_and_an_email_without_at_are_rejected():
    assert rejected_code(row(student=None)) == "missing_student_fields"
    student = dict(row()["student"], email="not-an-email")
    assert rejected_code(row(student=student)) == "missing_student_fields"


def test_every_problem_of_a_row_is_named_and_the_first_gives_the_code():
    with pytest.raises(Rejected) as rejected:
        check_result(row(score=99, delivery_mode="carrier pigeon", exam=""), TODAY, NEW_YORK)
    assert rejected.value.code == "invalid_exam"
    assert set(rejected.value.fields) == {"exam", "score", "delivery_mode"}
    assert "99" in rejected.value.reason


def test_test_dates_in_the_future_are_rejected_today_is_not():
    assert check_result(row(test_date="2026-10-15"), TODAY, NEW_YORK)["test_date"] == TODAY
    assert rejected_code(row(test_date="2026-10-16")) == "test_date_in_future"


@pytest.mark.parametrize("text", ["15/10/2026", "2026-13-01", "", None, 20261001,
                                  "1999-05-01", "2026-10-01T10:00:00"])
def test_malformed_or_ancient_test_dates_are_rejected(text):
    assert rejected_code(row(test_date=text)) == "invalid_test_date"


def test_a_moment_is_read_as_a_date_in_program_time_and_decides_the_academic_year():
    # 02:00 UTC on July 1 is still June 30 in New York: the earlier academic year
    result = check_result(row(test_date="2026-07-01T02:00:00Z"), TODAY, NEW_YORK)
    assert result["test_date"] == date(2026, 6, 30)
    assert academic_year_of(result["test_date"]) == "2025-26"
    assert academic_year_of(date(2026, 7, 1)) == "2026-27"


@pytest.mark.parametrize("result_id", ["", "a b", "x" * 65, "R/1", None, -3, 1.5])
def test_result_ids_are_short_plain_identifiers(result_id):
    assert rejected_code(row(result_id=result_id)) == "invalid_result_id"


def test_whole_number_ids_are_kept_as_text():
    result = check_result(row(result_id=12345, student=dict(row()["student"], id=987),
                              registration_id=55), TODAY, NEW_YORK)
    assert (result["result_id"], result["student"]["id"], result["registration_id"]) == \
        ("12345", "987", "55")


@pytest.mark.parametrize("mode", ["test_center", "remote"])
def test_delivery_modes(mode):
    assert check_result(row(delivery_mode=mode), TODAY, NEW_YORK)["delivery_mode"] == mode


@pytest.mark.parametrize("institution", ["12", 0, -1, True, 1.0])
def test_attending_institution_must_be_an_organization_id(institution):
    assert rejected_code(row(attending_institution_id=institution)) == "unknown_institution"


def test_voucher_codes_are_normalised_like_the_registration_system_does():
    assert voucher_candidates("abcd-efgh-jkmn-pqr0") == ("ABCDEFGHJKMNPQR0",)
    # O and I/L in a 16-symbol code may be typos of 0 and 1 (or a legacy code's own letters)
    assert voucher_candidates("ABCD EFGH JKMN PQRO") == ("ABCDEFGHJKMNPQRO", "ABCDEFGHJKMNPQR0")
    assert voucher_candidates("legacy-123") == ("LEGACY123",)
    assert voucher_candidates("no!") == () and voucher_candidates(17) == ()
    assert rejected_code(row(voucher_code="??")) == "unknown_voucher"
    assert check_result(row(voucher_code=""), TODAY, NEW_YORK)["voucher_candidates"] == ()


def test_a_row_that_is_not_an_object_is_rejected():
    assert rejected_code(["R-1"]) == "invalid_result"


def stored(**changes):
    result = {"result_id": "R-1", "voucher_code": "ABCDEFGHJKMNPQR0", "registration_id": "77",
              "order_id": 5, "paid_by_organization_id": 10, "attending_institution_id": 20,
              "exam": "College Algebra", "test_date": date(2026, 10, 1),
              "delivery_mode": "remote", "academic_year": "2026-27"}
    result.update(changes)
    return result


def test_the_buyer_and_the_attending_institution_see_a_result():
    viewers = {v["organization_id"]: v for v in viewers_of(stored())}
    assert set(viewers) == {10, 20}
    assert (viewers[10]["as_buyer"], viewers[10]["as_attending_institution"]) == (True, False)
    assert (viewers[20]["as_buyer"], viewers[20]["as_attending_institution"]) == (False, True)
    both = viewers_of(stored(attending_institution_id=10))
    assert len(both) == 1 and both[0]["as_buyer"] and both[0]["as_attending_institution"]
    self_paid = viewers_of(stored(voucher_code=None, paid_by_organization_id=None))
    assert [v["organization_id"] for v in self_paid] == [20]
    assert viewers_of(stored(paid_by_organization_id=None, attending_institution_id=None)) == []


def test_exam_recorded_carries_the_contract_of_docs_events():
    payload = exam_recorded(stored())
    assert payload == {"result_id": "R-1", "voucher_code": "ABCDEFGHJKMNPQR0",
                       "registration_id": 77, "order_id": 5, "organization_id": 10,
                       "attending_institution_id": 20, "exam": "College Algebra",
                       "test_date": "2026-10-01", "delivery_mode": "remote",
                       "academic_year": "2026-27"}


def test_registration_ids_that_were_numbers_go_out_as_numbers():
    assert registration_id_out("77") == 77
    assert registration_id_out("007") == "007"
    assert registration_id_out("reg-7") == "reg-7"
    assert registration_id_out(None) is None
