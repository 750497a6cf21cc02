"""Redemption by the registration system, legacy codes and the buyer's usage view, through
the HTTP API with the real services running (on SQLite; test_redemption_postgres.py runs
the races again on PostgreSQL).
"""
import concurrent.futures
import threading
import uuid

import pytest

from services.common.academic_year import AcademicYear
from services.common.clock import Clock
from services.vouchers.codes import ALPHABET, normalize
from services.vouchers.redemption import FAILURE_LIMIT, complete_by
from tests.e2e import service_db
from tests.e2e.checks import error_of, wait_for

STUDENT = {"id": "S-100", "name": "Ada Lovelace", "email": "ada@example.org"}


def order_with_codes(portal, quantity=5, **fields):
    """A fulfilled order of a new coordinator: (account, school, order, its codes)."""
    portal.set_fees()
    account, school = portal.coordinator_of()
    order = portal.place_order(account, school["id"], quantity=quantity, **fields).json()
    portal.wait_until_fulfilled(account, school["id"], order["id"])
    return account, school, order, portal.voucher_codes(account, school["id"], order["id"])


def counts(portal, account, school, order):
    return portal.voucher_usage(account, school["id"], order["id"])["counts"]


def mistyped(code):
    """The code with one symbol changed: its check symbol no longer verifies."""
    position = 5  # a symbol, not a dash
    replacement = next(s for s in ALPHABET if s != code[position])
    return code[:position] + replacement + code[position + 1:]


def swapped(code):
    """The code with two different neighbouring symbols swapped."""
    plain = code.replace("-", "")
    i = next(i for i in range(len(plain) - 1) if plain[i] != plain[i + 1])
    return plain[:i] + plain[i + 1] + plain[i] + plain[i + 2:]


# --- one redemption ------------------------------------------------------------------------


def test_a_code_becomes_a_registration_ticket(portal, system_env):
    account, school, order, codes = order_with_codes(portal, covers_remote_proctoring=True)
    typed = codes[0].lower().replace("-", " ").replace("0", "o").replace("1", "l")
    response = portal.redeem_voucher(typed, student=STUDENT, exam="College Algebra")
    assert response.status_code == 201, response.text
    ticket = response.json()
    year = AcademicYear.parse(portal.academic_year)
    assert ticket["voucher_code"] == codes[0]
    assert ticket["organization_id"] == school["id"]
    assert ticket["complete_by"] == complete_by(Clock().today(), year).isoformat()
    assert ticket["complete_by"] <= year.last_day.isoformat()
    assert isinstance(ticket["registration_id"], int)
    assert counts(portal, account, school, order)["redeemed"] == 1
    redeemed = portal.voucher_usage(account, school["id"], order["id"], status="redeemed")
    assert [v["voucher_code"] for v in redeemed["vouchers"]] == [codes[0]]

    [event] = [e for e in service_db.events(system_env, "vouchers", "voucher_redeemed")
               if e["registration_id"] == ticket["registration_id"]]
    assert event["voucher_code"] == normalize(codes[0])
    assert (event["order_id"], event["organization_id"], event["academic_year"]) == (
        order["id"], school["id"], portal.academic_year)
    assert event["covers_remote_proctoring"] is True and event["legacy"] is False
    assert event["student"] == STUDENT and event["exam"] == "College Algebra"
    assert event["complete_by"] == ticket["complete_by"] and event["redeemed_at"]


def test_bad_codes_get_their_status_and_change_nothing(portal):
    account, school, order, codes = order_with_codes(portal)
    assert portal.redeem_voucher(codes[0]).status_code == 201
    before = counts(portal, account, school, order)

    error = error_of(portal.redeem_voucher(codes[0]), 409)
    assert error["code"] == "voucher_already_redeemed"
    for unknown in (mistyped(codes[1]), swapped(codes[1]), "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "nope",
                    "0000-0000-0000-0000"):
        assert error_of(portal.redeem_voucher(unknown), 404)["code"] == "unknown_voucher", unknown
    base = {"voucher_code": codes[1], "student": STUDENT, "exam": "College Algebra"}
    for body, field in [
        (dict(base, voucher_code=12345), "voucher_code"),
        (dict(base, voucher_code=""), "voucher_code"),
        (dict(base, voucher_code="X" * 101), "voucher_code"),
        ({"student": STUDENT, "exam": "College Algebra"}, "voucher_code"),
        (dict(base, student=None), "student"),
        (dict(base, student={"id": "S-1", "name": "A"}), "student.email"),
        (dict(base, student=dict(STUDENT, email="not-an-email")), "student.email"),
        (dict(base, exam=""), "exam"),
    ]:
        error = error_of(portal.post("/api/voucher-redemptions", portal.partner, json=body), 400)
        assert field in error["fields"], (body, error)
    assert error_of(portal.post("/api/voucher-redemptions", dict(
        portal.partner, **{"Content-Type": "application/json"}), data="{oops"),
        400)["code"] == "malformed_json"
    assert counts(portal, account, school, order) == before


