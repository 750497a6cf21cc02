"""Giving an order's codes to students through the HTTP API, with the real services
running: by list, one by one (reassigned, taken back), by uploading the vouchers CSV
(a bad row applies nothing, the same file twice changes nothing, another order's file is
refused row by row), the usage view's `assigned` (a part of `unused`, which keeps its
meaning) with its filters and search, the summary, the CSV round trip, and who may do
it."""
import csv
import io

from tests.e2e.checks import error_of
from tests.e2e.test_redemption import order_with_codes
from tests.spreadsheet import saved_again_by_calc


def as_file(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def filled(rows, students):
    """The downloaded rows with the student columns (name, date, email) of the first ones
    filled: what a coordinator uploads back."""
    body = [row[:5] + list(student) for row, student in zip(rows[1:], students)]
    return as_file([rows[0]] + body + [row for row in rows[1 + len(students):]])


def test_codes_given_by_list_one_by_one_reassigned_and_taken_back(portal):
    account, school, order, codes = order_with_codes(portal, quantity=4)
    org, order_id = school["id"], order["id"]
    assert portal.voucher_usage(account, org, order_id)["counts"]["assigned"] == 0  # kept

    listed = portal.assign_next_vouchers(account, org, order_id, [
        {"student_name": "Ada Lovelace", "student_email": "Ada@Example.org"},
        {"student_name": "Grace Hopper"}])
    assert listed.status_code == 201, listed.text
    assert [(row["voucher_code"], row["status"], row["assignment"]["student_email"])
            for row in listed.json()["assignments"]] == [
        (codes[0], "unused", "ada@example.org"), (codes[1], "unused", None)]

    usage = portal.voucher_usage(account, org, order_id)  # read-your-writes: not the kept one
    assert usage["counts"] == {"unused": 4, "redeemed": 0, "used": 0, "cancelled": 0,
                               "expired": 0, "assigned": 2}
    assert [row["status"] for row in usage["vouchers"]] == ["unused"] * 4
    summary = portal.voucher_summary(account, org)["counts"]
    assert (summary["unused"], summary["assigned"]) == (4, 2)
    found = portal.voucher_usage(account, org, order_id, student="hopper")
    assert [row["voucher_code"] for row in found["vouchers"]] == [codes[1]]
    assert portal.voucher_usage(account, org, order_id, status="unused")["total"] == 4
    given = portal.voucher_usage(account, org, order_id, status="assigned")
    assert [row["voucher_code"] for row in given["vouchers"]] == codes[:2]
    left = portal.voucher_usage(account, org, order_id, status="unassigned")
    assert [row["voucher_code"] for row in left["vouchers"]] == codes[2:]

    again = portal.assign_voucher(account, org, order_id, codes[1], student_name="Alan Turing",
                                  given_out_on="2026-07-01")
    assert again.status_code == 200, again.text
    assert again.json()["assignment"] == {"student_name": "Alan Turing", "student_email": None,
                                          "given_out_on": "2026-07-01", "emailed_at": None}
    taken = portal.unassign_voucher(account, org, order_id, codes[1])
    assert (taken.status_code, taken.json()["status"]) == (200, "unused"), taken.text
    assert portal.voucher_usage(account, org, order_id)["counts"]["assigned"] == 1

    too_many = portal.assign_next_vouchers(account, org, order_id, [
        {"student_name": "S{}".format(n)} for n in range(4)])
    assert error_of(too_many, 409)["code"] == "not_enough_vouchers"
    bad = portal.assign_voucher(account, org, order_id, codes[2], student_name="Bo",
                                student_email="bo@localhost")
    assert list(error_of(bad, 400)["fields"]) == ["student_email"]

    assert portal.redeem_voucher(codes[0]).status_code == 201
    locked = portal.assign_voucher(account, org, order_id, codes[0], student_name="Someone")
    assert error_of(locked, 409)["code"] == "voucher_not_assignable"
    assert error_of(portal.unassign_voucher(account, org, order_id, codes[0]), 409)
    redeemed = portal.voucher_usage(account, org, order_id, status="redeemed")["vouchers"]
    assert redeemed[0]["assignment"]["student_name"] == "Ada Lovelace"


def test_an_upload_applies_every_row_or_none_and_round_trips(portal):
    account, school, order, codes = order_with_codes(portal, quantity=3)
    org, order_id = school["id"], order["id"]
    rows = portal.vouchers_csv(account, org, order_id)
    assert rows[0][-3:] == ["student_name", "date_given_out", "student_email"]

    bad = filled(rows, [("Ada Lovelace", "10/14/2026", "ada@example.org"),
                        ("", "2026-10-01", ""), ("Grace", "someday", "")])
    refused = error_of(portal.upload_vouchers_csv(account, org, order_id, bad), 400)
    assert refused["code"] == "invalid_rows"
    assert [(row["row"], row["column"]) for row in refused["rows"]] == [
        (3, "student_name"), (4, "date_given_out")]
    assert portal.voucher_usage(account, org, order_id)["counts"]["assigned"] == 0

    good = filled(rows, [("Ada Lovelace", "10/14/2026", "ada@example.org"),
                         ("=HYPERLINK(\"x\")", "", "")])
    applied = portal.upload_vouchers_csv(account, org, order_id, good)
    assert applied.json() == {"rows": 3, "assigned": 2, "unchanged": 1}, applied.text
    twice = portal.upload_vouchers_csv(account, org, order_id, good)
    assert twice.json() == {"rows": 3, "assigned": 0, "unchanged": 3}, twice.text

    again = portal.vouchers_csv(account, org, order_id)  # download, fill, upload, download
    # the status column keeps its values: the student columns say who has the code
    assert again[1][4:] == ["unused", "Ada Lovelace", "2026-10-14", "ada@example.org"]
    assert again[2][4:6] == ["unused", "'=HYPERLINK(\"x\")"]  # never a formula
    assert again[3][4:] == ["unused", "", "", ""]
    assert portal.upload_vouchers_csv(account, org, order_id,
                                      as_file(again)).json()["assigned"] == 0

    named = portal.assign_voucher(account, org, order_id, codes[2], student_name="'Iolani")
    assert named.status_code == 200, named.text
    third = portal.vouchers_csv(account, org, order_id)
    assert third[3][5] == "''Iolani"  # one apostrophe is the marker the upload drops
    assert portal.upload_vouchers_csv(account, org, order_id,
                                      as_file(third)).json()["assigned"] == 0
    kept = portal.voucher_usage(account, org, order_id, student="iolani")["vouchers"]
    assert kept[0]["assignment"]["student_name"] == "'Iolani"

    _, _, _, others = order_with_codes(portal, quantity=2)
    foreign = as_file([rows[0]] + [[code, 1, "", "", "", "Bob", "", ""] for code in others])
    refused = error_of(portal.upload_vouchers_csv(account, org, order_id, foreign), 400)
    assert [(row["row"], row["message"]) for row in refused["rows"]] == [
        (2, "Not a code of order {}.".format(order_id)),
        (3, "Not a code of order {}.".format(order_id))]
    headless = portal.upload_vouchers_csv(account, org, order_id, "a,b\r\n1,2\r\n")
    assert error_of(headless, 400)["code"] == "invalid_csv"
    binary = portal.upload_vouchers_csv(account, org, order_id, "")
    assert error_of(binary, 400)["code"] == "invalid_csv"


def test_only_a_coordinator_with_manage_access_gives_codes_out(portal):
    account, school, order, codes = order_with_codes(portal, quantity=1)
    stranger, elsewhere = portal.coordinator_of()
    org, order_id = school["id"], order["id"]
    answers = [
        portal.assign_voucher(stranger, org, order_id, codes[0], student_name="Ada"),
        portal.unassign_voucher(stranger, org, order_id, codes[0]),
        portal.assign_next_vouchers(stranger, org, order_id, [{"student_name": "Ada"}]),
        portal.upload_vouchers_csv(stranger, org, order_id, "voucher_code\r\n"),
    ]
    assert [error_of(answer, 404)["code"] for answer in answers] == [
        "organization_not_found"] * 4
    other_order = portal.assign_voucher(account, elsewhere["id"], order_id, codes[0],
                                        student_name="Ada")
    assert error_of(other_order, 404)["code"] == "organization_not_found"
    unsigned = portal.put(f"/api/organizations/{org}/orders/{order_id}/vouchers/{codes[0]}"
                          "/assignment", json={"student_name": "Ada"})
    assert error_of(unsigned, 401)["code"] == "not_authenticated"
    assert portal.voucher_usage(account, org, order_id)["counts"]["assigned"] == 0


def test_a_district_reads_its_schools_codes_and_gives_none_out(portal):
    portal.set_fees()
    district = portal.register_organization(kind="district")
    school = portal.register_organization(district_id=district["id"])
    school_coordinator, _ = portal.coordinator_of(school)
    order = portal.place_order(school_coordinator, school["id"], quantity=2).json()
    portal.wait_until_fulfilled(school_coordinator, school["id"], order["id"])
    code = portal.voucher_codes(school_coordinator, school["id"], order["id"])[0]
    reader, _ = portal.coordinator_of(district)
    org, order_id = school["id"], order["id"]
    answers = [
        portal.assign_voucher(reader, org, order_id, code, student_name="Ada"),
        portal.unassign_voucher(reader, org, order_id, code),
        portal.assign_next_vouchers(reader, org, order_id, [{"student_name": "Ada"}]),
        portal.upload_vouchers_csv(reader, org, order_id, "voucher_code\r\n"),
        portal.post(f"/api/organizations/{org}/orders/{order_id}/voucher-emails",
                    reader.headers, json={"voucher_codes": [code]}),
    ]
    assert [error_of(answer, 403)["code"] for answer in answers] == ["read_only_access"] * 5
    assert portal.voucher_usage(reader, org, order_id)["counts"]["unused"] == 2


def test_a_file_saved_again_by_a_spreadsheet_uploads(portal, tmp_path):
    """The coordinator's way: the download filled in, opened in LibreOffice Calc and saved
    as CSV again (its dates and the download's text markers as Calc writes them)."""
    account, school, order, codes = order_with_codes(portal, quantity=2)
    org, order_id = school["id"], order["id"]
    formula_like = portal.assign_voucher(account, org, order_id, codes[1],
                                         student_name="=Grace", given_out_on="2026-10-01")
    assert formula_like.status_code == 200, formula_like.text
    rows = portal.vouchers_csv(account, org, order_id)
    assert rows[2][5] == "'=Grace"
    filled_in = filled(rows, [("Ada Lovelace", "10/14/2026", "ada@example.org")])
    resaved = saved_again_by_calc(filled_in.encode("utf-8"), tmp_path).decode("utf-8")
    applied = portal.upload_vouchers_csv(account, org, order_id, resaved)
    assert applied.json() == {"rows": 2, "assigned": 1, "unchanged": 1}, applied.text
    again = portal.vouchers_csv(account, org, order_id)
    assert again[1][4:] == ["unused", "Ada Lovelace", "2026-10-14", "ada@example.org"]
    assert again[2][4:] == ["unused", "'=Grace", "2026-10-01", ""]
