"""Mailing a code to its student on the coordinator's request, through a real SMTP server
(aiosmtpd on loopback): one code, then a list; never on its own (giving a code out mails
nothing); once per request; recorded as `emailed_at`; nothing the coordinator typed in
the mail; a list with a code that cannot be mailed mails none."""

from tests.e2e.checks import error_of, wait_for
from tests.e2e.test_redemption import order_with_codes

TYPED = "Eve <b>http://phish.example</b>"


MAIL = True  # the system mails through this module's smtp server (tests/e2e/conftest.py)


def to(address):
    return lambda message: message["To"] == address


def test_a_code_is_mailed_once_when_asked_and_never_otherwise(portal, smtp):
    account, school, order, codes = order_with_codes(portal, quantity=3)
    org, order_id = school["id"], order["id"]
    given = portal.assign_voucher(account, org, order_id, codes[0], student_name=TYPED,
                                  student_email="eve.student@example.org")
    assert given.status_code == 200, given.text
    assert not [m for m in smtp.messages() if m["To"] == "eve.student@example.org"]

    asked = portal.post(f"/api/organizations/{org}/orders/{order_id}/vouchers/{codes[0]}/email",
                        account.headers)
    assert (asked.status_code, asked.json()) == (202, {"requested": 1}), asked.text
    [mail] = smtp.wait_for(to("eve.student@example.org"))
    body = mail.get_content()
    assert codes[0] in body
    assert "phish" not in body and "Eve" not in body and "<" not in body
    assert mail["Subject"] == "Your CLEP exam voucher code"
    wait_for(lambda: portal.voucher_usage(account, org, order_id, status="assigned")
             ["vouchers"][0]["assignment"]["emailed_at"] is not None)
    assert len([m for m in smtp.messages() if to("eve.student@example.org")(m)]) == 1

    no_email = portal.assign_voucher(account, org, order_id, codes[1], student_name="Bo")
    assert no_email.status_code == 200
    refused = portal.post(f"/api/organizations/{org}/orders/{order_id}/vouchers/{codes[1]}"
                          "/email", account.headers)
    assert error_of(refused, 409)["code"] == "voucher_not_mailable"


def test_a_list_is_mailed_whole_or_not_at_all(portal, smtp):
    account, school, order, codes = order_with_codes(portal, quantity=3)
    org, order_id = school["id"], order["id"]
    listed = portal.assign_next_vouchers(account, org, order_id, [
        {"student_name": "Ann", "student_email": "ann.list@example.org"},
        {"student_name": "Ben", "student_email": "ben.list@example.org"},
        {"student_name": "Cy"}])
    assert listed.status_code == 201, listed.text
    path = f"/api/organizations/{org}/orders/{order_id}/voucher-emails"

    refused = portal.post(path, account.headers, json={"voucher_codes": codes})
    assert [(row["row"], row["column"]) for row in error_of(refused, 400)["rows"]] == [
        (3, "voucher_code")]
    sent = portal.post(path, account.headers, json={"voucher_codes": codes[:2]})
    assert (sent.status_code, sent.json()) == (202, {"requested": 2}), sent.text
    smtp.wait_for(lambda m: m["To"].endswith(".list@example.org"), count=2)
    mails = [m for m in smtp.messages() if m["To"].endswith(".list@example.org")]
    assert sorted(m["To"] for m in mails) == ["ann.list@example.org", "ben.list@example.org"]
    assert {codes[0], codes[1]} == {line.split(": ")[1] for m in mails
                                    for line in m.get_content().splitlines()
                                    if line.startswith("Voucher code")}
