"""The June 30 close through the HTTP API, with the real services running on a frozen
program clock: June 30 of the current academic year, noon in New York. The vouchers
process is then restarted with its clock just past midnight, as if the night had passed.

The buyer watches each code go unused -> redeemed -> used / cancelled / expired; the close
runs once whoever asks (operations, twice at once, or the timer of every replica).
"""
import concurrent.futures
import uuid
from datetime import datetime, timedelta
from datetime import time as daytime
from zoneinfo import ZoneInfo

import pytest

from scripts.sandbox import Sandbox
from services.common.clock import Clock
from services.vouchers.codes import normalize
from services.vouchers.redemption import complete_by
from tests.e2e import service_db
from tests.e2e.portal import Portal
from tests.e2e.checks import error_of, wait_for

NEW_YORK = ZoneInfo("America/New_York")
YEAR = Clock().academic_year()              # the real current academic year
NEXT_YEAR = YEAR.next()


def moment(day, hour, minute):
    return datetime.combine(day, daytime(hour, minute), NEW_YORK).isoformat()


JUNE_30_NOON = moment(YEAR.last_day, 12, 0)
JULY_1_AFTER_MIDNIGHT = moment(YEAR.last_day + timedelta(days=1), 0, 5)
A_YEAR_LATER = moment(NEXT_YEAR.last_day + timedelta(days=1), 0, 5)


@pytest.fixture(scope="module")
def system_env(tmp_path_factory):
    with Sandbox("sqlite", data_dir=tmp_path_factory.mktemp("system")) as env:
        env["CLEP_CLOCK_NOW"] = JUNE_30_NOON
        env["CLEP_YEAR_CLOSE_CHECK_SECONDS"] = "3600"  # operations close this year, below
        yield env


def restart_vouchers(system, now, check_seconds):
    """The vouchers process again, with another "now" (and timer interval)."""
    system.env["CLEP_CLOCK_NOW"] = now
    system.env["CLEP_YEAR_CLOSE_CHECK_SECONDS"] = str(check_seconds)
    system.stop_process("vouchers-1")
    system.start_process("vouchers-1")
    system.wait_healthy(timeout=60)


@pytest.fixture(scope="module")
def portal_module(system, system_env):
    return Portal(system.base_url, system_env["CLEP_OPERATIONS_TOKEN"],
                  system_env["CLEP_PARTNER_TOKEN"])


@pytest.fixture(scope="module")
def june_30(portal_module):
    """On June 30: an order of 6 codes (3 redeemed, 1 of them used), legacy codes of this
    year (one redeemed) and of next year (not valid before July 1)."""
    portal = portal_module
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=6).json()
    assert order["expiration_date"] == YEAR.last_day.isoformat()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    codes = sorted(portal.voucher_codes(account, school["id"], order["id"]))
    tickets = [portal.redeem_voucher(code).json() for code in codes[:3]]
    assert all(ticket["complete_by"] == YEAR.last_day.isoformat() for ticket in tickets)
    answer = portal.record_exam_results([{
        "result_id": "R-" + uuid.uuid4().hex[:10],
        "student": {"id": "S-9", "first_name": "Ada", "last_name": "Lovelace",
                    "email": "ada@example.org"},
        "exam": "College Algebra", "test_date": YEAR.last_day.isoformat(), "score": 55,
        "delivery_mode": "remote", "voucher_code": codes[2],
        "registration_id": tickets[2]["registration_id"]}])
    assert answer["accepted"] == 1, answer
    usage = lambda: portal.voucher_usage(account, school["id"], order["id"])["counts"]  # noqa
    wait_for(lambda: usage()["used"] == 1)

    prefix = uuid.uuid4().hex[:6].upper()
    this_year = [f"{prefix}-T1", f"{prefix}-T2"]
    next_year = [f"{prefix}-N1", f"{prefix}-N2"]
    assert portal.import_legacy_vouchers(school["id"], this_year).json()["imported"] == 2
    assert portal.import_legacy_vouchers(school["id"], next_year,
                                         year=str(NEXT_YEAR)).json()["imported"] == 2
    assert portal.redeem_voucher(this_year[0]).status_code == 201
    early = portal.redeem_voucher(next_year[0])  # next year's codes wait for July 1
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "voucher_not_yet_valid"
    return {"account": account, "school": school, "order": order, "codes": codes,
            "tickets": tickets, "legacy_this_year": this_year, "legacy_next_year": next_year}