def test_only_the_partner_token_redeems(portal):
    account, _, _, codes = order_with_codes(portal, quantity=1)
    body = {"voucher_code": codes[0], "student": STUDENT, "exam": "College Algebra"}
    assert error_of(portal.post("/api/voucher-redemptions", json=body), 401)
    assert error_of(portal.post("/api/voucher-redemptions", account.headers, json=body), 403)
    assert error_of(portal.post("/api/voucher-redemptions", portal.ops, json=body), 403)[
        "code"] == "wrong_token_kind"
    assert portal.redeem_voucher(codes[0]).status_code == 201


def test_twenty_concurrent_redemptions_of_one_code_one_wins(portal, system_env):
    account, school, order, codes = order_with_codes(portal, quantity=2)
    start = threading.Barrier(20)

    def redeem(n):
        start.wait()
        return portal.redeem_voucher(codes[0], student=dict(STUDENT, id=f"S-{n}"))

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(redeem, range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 19, [answer.text for answer in answers if
                                             answer.status_code not in (201, 409)]
    assert {answer.json()["error"]["code"] for answer in answers
            if answer.status_code == 409} == {"voucher_already_redeemed"}
    assert counts(portal, account, school, order)["redeemed"] == 1
    tickets = service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM registrations "
                                "WHERE voucher_code = :code", code=normalize(codes[0]))
    assert tickets == 1
    announced = [e for e in service_db.events(system_env, "vouchers", "voucher_redeemed")
                 if e["voucher_code"] == normalize(codes[0])]
    assert len(announced) == 1


# --- the throttle on unknown codes (the partner's; test_throttles.py holds one off) -----------


def test_conflicts_do_not_count_toward_the_throttle(portal):
    _, _, _, codes = order_with_codes(portal, quantity=2)
    busy = portal.partner_at("127.0.0.4")
    assert busy.redeem_voucher(codes[0]).status_code == 201
    for _ in range(FAILURE_LIMIT + 5):
        assert busy.redeem_voucher(codes[0]).status_code == 409
    assert busy.redeem_voucher("UNKNOWN-0001").status_code == 404
    assert busy.redeem_voucher(codes[1]).status_code == 201


# --- the buyer sees each code's life ---------------------------------------------------------


def test_usage_follows_each_code_unused_redeemed_used(portal):
    account, school, order, codes = order_with_codes(portal, quantity=4)
    assert counts(portal, account, school, order) == {
        "unused": 4, "assigned": 0, "redeemed": 0, "used": 0, "cancelled": 0, "expired": 0}
    tickets = [portal.redeem_voucher(code).json() for code in codes[:2]]
    assert counts(portal, account, school, order)["redeemed"] == 2

    answer = portal.record_exam_results([{
        "result_id": "R-" + uuid.uuid4().hex[:10],
        "student": {"id": "S-7", "first_name": "Ada", "last_name": "Lovelace",
                    "email": "ada@example.org"},
        "exam": "College Algebra", "test_date": Clock().today().isoformat(), "score": 61,
        "delivery_mode": "test_center", "voucher_code": codes[0],
        "registration_id": tickets[0]["registration_id"]}])
    assert answer["accepted"] == 1, answer
    wait_for(lambda: counts(portal, account, school, order)["used"] == 1)
    assert counts(portal, account, school, order) == {
        "unused": 2, "assigned": 0, "redeemed": 1, "used": 1, "cancelled": 0, "expired": 0}
    used = portal.voucher_usage(account, school["id"], order["id"], status="used")
    assert [v["voucher_code"] for v in used["vouchers"]] == [codes[0]]
    assert used["total"] == 1
    error_of(portal.redeem_voucher(codes[0]), 409)  # a used code is no good either
    page = portal.voucher_usage(account, school["id"], order["id"], per_page=3, page=2)
    assert len(page["vouchers"]) == 1 and page["total"] == 4
    assert error_of(portal.get(f"/api/organizations/{school['id']}/orders/{order['id']}/vouchers",
                               account.headers, params={"status": "lost"}), 400)


