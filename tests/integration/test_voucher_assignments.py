"""Giving codes to students through the vouchers service's RPCs, in a real container on
SQLite and PostgreSQL: one code, the next codes to a list, an uploaded CSV (whole or not
at all, the same file twice changing nothing), the usage view's `assigned` (a part of
`unused`: a code given out stays unused), the
gateways' notice `vouchers_changed` for each change and none for a change of nothing, and
a code mailed to its student on request (a real SMTP server), once per request."""
import csv
import io

import pytest
from services.common.errors import Conflict, InvalidInput
from services.vouchers.service import VouchersService
from tests.integration.test_vouchers_generation import ORGANIZATION_ID, order_placed
from tests.mail import SmtpServer

ORDER = 611


@pytest.fixture
def service(start_service, listen, dispatch):
    """A vouchers process with order 611's 5 codes made; returns the notices heard."""
    generated = listen("vouchers", "vouchers_generated", name="generated")
    start_service(VouchersService)
    dispatch("orders", "order_placed", order_placed(ORDER, 5))
    generated.wait("vouchers_generated", 1, timeout=20)
    return listen("vouchers", "vouchers_changed", name="notices")


def download(rpc):
    return rpc.vouchers.csv_page(ORGANIZATION_ID, ORDER)


def test_codes_given_one_by_one_and_to_a_list(service, rpc, stays):
    codes = download(rpc)["codes"]
    one = rpc.vouchers.assign_voucher(ORGANIZATION_ID, ORDER, codes[4].lower(), {
        "student_name": "Ada Lovelace", "student_email": "ada@example.org"})
    assert (one["voucher_code"], one["status"]) == (codes[4], "unused")
    assert one["assignment"]["student_name"] == "Ada Lovelace"
    listed = rpc.vouchers.assign_next_vouchers(ORGANIZATION_ID, ORDER, {"students": [
        {"student_name": "Grace Hopper"}, {"student_name": "Alan Turing"}],
        "given_out_on": "2026-10-01"})
    assert [row["voucher_code"] for row in listed["assignments"]] == codes[:2]

    usage = rpc.vouchers.usage(ORGANIZATION_ID, ORDER, "assigned")
    assert usage["counts"]["assigned"] == 3 and usage["counts"]["unused"] == 5
    assert usage["total"] == 3 and {row["status"] for row in usage["vouchers"]} == {"unused"}
    rest = rpc.vouchers.usage(ORGANIZATION_ID, ORDER, "unassigned")
    assert [row["voucher_code"] for row in rest["vouchers"]] == codes[2:4]
    assert [row["assignment"]["student_name"] for row in usage["vouchers"]] == [
        "Grace Hopper", "Alan Turing", "Ada Lovelace"]
    assert rpc.vouchers.usage(ORGANIZATION_ID, ORDER, None, 1, 100, "grace")["total"] == 1

    with pytest.raises(Conflict) as refused:  # 3 more students, 2 codes left: none given
        rpc.vouchers.assign_next_vouchers(ORGANIZATION_ID, ORDER, {"students": [
            {"student_name": "S{}".format(n)} for n in range(3)]})
    assert refused.value.code == "not_enough_vouchers"
    assert rpc.vouchers.usage(ORGANIZATION_ID, ORDER)["counts"]["assigned"] == 3

    taken = rpc.vouchers.unassign_voucher(ORGANIZATION_ID, ORDER, codes[0])
    assert (taken["status"], taken["assignment"]) == ("unused", None)
    service.wait("vouchers_changed", 3)
    assert {event["organization_id"] for event in service["vouchers_changed"]} == {
        ORGANIZATION_ID}


def filled_file(rpc, students):
    """The order's CSV as the gateway writes it, with these (name, day, email) filled."""
    page = download(rpc)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["voucher_code", "order_id", "expiration_date",
                     "remote_proctoring_covered", "status", "student_name", "date_given_out",
                     "student_email"])
    for code, status, student in zip(page["codes"], page["statuses"], students):
        writer.writerow([code, ORDER, page["expiration_date"], "yes", status, *student])
    return out.getvalue()


