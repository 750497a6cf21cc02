"""Redemption rules on a real (SQLite) vouchers database, as the registration system's
`POST /api/voucher-redemptions` meets them (services/vouchers/README.md, "Redemption"). A
redemption is one unit of work; its event goes to the outbox with it.
"""
import json
from datetime import date, timedelta

import pytest
from nameko.exceptions import deserialize
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.common import correlation
from services.common.academic_year import AcademicYear
from services.common.errors import Conflict, Gone, NotFound, TooManyAttempts
from services.common.messaging_tables import outbox
from services.vouchers import redemption
from services.vouchers.codes import format_code, generate_codes
from services.vouchers.models import Registration, RedemptionThrottle, Voucher, VoucherBatch
from services.vouchers.redemption import (FAILURE_LIMIT, FAILURE_WINDOW, add_months,
                                          complete_by, lookup_keys)
from tests.unit.conftest import utc

Y2026 = AcademicYear(2026)
STUDENT = {"id": "S-1", "name": "Sam Student", "email": "sam@example.org"}
CLIENT = "10.0.0.5"


# --- the complete-by date: six months, or June 30, whichever comes first ----------------------


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 10, 15), 6, date(2027, 4, 15)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),     # no Feb 31: the month's last day
    (date(2027, 8, 31), 6, date(2028, 2, 29)),     # a leap year
    (date(2026, 12, 31), 6, date(2027, 6, 30)),
    (date(2026, 7, 1), 12, date(2027, 7, 1)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("redeemed_on, expected", [
    (date(2026, 7, 1), date(2027, 1, 1)),          # early in the year: six months
    (date(2026, 10, 15), date(2027, 4, 15)),
    (date(2026, 12, 29), date(2027, 6, 29)),       # six months still comes first
    (date(2026, 12, 30), date(2027, 6, 30)),       # the same day
    (date(2027, 1, 1), date(2027, 6, 30)),         # six months would be July 1: June 30
    (date(2027, 6, 30), date(2027, 6, 30)),        # redeemed on the last day
])
def test_complete_by_is_six_months_or_june_30_whichever_first(redeemed_on, expected):
    assert complete_by(redeemed_on, Y2026) == expected


# --- normalising before any lookup ------------------------------------------------------------


def test_a_portal_code_is_normalised_from_what_people_type():
    code = generate_codes(1)[0]
    typed = format_code(code).lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert lookup_keys(typed)[0] == code


def test_a_mistyped_portal_code_is_never_looked_up_as_a_portal_code():
    code = generate_codes(1)[0]
    wrong = ("A" if code[3] != "A" else "B")
    mistyped = code[:3] + wrong + code[4:]
    assert code not in lookup_keys(mistyped)


@pytest.mark.parametrize("garbage", ["", "   ", "!!", "ab", "ÄBCD-EFGH", "X" * 200, None, 12])
def test_what_cannot_be_any_code_has_no_lookup_key(garbage):
    assert lookup_keys(garbage) == []


def test_a_legacy_code_ignores_case_spaces_and_dashes_only():
    assert lookup_keys("clep-2019 oo1") == ["CLEP2019OO1"]


# --- redeeming on a database ------------------------------------------------------------------


def make_batch(store, clock, codes, year="2026-27", expiration=date(2027, 6, 30), order_id=41,
               legacy=False, covers=True, organization_id=7):
    with store.transaction() as work:
        batch = VoucherBatch(order_id=order_id, organization_id=organization_id,
                             academic_year=year, quantity=len(codes), expiration_date=expiration,
                             covers_remote_proctoring=covers, legacy=legacy, chunk_count=1,
                             chunks_done=1, created_at=clock.now(), completed_at=clock.now())
        work.session.add(batch)
        work.session.flush()
        work.session.add_all(Voucher(code=code, batch_id=batch.id, status="unused")
                             for code in codes)
        return batch.id


def redeem(store, clock, typed, client=CLIENT, student=STUDENT, exam="College Algebra"):
    with store.transaction() as work:
        ticket, error = redemption.redeem(work, clock, client, typed, student, exam)
    if error is not None:
        raise error
    return ticket


def events(store, event_type):
    with store.reader() as session:
        rows = session.scalars(select(outbox.c.payload)
                               .where(outbox.c.event_type == event_type)).all()
    return [json.loads(row) for row in rows]


def status_of(store, code):
    with store.reader() as session:
        return session.get(Voucher, code).status


@pytest.fixture
def codes(vouchers_store, clock):
    made = generate_codes(5)
    make_batch(vouchers_store, clock, made)
    return made


def test_redeeming_makes_a_ticket_and_announces_it(vouchers_store, clock, codes):
    ticket = redeem(vouchers_store, clock, format_code(codes[0]).lower())
    assert ticket["voucher_code"] == format_code(codes[0])
    assert ticket["organization_id"] == 7 and ticket["academic_year"] == "2026-27"
    assert ticket["complete_by"] == "2027-04-15"  # Oct 15 + six months
    assert status_of(vouchers_store, codes[0]) == "redeemed"
    [event] = events(vouchers_store, "voucher_redeemed")
    assert event["registration_id"] == ticket["registration_id"]
    assert event["voucher_code"] == codes[0]  # canonical, no dashes
    assert event["order_id"] == 41 and event["legacy"] is False
    assert event["covers_remote_proctoring"] is True
    assert event["student"] == STUDENT and event["exam"] == "College Algebra"
    assert event["complete_by"] == "2027-04-15"


def test_a_second_redemption_of_a_code_is_a_conflict_and_changes_nothing(
        vouchers_store, clock, codes):
    redeem(vouchers_store, clock, codes[0])
    with pytest.raises(Conflict) as conflict:
        redeem(vouchers_store, clock, codes[0], student=dict(STUDENT, id="S-2"))
    assert conflict.value.code == "voucher_already_redeemed"
    assert len(events(vouchers_store, "voucher_redeemed")) == 1
    with vouchers_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 1


@pytest.mark.parametrize("status", ["used", "cancelled"])
def test_a_used_or_cancelled_code_is_already_redeemed(vouchers_store, clock, codes, status):
    with vouchers_store.transaction() as work:
        work.session.get(Voucher, codes[0]).status = status
    with pytest.raises(Conflict):
        redeem(vouchers_store, clock, codes[0])


def test_a_code_past_its_expiration_date_has_expired(vouchers_store, clock):
    [code] = generate_codes(1)
    make_batch(vouchers_store, clock, [code], expiration=date(2026, 10, 14), order_id=42)
    with pytest.raises(Gone) as gone:
        redeem(vouchers_store, clock, code)
    assert gone.value.code == "voucher_expired"
    assert status_of(vouchers_store, code) == "unused"
    # still good on its expiration date itself (program time: Oct 14, 23:30 in New York)
    clock.frozen_at = utc(2026, 10, 15, 3, 30)
    assert redeem(vouchers_store, clock, code)["complete_by"] == "2027-04-14"


def test_an_expired_code_has_expired(vouchers_store, clock, codes):
    with vouchers_store.transaction() as work:
        work.session.get(Voucher, codes[0]).status = "expired"
    with pytest.raises(Gone):
        redeem(vouchers_store, clock, codes[0])


def test_an_earlier_expiration_does_not_shorten_the_ticket_rule(vouchers_store, clock):
    [code] = generate_codes(1)
    make_batch(vouchers_store, clock, [code], expiration=date(2026, 11, 30), order_id=43)
    assert redeem(vouchers_store, clock, code)["complete_by"] == "2027-04-15"


def test_unknown_and_mistyped_codes_are_unknown(vouchers_store, clock, codes):
    mistyped = codes[0][:15] + ("0" if codes[0][15] != "0" else "1")
    for typed in (mistyped, generate_codes(1)[0], "NOT-A-CODE"):
        with pytest.raises(NotFound) as unknown:
            redeem(vouchers_store, clock, typed)
        assert unknown.value.code == "unknown_voucher"
    assert status_of(vouchers_store, codes[0]) == "unused"
    assert events(vouchers_store, "voucher_redeemed") == []


def test_too_many_unknown_codes_hold_off_the_guesses_never_a_good_code(
        vouchers_store, clock, codes):
    for _ in range(FAILURE_LIMIT):
        with pytest.raises(NotFound):
            redeem(vouchers_store, clock, "UNKNOWN-CODE")
    with pytest.raises(TooManyAttempts) as held:
        redeem(vouchers_store, clock, "UNKNOWN-CODE")
    assert 0 < held.value.retry_after <= FAILURE_WINDOW.total_seconds()
    assert redeem(vouchers_store, clock, codes[0])  # a valid, unused code: always
    assert status_of(vouchers_store, codes[0]) == "redeemed"
    with pytest.raises(NotFound):  # another client's guesses are its own
        redeem(vouchers_store, clock, "UNKNOWN-CODE", client="partner:other")
    clock.frozen_at += FAILURE_WINDOW + timedelta(seconds=1)  # the window passes
    with pytest.raises(NotFound):
        redeem(vouchers_store, clock, "UNKNOWN-CODE")


def test_conflicts_and_expired_codes_do_not_count_toward_the_limit(vouchers_store, clock, codes):
    redeem(vouchers_store, clock, codes[0])
    for _ in range(FAILURE_LIMIT + 5):
        with pytest.raises(Conflict):
            redeem(vouchers_store, clock, codes[0])
    with vouchers_store.reader() as session:
        assert session.get(RedemptionThrottle, CLIENT) is None
    assert redeem(vouchers_store, clock, codes[1])


def test_failures_in_a_new_window_start_counting_again(vouchers_store, clock, codes):
    for _ in range(FAILURE_LIMIT - 1):
        with pytest.raises(NotFound):
            redeem(vouchers_store, clock, "UNKNOWN-CODE")
    clock.frozen_at += FAILURE_WINDOW + timedelta(seconds=1)
    with pytest.raises(NotFound):
        redeem(vouchers_store, clock, "UNKNOWN-CODE")
    with vouchers_store.reader() as session:
        assert session.get(RedemptionThrottle, CLIENT).failures == 1
    assert redeem(vouchers_store, clock, codes[0])


def test_a_legacy_code_redeems_as_typed_loosely(vouchers_store, clock):
    make_batch(vouchers_store, clock, ["CLEP2019OO1", "CLEP2019OO2"], order_id=None,
               legacy=True, covers=False)
    ticket = redeem(vouchers_store, clock, " clep-2019-oo1 ")
    assert ticket["voucher_code"] == "CLEP2019OO1"
    [event] = events(vouchers_store, "voucher_redeemed")
    assert event["legacy"] is True and event["order_id"] is None
    with pytest.raises(NotFound):  # no O->0 mapping for legacy codes
        redeem(vouchers_store, clock, "CLEP2019002")


def test_an_exam_taken_marks_the_code_and_its_ticket_used(vouchers_store, clock, codes):
    ticket = redeem(vouchers_store, clock, codes[0])
    event = {"event_id": "e1", "voucher_code": codes[0], "organization_id": 7,
             "registration_id": ticket["registration_id"]}
    with vouchers_store.transaction() as work:
        assert redemption.record_exams(work.session, clock.now(), [event]) == {7}
    with vouchers_store.transaction() as work:  # again: nothing
        assert redemption.record_exams(work.session, clock.now(), [event]) == set()
        assert redemption.record_exams(work.session, clock.now(), [{"voucher_code": None}]) \
            == set()
    assert status_of(vouchers_store, codes[0]) == "used"
    with vouchers_store.reader() as session:
        assert session.get(Registration, ticket["registration_id"]).status == "used"


def test_a_code_of_a_year_that_has_not_begun_is_not_yet_valid(vouchers_store, clock):
    make_batch(vouchers_store, clock, ["NEXT0001"], year="2027-28",
               expiration=date(2028, 6, 30), order_id=None, legacy=True)
    with pytest.raises(Conflict) as early:
        redeem(vouchers_store, clock, "NEXT-0001")
    assert early.value.code == "voucher_not_yet_valid"
    assert status_of(vouchers_store, "NEXT0001") == "unused"
    clock.frozen_at = utc(2027, 7, 1, 4, 0)  # July 1, 00:00 in New York
    assert redeem(vouchers_store, clock, "NEXT-0001")["complete_by"] == "2028-01-01"


def test_exams_of_two_organizations_mark_their_codes_used_in_one_go(vouchers_store, clock):
    make_batch(vouchers_store, clock, ["USEDAAAA0001", "USEDAAAA0002"], organization_id=7,
               order_id=None, legacy=True)
    make_batch(vouchers_store, clock, ["USEDBBBB0001"], organization_id=8, order_id=None,
               legacy=True)
    exams = [{"voucher_code": "USED-AAAA-0001", "organization_id": 7},
             {"voucher_code": "useda aaa0002", "organization_id": 7},
             {"voucher_code": "USEDBBBB0001", "organization_id": 8},
             {"voucher_code": "NOSUCHCODE99", "organization_id": 9}]
    with vouchers_store.transaction() as work:
        assert redemption.record_exams(work.session, clock.now(), exams) == {7, 8}
    assert [status_of(vouchers_store, code) for code in
            ("USEDAAAA0001", "USEDAAAA0002", "USEDBBBB0001")] == ["used"] * 3


def one(code, client=CLIENT, student=STUDENT):
    return {"client": client, "voucher_code": code, "student": student,
            "exam": "College Algebra"}


def answered(answer):
    """An answer of `redeem_many` as the gateway reads it: a ticket, or the error raised."""
    return answer["ticket"] if "ticket" in answer else deserialize(answer["error"])


def test_many_redemptions_in_one_go_answer_each_as_one_call_each(vouchers_store, clock, codes):
    batch = [one(codes[3]), one(format_code(codes[1]).lower()), one(codes[3]),
             one("UNKNOWN-CODE"), one(codes[0], client="partner:other")]
    first, second, again, unknown, other = map(answered, redemption.redeem_many(
        vouchers_store, clock, batch))
    assert first["voucher_code"] == format_code(codes[3])
    assert second["voucher_code"] == format_code(codes[1])
    assert other["voucher_code"] == format_code(codes[0])
    assert isinstance(again, Conflict) and again.code == "voucher_already_redeemed"
    assert isinstance(unknown, NotFound) and unknown.code == "unknown_voucher"
    assert sorted(event["voucher_code"] for event in events(vouchers_store, "voucher_redeemed")) \
        == sorted([codes[0], codes[1], codes[3]])
    with vouchers_store.reader() as session:
        assert session.get(RedemptionThrottle, CLIENT).failures == 1  # counted, committed
        assert session.get(RedemptionThrottle, "partner:other") is None


def test_a_batch_that_fails_is_redeemed_one_by_one_and_nothing_twice(
        vouchers_store, clock, codes, monkeypatch):
    real, claimed = redemption.issue_tickets, []

    def failing_for_two(work, claims, now, today):
        claimed.append(sorted(code for _redemption, code, _terms in claims))
        if len(claims) == 2:  # the batch's tickets: say, a deadlock
            raise OperationalError("INSERT INTO registrations", {}, Exception("deadlock"))
        return real(work, claims, now, today)
    monkeypatch.setattr(redemption, "issue_tickets", failing_for_two)

    answers = redemption.redeem_many(vouchers_store, clock, [one(codes[1]), one(codes[0])])
    assert [answered(answer)["voucher_code"] for answer in answers] == [
        format_code(codes[1]), format_code(codes[0])]
    in_code_order = sorted([codes[0], codes[1]])
    assert claimed == [in_code_order] + [[code] for code in in_code_order]  # then each alone
    assert len(events(vouchers_store, "voucher_redeemed")) == 2
    with vouchers_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 2



def test_each_redemption_of_a_gathered_call_is_announced_under_its_requests_id(
        vouchers_store, clock, codes, monkeypatch):
    """A call carries the redemptions of many requests; each `voucher_redeemed` keeps the
    correlation id of its own (the call's for one without a sane id), whether the batch
    is redeemed in one go or, after it failed, each on its own."""
    def redeemed(items):
        token = correlation.bind("call-0123456789", "vouchers")
        try:
            answers = redemption.redeem_many(vouchers_store, clock, items)
        finally:
            correlation.unbind(token)
        assert all("ticket" in answer for answer in answers), answers

    redeemed([dict(one(codes[0]), correlation_id="redeem-aaaaaaaa"),
              dict(one(codes[1]), correlation_id="not sane")])
    real = redemption.issue_tickets

    def failing_together(work, claims, now, today):
        if len(claims) > 1:
            raise OperationalError("INSERT INTO registrations", {}, Exception("deadlock"))
        return real(work, claims, now, today)
    monkeypatch.setattr(redemption, "issue_tickets", failing_together)
    redeemed([dict(one(codes[2]), correlation_id="redeem-cccccccc"),
              dict(one(codes[3]), correlation_id="redeem-dddddddd")])

    with vouchers_store.reader() as session:
        kept = session.execute(select(outbox.c.payload, outbox.c.correlation_id).where(
            outbox.c.event_type == "voucher_redeemed")).all()
    assert {json.loads(payload)["voucher_code"]: own for payload, own in kept} == {
        codes[0]: "redeem-aaaaaaaa", codes[1]: "call-0123456789",
        codes[2]: "redeem-cccccccc", codes[3]: "redeem-dddddddd"}