def test_another_organization_sees_no_usage(portal):
    _, school, order, _ = order_with_codes(portal, quantity=1)
    stranger, their_school = portal.coordinator_of()
    for org_id, code in ((school["id"], "organization_not_found"),
                         (their_school["id"], "order_not_found")):
        assert error_of(portal.get(f"/api/organizations/{org_id}/orders/{order['id']}/vouchers",
                                   stranger.headers), 404)["code"] == code


def test_the_summary_counts_the_years_codes_of_every_order(portal):
    account, school, order, codes = order_with_codes(portal, quantity=5)
    assert portal.redeem_voucher(codes[0]).status_code == 201
    prefix = uuid.uuid4().hex[:6].upper()
    assert portal.import_legacy_vouchers(school["id"], [f"{prefix}-01", f"{prefix}-02"]) \
        .status_code == 201

    summary = portal.voucher_summary(account, school["id"])
    assert summary == {"academic_year": portal.academic_year, "orders": 1, "ordered": 7,
                       "counts": {"unused": 6, "assigned": 0,
                                  "redeemed": 1, "used": 0, "cancelled": 0,
                                  "expired": 0}}
    assert portal.voucher_summary(account, school["id"],
                                  academic_year=portal.academic_year) == summary
    last_year = str(AcademicYear.parse(portal.academic_year).previous())
    assert portal.voucher_summary(account, school["id"], academic_year=last_year) == {
        "academic_year": last_year, "orders": 0, "ordered": 0,
        "counts": {"unused": 0, "assigned": 0,
                   "redeemed": 0, "used": 0, "cancelled": 0, "expired": 0}}


def test_the_summary_is_the_organizations_own(portal):
    account, school = portal.coordinator_of()
    stranger, _ = portal.coordinator_of()
    path = f"/api/organizations/{school['id']}/voucher-summary"
    assert error_of(portal.get(path, stranger.headers), 404)["code"] == "organization_not_found"
    wrong_year = portal.get(path, account.headers, params={"academic_year": "2026-28"})
    assert "academic_year" in error_of(wrong_year, 400)["fields"]
    assert portal.has_route("get", "/api/organizations/{org_id}/voucher-summary")


# --- legacy codes ------------------------------------------------------------------------------


def test_legacy_codes_import_once_and_redeem_like_any_other(portal, system_env):
    _, school = portal.coordinator_of()
    prefix = uuid.uuid4().hex[:6].upper()
    first = portal.import_legacy_vouchers(school["id"], [
        f"{prefix}-0001", f"{prefix.lower()} 0002", f"{prefix}-0003", "bad code!", ""])
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["imported"] == 3
    assert [entry["voucher_code"] for entry in body["rejected"]] == ["bad code!", ""]
    again = portal.import_legacy_vouchers(school["id"], [f"{prefix}0001", f"{prefix}-0004"])
    assert again.status_code == 201
    assert again.json()["imported"] == 1 and again.json()["duplicates"] == [f"{prefix}0001"]

    ticket = portal.redeem_voucher(f" {prefix.lower()}-0002 ")
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["organization_id"] == school["id"]
    assert ticket.json()["voucher_code"] == f"{prefix}0002"
    assert error_of(portal.redeem_voucher(f"{prefix}0002"), 409)["code"] == \
        "voucher_already_redeemed"
    [event] = [e for e in service_db.events(system_env, "vouchers", "voucher_redeemed")
               if e["voucher_code"] == f"{prefix}0002"]
    assert event["legacy"] is True and event["order_id"] is None
    assert event["organization_id"] == school["id"]


def test_bad_legacy_imports_are_refused_and_store_nothing(portal, system_env):
    _, school = portal.coordinator_of()
    next_year = str(AcademicYear.parse(portal.academic_year).next())
    last_year = str(AcademicYear.parse(portal.academic_year).previous())
    before = service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM vouchers")
    for body, field in [
        ({"academic_year": portal.academic_year, "voucher_codes": ["OLD-1"]}, "organization_id"),
        ({"organization_id": school["id"], "academic_year": "2026-28",
          "voucher_codes": ["OLD-1"]}, "academic_year"),
        ({"organization_id": school["id"], "academic_year": last_year,
          "voucher_codes": ["OLD-1"]}, "academic_year"),
        ({"organization_id": school["id"], "academic_year": portal.academic_year,
          "voucher_codes": []}, "voucher_codes"),
        ({"organization_id": school["id"], "academic_year": portal.academic_year,
          "voucher_codes": "OLD-1"}, "voucher_codes"),
        ({"organization_id": "7", "academic_year": portal.academic_year,
          "voucher_codes": ["OLD-1"]}, "organization_id"),
    ]:
        error = error_of(portal.post("/api/admin/legacy-vouchers", portal.ops, json=body), 400)
        assert field in error["fields"], (body, error)
    account = portal.new_account()
    body = {"organization_id": school["id"], "academic_year": next_year,
            "voucher_codes": ["OLD-1"]}
    assert error_of(portal.post("/api/admin/legacy-vouchers", account.headers, json=body), 403)
    assert error_of(portal.post("/api/admin/legacy-vouchers", portal.partner, json=body), 403)
    assert service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM vouchers") == before