def test_an_uploaded_file_is_applied_whole_once(service, rpc, stays):
    good = filled_file(rpc, [("Ada Lovelace", "10/14/2026", "ada@example.org"),
                             ("", "", ""), ("Grace Hopper", "", "")])
    bad = filled_file(rpc, [("Alan Turing", "", ""), ("Bob", "", "bob@localhost")])
    with pytest.raises(InvalidInput) as refused:
        rpc.vouchers.upload_assignments(ORGANIZATION_ID, ORDER, bad)
    assert refused.value.details["rows"] == [
        {"row": 3, "column": "student_email", "message": "Not a valid email address."}]
    assert rpc.vouchers.usage(ORGANIZATION_ID, ORDER)["counts"]["assigned"] == 0

    assert rpc.vouchers.upload_assignments(ORGANIZATION_ID, ORDER, good) == {
        "assigned": 2, "unchanged": 1, "rows": 3}
    service.wait("vouchers_changed", 1)
    assert rpc.vouchers.upload_assignments(ORGANIZATION_ID, ORDER, good) == {
        "assigned": 0, "unchanged": 3, "rows": 3}
    assert stays(lambda: service.count("vouchers_changed") == 1, duration=1.0)

    page = download(rpc)
    assert page["statuses"][:3] == ["unused", "unused", "unused"]  # the column keeps its values
    assert page["students"][0] == ["Ada Lovelace", "2026-10-14", "ada@example.org"]


def test_a_code_is_mailed_once_per_request_even_when_its_event_comes_again(
        start_service, listen, dispatch, rpc, stays, wait_for, stores):
    with SmtpServer() as smtp:
        generated = listen("vouchers", "vouchers_generated", name="generated")
        requested = listen("vouchers", "voucher_email_requested", name="mail_requests")
        start_service(VouchersService, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port)
        dispatch("orders", "order_placed", order_placed(ORDER, 2))
        generated.wait("vouchers_generated", 1, timeout=20)
        code = download(rpc)["codes"][0]
        rpc.vouchers.assign_voucher(ORGANIZATION_ID, ORDER, code, {
            "student_name": "Ada", "student_email": "ada@example.org"})
        assert rpc.vouchers.email_vouchers(ORGANIZATION_ID, ORDER, [code]) == {"requested": 1}
        [mail] = smtp.wait_for(lambda message: message["To"] == "ada@example.org")
        assert code in mail.get_content()
        wait_for(lambda: rpc.vouchers.voucher(ORGANIZATION_ID, ORDER, code)
                 ["assignment"]["emailed_at"] is not None)

        dispatch("vouchers", "voucher_email_requested", requested.wait(
            "voucher_email_requested")[0])  # the same request delivered again
        assert stays(lambda: len(smtp.messages()) == 1, duration=1.5)
        assert rpc.vouchers.email_voucher(ORGANIZATION_ID, ORDER, code) == {"requested": 1}
        smtp.wait_for(lambda message: message["To"] == "ada@example.org", count=2)


def test_lists_given_at_once_never_share_a_code(start_service, listen, dispatch, rpc):
    generated = listen("vouchers", "vouchers_generated", name="generated")
    start_service(VouchersService)
    dispatch("orders", "order_placed", order_placed(ORDER, 12))
    generated.wait("vouchers_generated", 1, timeout=20)
    calls = [rpc.vouchers.assign_next_vouchers.call_async(ORGANIZATION_ID, ORDER, {
        "students": [{"student_name": "S{}-{}".format(call, n)} for n in range(2)]})
        for call in range(6)]  # at once, on as many workers
    given = [row["voucher_code"] for call in calls for row in call.result()["assignments"]]
    assert len(given) == len(set(given)) == 12
    assert rpc.vouchers.usage(ORGANIZATION_ID, ORDER)["counts"]["assigned"] == 12
