"""Giving an order's codes to students (services/vouchers/assignments.py and the upload's
reading, assignment_csv.py), on SQLite and on PostgreSQL: the usage view's `assigned` (a
part of `unused`, which keeps its meaning), the search by student, everything-or-nothing
lists and files, and codes whose student can no longer change."""
from datetime import date

import pytest
from sqlalchemy import func, select, update

from services.common.errors import Conflict, InvalidInput, NotFound
from services.vouchers import assignment_csv, assignments, listing
from services.vouchers.codes import format_code, generate_codes
from services.vouchers.models import Voucher, VoucherAssignment
from tests.conftest import migrated_store
from tests.unit.test_redemption import make_batch

ORG, ORDER = 7, 41
HEADER = ("voucher_code,order_id,expiration_date,remote_proctoring_covered,status,"
          "student_name,date_given_out,student_email\r\n")


@pytest.fixture
def store(databases, clock):
    made = migrated_store("vouchers", databases.new_url("vouchers"), clock)
    yield made
    made.dispose()


@pytest.fixture
def codes(store, clock):
    made = sorted(generate_codes(6))
    make_batch(store, clock, made, order_id=ORDER)
    make_batch(store, clock, generate_codes(2), order_id=99)
    return made


def usage(store, **params):
    with store.reader() as session:
        return listing.usage(session, ORG, ORDER, today=date(2026, 10, 15), **params)


def assign(store, clock, code, **student):
    with store.transaction() as work:
        return assignments.assign_one(work, clock, ORG, ORDER, format_code(code), student)


def upload(store, clock, text):
    rows, errors = assignment_csv.read_rows(text)
    with store.transaction() as work:
        return assignments.apply(work, clock, ORG, ORDER, rows, "file's rows", errors)


def stored(store):
    with store.reader() as session:
        return {row.voucher_code: (row.student_name, row.student_email, row.given_out_on)
                for row in session.scalars(select(VoucherAssignment))}


def test_a_code_given_out_stays_unused_and_is_counted_assigned(store, clock, codes):
    answer = assign(store, clock, codes[0], student_name="  Ada  Lovelace ",
                    student_email=" Ada@Example.ORG")
    assert answer == {"voucher_code": format_code(codes[0]), "status": "unused",
                      "assignment": {"student_name": "Ada Lovelace",
                                     "student_email": "ada@example.org",
                                     "given_out_on": "2026-10-15", "emailed_at": None}}
    seen = usage(store)
    # the statuses keep their meaning and add up to the codes; `assigned` is part of unused
    assert seen["counts"] == {"unused": 6, "redeemed": 0, "used": 0, "cancelled": 0,
                              "expired": 0, "assigned": 1}
    assert list(seen["counts"])[:5] == ["unused", "redeemed", "used", "cancelled", "expired"]
    assert seen["total"] == 6
    assert seen["vouchers"][0]["status"] == "unused"
    assert seen["vouchers"][0]["assignment"]["student_name"] == "Ada Lovelace"
    assert seen["vouchers"][1]["assignment"] is None
    only = usage(store, status="assigned")
    assert [row["voucher_code"] for row in only["vouchers"]] == [format_code(codes[0])]
    assert only["total"] == 1 and only["vouchers"][0]["status"] == "unused"
    everyone = usage(store, status="unused")
    assert everyone["total"] == 6 and len(everyone["vouchers"]) == 6
    rest = usage(store, status="unassigned")
    assert rest["total"] == 5
    assert [row["voucher_code"] for row in rest["vouchers"]] == [
        format_code(code) for code in codes[1:]]
    found = usage(store, student="lovelace ADA")
    assert (found["total"], len(found["vouchers"])) == (1, 1)
    assert usage(store, student="example.org")["total"] == 1
    assert usage(store, student="100%")["total"] == 0