def test_the_year_cannot_close_before_june_30_is_over(portal_module, june_30):
    portal = portal_module
    for year in (str(YEAR), str(NEXT_YEAR)):
        error = error_of(portal.close_academic_year(year), 409)
        assert error["code"] == "academic_year_not_over"
    for bad in ("2026-28", "next"):
        assert "academic_year" in error_of(portal.close_academic_year(bad), 400)["fields"]
    account = portal.new_account()
    assert error_of(portal.post(f"/api/admin/academic-years/{YEAR}/close", account.headers),
                    403)
    assert error_of(portal.post(f"/api/admin/academic-years/{YEAR}/close", portal.partner),
                    403)
    counts = portal.voucher_usage(june_30["account"], june_30["school"]["id"],
                                  june_30["order"]["id"])["counts"]
    assert counts == {"unused": 3, "assigned": 0,
                      "redeemed": 2, "used": 1, "cancelled": 0, "expired": 0}


def test_operations_close_the_year_once_even_asked_three_times_at_once(
        portal_module, june_30, system, system_env):
    portal = portal_module
    restart_vouchers(system, JULY_1_AFTER_MIDNIGHT, check_seconds=3600)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: portal.close_academic_year(str(YEAR)), range(3)))
    assert [answer.status_code for answer in answers] == [202] * 3, [a.text for a in answers]
    closes = [answer.json() for answer in answers]
    assert sorted(close["already_closed"] for close in closes) == [False, True, True]
    for close in closes:
        assert (close["academic_year"], close["closed_by"]) == (str(YEAR), "operations")
        assert close["tickets_cancelled"] == 3   # two of the order, one legacy
        assert close["vouchers_expired"] == 4    # three of the order, one legacy

    account, school, order = june_30["account"], june_30["school"], june_30["order"]
    usage = portal.voucher_usage(account, school["id"], order["id"])
    assert usage["counts"] == {"unused": 0, "assigned": 0, "redeemed": 0, "used": 1, "cancelled": 2,
                               "expired": 3}
    codes = june_30["codes"]
    by_status = {status: [v["voucher_code"] for v in portal.voucher_usage(
        account, school["id"], order["id"], status=status)["vouchers"]]
        for status in ("used", "cancelled", "expired")}
    assert by_status == {"used": [codes[2]], "cancelled": codes[:2], "expired": codes[3:]}

    cancelled = service_db.events(system_env, "vouchers", "registration_cancelled")
    assert sorted(event["voucher_code"] for event in cancelled) == sorted(
        [normalize(codes[0]), normalize(codes[1]), june_30["legacy_this_year"][0].replace(
            "-", "")])
    assert {event["order_id"] for event in cancelled} == {order["id"], None}

    # after the close: unused codes have expired, cancelled ones stay redeemed
    assert error_of(portal.redeem_voucher(codes[4]), 410)["code"] == "voucher_expired"
    assert error_of(portal.redeem_voucher(june_30["legacy_this_year"][1]), 410)
    assert error_of(portal.redeem_voucher(codes[0]), 409)["code"] == "voucher_already_redeemed"

    # next year has begun: its legacy codes redeem now (six months: January 1)
    later = portal.redeem_voucher(june_30["legacy_next_year"][0])
    assert later.status_code == 201, later.text
    assert later.json()["complete_by"] == complete_by(
        NEXT_YEAR.first_day, NEXT_YEAR).isoformat()

    # a later call changes nothing
    outbox_rows = service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM outbox")
    again = portal.close_academic_year(str(YEAR))
    assert again.status_code == 202 and again.json()["already_closed"] is True
    assert service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM outbox") == \
        outbox_rows
    assert portal.voucher_usage(account, school["id"], order["id"])["counts"] == \
        usage["counts"]
    download = portal.get(order["vouchers_csv_url"], account.headers)
    statuses = sorted(line.split(",")[4] for line in download.text.splitlines()[1:])
    assert statuses == ["cancelled", "cancelled", "expired", "expired", "expired", "used"]


def test_the_timer_closes_a_year_once_it_is_over(portal_module, june_30, system, system_env):
    """A year on, the vouchers timer closes next year's codes by itself."""
    portal = portal_module
    restart_vouchers(system, A_YEAR_LATER, check_seconds=1)
    wait_for(lambda: service_db.scalar(
        system_env, "vouchers", "SELECT closed_by FROM year_closures WHERE academic_year = :y",
        y=str(NEXT_YEAR)) == "timer")
    close = portal.close_academic_year(str(NEXT_YEAR))
    assert close.status_code == 202
    assert close.json()["already_closed"] is True and close.json()["closed_by"] == "timer"
    assert (close.json()["tickets_cancelled"], close.json()["vouchers_expired"]) == (1, 1)
    redeemed, unused = (code.replace("-", "") for code in june_30["legacy_next_year"])
    statuses = dict(service_db.rows(system_env, "vouchers",
                                    "SELECT code, status FROM vouchers WHERE code IN (:a, :b)",
                                    a=redeemed, b=unused))
    assert statuses == {redeemed: "cancelled", unused: "expired"}
    assert service_db.scalar(system_env, "vouchers", "SELECT status FROM registrations "
                             "WHERE voucher_code = :c", c=redeemed) == "cancelled"