def legacy_usage(portal, account, organization_id, **params):
    response = portal.get(f"/api/organizations/{organization_id}/legacy-vouchers",
                          account.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_sixteen_symbol_legacy_codes_redeem_as_they_were_imported(portal, system_env):
    """Legacy codes take any letters: 16 of them, with letters portal codes never use (I,
    L, O, U) or without, are still legacy codes, shown as imported, never regrouped."""
    account, school = portal.coordinator_of()
    unusual = "LOUI" + uuid.uuid4().hex[:12].upper()
    plain = "ABCD" + uuid.uuid4().hex[:12].upper()
    imported = portal.import_legacy_vouchers(school["id"], [unusual, plain])
    assert imported.status_code == 201 and imported.json()["imported"] == 2, imported.text

    for code in (unusual, plain):
        ticket = portal.redeem_voucher(code.lower())
        assert ticket.status_code == 201, ticket.text
        assert ticket.json()["voucher_code"] == code
        assert ticket.json()["organization_id"] == school["id"]
    usage = legacy_usage(portal, account, school["id"], status="redeemed")
    assert sorted(v["voucher_code"] for v in usage["vouchers"]) == sorted([unusual, plain])


def test_legacy_codes_have_a_usage_view(portal):
    account, school = portal.coordinator_of()
    stranger, _ = portal.coordinator_of()
    prefix = uuid.uuid4().hex[:6].upper()
    codes = [f"{prefix}{n:04d}" for n in range(3)]
    assert portal.import_legacy_vouchers(school["id"], codes[:2]).status_code == 201
    assert portal.import_legacy_vouchers(school["id"], codes[2:],
                                         covers_remote_proctoring=True).status_code == 201
    assert portal.redeem_voucher(codes[1]).status_code == 201

    usage = legacy_usage(portal, account, school["id"])
    assert usage["academic_year"] == portal.academic_year
    # legacy codes are never given out: no `assigned` count
    assert usage["counts"] == {"unused": 2, "redeemed": 1, "used": 0, "cancelled": 0,
                               "expired": 0}
    assert usage["total"] == 3
    assert [(v["voucher_code"], v["status"]) for v in usage["vouchers"]] == [
        (codes[0], "unused"), (codes[1], "redeemed"), (codes[2], "unused")]
    assert {v["expiration_date"] for v in usage["vouchers"]} == {
        AcademicYear.parse(portal.academic_year).last_day.isoformat()}
    unused = legacy_usage(portal, account, school["id"], status="unused", per_page=1, page=2)
    assert [v["voucher_code"] for v in unused["vouchers"]] == [codes[2]]
    assert unused["total"] == 2
    last_year = str(AcademicYear.parse(portal.academic_year).previous())
    assert legacy_usage(portal, account, school["id"], academic_year=last_year)["total"] == 0

    path = f"/api/organizations/{school['id']}/legacy-vouchers"
    assert error_of(portal.get(path, stranger.headers), 404)["code"] == "organization_not_found"
    assert "status" in error_of(portal.get(path, account.headers,
                                           params={"status": "lost"}), 400)["fields"]
    assert portal.has_route("get", "/api/organizations/{org_id}/legacy-vouchers")


def test_legacy_codes_of_an_organization_that_does_not_exist_are_refused(portal, system_env):
    before = service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM vouchers")
    answer = portal.import_legacy_vouchers(999_999_999, ["OLD-UNKNOWN-ORG"])  # a valid id, no one's
    error = error_of(answer, 400)
    assert error["code"] == "unknown_organization"
    assert "organization_id" in error["fields"]
    assert service_db.scalar(system_env, "vouchers", "SELECT count(*) FROM vouchers") == before


@pytest.mark.parametrize("path", ["/api/voucher-redemptions", "/api/admin/legacy-vouchers"])
def test_new_routes_are_published_in_openapi(portal, path):
    assert portal.has_route("post", path)