def test_a_code_given_out_past_its_expiration_is_expired_not_assigned(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada Lovelace")
    with store.reader() as session:
        late = listing.usage(session, ORG, ORDER, today=date(2027, 7, 1))
        assigned = listing.usage(session, ORG, ORDER, status="assigned",
                                 today=date(2027, 7, 1))
    assert late["counts"]["expired"] == 6
    assert (late["counts"]["unused"], late["counts"]["assigned"]) == (0, 0)
    assert assigned["total"] == 0 and assigned["vouchers"] == []


def test_the_legacy_usage_has_no_assigned_count_nor_filter(store, clock, codes):
    with store.reader() as session:
        seen = listing.legacy_usage(session, ORG, "2026-27", today=date(2026, 10, 15))
        assert list(seen["counts"]) == ["unused", "redeemed", "used", "cancelled", "expired"]
        for status in ("assigned", "unassigned"):
            with pytest.raises(InvalidInput):
                listing.legacy_usage(session, ORG, "2026-27", status=status)


def test_a_mail_recorded_for_one_student_is_not_shown_for_the_next(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada Lovelace",
           student_email="ada@example.org")

    def mailed():
        with store.transaction() as work:
            work.session.execute(update(VoucherAssignment).values(emailed_at=clock.now()))

    mailed()
    again = assign(store, clock, codes[0], student_name="Ada Lovelace",
                   student_email="ada@example.org", given_out_on="2026-10-14")
    assert again["assignment"]["emailed_at"] is not None  # the same student: still mailed
    other = assign(store, clock, codes[0], student_name="Grace Hopper",
                   student_email="grace@example.org")
    assert other["assignment"]["emailed_at"] is None
    assert usage(store)["vouchers"][0]["assignment"]["emailed_at"] is None
    mailed()
    new_address = assign(store, clock, codes[0], student_name="Grace Hopper",
                         student_email="grace@example.com")
    assert new_address["assignment"]["emailed_at"] is None
    mailed()
    renamed = assign(store, clock, codes[0], student_name="Grace B. Hopper",
                     student_email="grace@example.com")
    assert renamed["assignment"]["emailed_at"] is None


def test_reassigning_and_unassigning_while_unused(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada Lovelace", given_out_on="2026-10-01")
    again = assign(store, clock, codes[0], student_name="Ada Lovelace")
    assert again["assignment"]["given_out_on"] == "2026-10-01"  # the day recorded stays
    other = assign(store, clock, codes[0], student_name="Grace Hopper")
    assert other["assignment"]["given_out_on"] == "2026-10-15"
    with store.transaction() as work:
        taken = assignments.unassign(work, clock, ORG, ORDER, format_code(codes[0]))
    assert taken["status"] == "unused" and stored(store) == {}
    with store.transaction() as work:  # again: nothing to take back, nothing changes
        assert assignments.unassign(work, clock, ORG, ORDER, codes[0])["status"] == "unused"


def test_a_redeemed_code_keeps_its_student(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada Lovelace")
    with store.transaction() as work:
        work.session.execute(update(Voucher).where(Voucher.code.in_(codes[:2]))
                             .values(status="redeemed"))
    with pytest.raises(Conflict) as refused:
        assign(store, clock, codes[0], student_name="Grace Hopper")
    assert refused.value.code == "voucher_not_assignable"
    with pytest.raises(Conflict):
        assign(store, clock, codes[1], student_name="Grace Hopper")
    with pytest.raises(Conflict), store.transaction() as work:
        assignments.unassign(work, clock, ORG, ORDER, codes[0])
    assert assign(store, clock, codes[0], student_name="Ada Lovelace")["status"] == "redeemed"
    assert usage(store)["vouchers"][0]["assignment"]["student_name"] == "Ada Lovelace"


def test_single_changes_refuse_with_the_field_or_the_code(store, clock, codes):
    with pytest.raises(InvalidInput) as refused:
        assign(store, clock, codes[0], student_name="Ada", student_email="ada@localhost")
    assert list(refused.value.fields) == ["student_email"]
    with pytest.raises(InvalidInput) as refused:
        assign(store, clock, codes[0], student_name="Ada", given_out_on="2026-10-16")
    assert list(refused.value.fields) == ["given_out_on"]
    with pytest.raises(InvalidInput):
        assign(store, clock, codes[0], student_name="   ")
    with pytest.raises(NotFound):
        assign(store, clock, generate_codes(1)[0], student_name="Ada")
    assert stored(store) == {}


def test_the_next_codes_go_to_a_list_in_code_order(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada Lovelace")
    with store.transaction() as work:
        given = assignments.assign_next(work, clock, ORG, ORDER, {"students": [
            {"student_name": "Grace Hopper", "student_email": "grace@example.org"},
            {"student_name": "Alan Turing"}]})
    assert [row["voucher_code"] for row in given["assignments"]] == [
        format_code(code) for code in codes[1:3]]
    assert stored(store)[codes[2]] == ("Alan Turing", None, date(2026, 10, 15))
    with pytest.raises(Conflict) as refused, store.transaction() as work:
        assignments.assign_next(work, clock, ORG, ORDER, {"students": [
            {"student_name": "Student {}".format(n)} for n in range(4)]})
    assert refused.value.code == "not_enough_vouchers"
    assert len(stored(store)) == 3


def filled(codes, *rows):
    return HEADER + "".join("{},41,2027-06-30,no,unused,{}\r\n".format(
        format_code(code), cells) for code, cells in zip(codes, rows))


def test_an_uploaded_file_is_applied_whole_and_again_changes_nothing(store, clock, codes):
    text = filled(codes, "Ada Lovelace,10/14/2026,ada@example.org", "'=Grace,,",
                  ",,", "Alan Turing,2026-10-01,")
    assert upload(store, clock, text) == {"assigned": 3, "unchanged": 1, "rows": 4}
    assert stored(store) == {
        codes[0]: ("Ada Lovelace", "ada@example.org", date(2026, 10, 14)),
        codes[1]: ("=Grace", None, date(2026, 10, 15)),
        codes[3]: ("Alan Turing", None, date(2026, 10, 1))}
    clock.frozen_at = clock.frozen_at.replace(day=20)
    assert upload(store, clock, text) == {"assigned": 0, "unchanged": 4, "rows": 4}
    assert stored(store)[codes[1]][2] == date(2026, 10, 15)


def test_a_file_with_bad_rows_changes_nothing_and_names_each(store, clock, codes):
    other_order = generate_codes(1)
    text = filled(codes[:3] + [codes[0]], "Ada,not a day,", ",2026-10-01,",
                  "Grace,,grace@", "Alan,,") + "{},41,,,,Bob,,\r\n".format(other_order[0])
    with pytest.raises(InvalidInput) as refused:
        upload(store, clock, text)
    assert refused.value.code == "invalid_rows"
    assert [(row["row"], row["column"]) for row in refused.value.details["rows"]] == [
        (2, "date_given_out"), (3, "student_name"), (4, "student_email"),
        (5, "voucher_code"), (6, "voucher_code")]
    assert stored(store) == {}


def test_a_file_of_another_order_is_refused_row_by_row(store, clock, codes):
    with store.reader() as session:
        others = session.scalars(select(Voucher.code).where(
            ~Voucher.code.in_(codes))).all()
    with pytest.raises(InvalidInput) as refused:
        upload(store, clock, filled(others, ",,", ",,"))
    assert [row["message"] for row in refused.value.details["rows"]] == [
        "Not a code of order 41."] * 2


def test_a_file_without_the_columns_or_with_too_many_rows_is_refused(store, clock, codes):
    with pytest.raises(InvalidInput) as refused:
        upload(store, clock, "voucher_code,student\r\n")
    assert refused.value.code == "invalid_csv"
    with pytest.raises(InvalidInput) as refused:
        upload(store, clock, HEADER + "x,,,,,,,\r\n" * 10_001)
    assert refused.value.code == "too_many_rows"


def test_a_file_without_the_email_column_keeps_the_students_email(store, clock, codes):
    assign(store, clock, codes[0], student_name="Ada", student_email="ada@example.org")
    assign(store, clock, codes[1], student_name="Bob", student_email="bob@example.org")
    text = ("voucher_code,student_name,date_given_out\r\n"
            "{},Ada,\r\n{},Grace,\r\n".format(codes[0], codes[1]))
    assert upload(store, clock, text)["assigned"] == 1
    assert stored(store)[codes[0]][1] == "ada@example.org"
    assert stored(store)[codes[1]][1] is None


def test_the_csv_page_and_the_summary_carry_the_assignments(store, clock, codes):
    assign(store, clock, codes[2], student_name="Ada", student_email="ada@example.org",
           given_out_on="2026-10-02")
    with store.reader() as session:
        page = listing.csv_page(session, ORG, ORDER, None, 10, date(2026, 10, 15))
        summary = listing.usage_summary(session, ORG, "2026-27", date(2026, 10, 15))
        count = session.scalar(select(func.count()).select_from(VoucherAssignment))
    assert page["statuses"][2] == "unused"  # the CSV's status column keeps its values
    assert page["students"][2] == ["Ada", "2026-10-02", "ada@example.org"]
    assert page["students"][0] is None
    assert summary["counts"]["assigned"] == 1 and summary["counts"]["unused"] == 8
    assert count == 1


def test_a_name_that_starts_with_an_apostrophe_survives_the_csv_round_trip(store, clock,
                                                                           codes):
    from gateway.csv_stream import csv_lines
    from gateway.routes.orders import VOUCHER_CSV_HEADER, csv_rows

    assign(store, clock, codes[0], student_name="'Iolani", student_email="iolani@example.org")
    assign(store, clock, codes[1], student_name="=Not A Formula")
    with store.reader() as session:
        page = listing.csv_page(session, ORG, ORDER, None, 10, date(2026, 10, 15))
    text = b"".join(csv_lines(VOUCHER_CSV_HEADER, [csv_rows(page)],
                              text_columns=("voucher_code",))).decode("utf-8")
    assert ",''Iolani," in text and ",'=Not A Formula," in text
    assert upload(store, clock, text) == {"assigned": 0, "unchanged": 6, "rows": 6}
    assert stored(store)[codes[0]][0] == "'Iolani"
    assert stored(store)[codes[1]][0] == "=Not A Formula"
