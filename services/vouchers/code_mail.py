"""Mailing a code to the student it was given to, when the coordinator asks: never on its
own (an order never mails codes), at most once per request, recorded on the code.

A request checks every code named (given out, with an email, still unused) and, in the
same unit of work, writes one `voucher_email_requested` event per code; this service's own
handler of that event mails it after the commit, so SMTP never holds a request or a
transaction. The handler records the event as handled before it sends: a crash or a
redelivery can lose the mail (it is logged), never send it twice.

The mail holds nothing anybody typed: no student name (a coordinator typed it, and mail
clients turn text that looks like an address into a link), only the code, its expiration
and the program's own words. The address it goes to was checked when it was recorded.
"""
from sqlalchemy import select

from services.common.errors import Conflict, InvalidInput, NotFound
from services.vouchers.assignments import RowErrors, _locked_batch
from services.vouchers.codes import display_code, normalize
from services.vouchers.listing import past_expiration
from services.vouchers.models import Voucher, VoucherAssignment, VoucherBatch

VOUCHER_EMAIL_REQUESTED = "voucher_email_requested"
MAX_CODES = 1000  # one request's mails


def _problem(status, assignment, expired):
    if assignment is None:
        return "This code is not given to a student."
    if not assignment.student_email:
        return "No email is recorded for this code's student."
    if status != "unused" or expired:
        return "This code is {}: it is not mailed.".format("expired" if expired and
                                                           status == "unused" else status)
    return None


def request_mail(work, clock, organization_id, order_id, typed_codes):
    """Ask for each code to be mailed to its student: all of them, or none (400
    `invalid_rows`, each problem by its place in the list). Returns {"requested": n}."""
    if not isinstance(typed_codes, list) or not 1 <= len(typed_codes) <= MAX_CODES:
        raise InvalidInput(fields={"voucher_codes": ["Name 1 to {:,} codes.".format(MAX_CODES)]})
    session = work.session
    batch = _locked_batch(session, organization_id, order_id)
    expired = past_expiration(batch, clock.today())
    errors, codes = RowErrors(), {}
    for row, typed in enumerate(typed_codes, start=1):
        code = normalize(typed) if isinstance(typed, str) else None
        if code is None or code in codes:
            errors.add(row, "voucher_code", "Not a voucher code." if code is None
                       else "This code is in the list already.")
        else:
            codes[code] = row
    found = dict(session.execute(select(Voucher.code, Voucher.status).where(
        Voucher.batch_id == batch.id, Voucher.code.in_(list(codes)))).all()) if codes else {}
    given = {row.voucher_code: row for row in session.scalars(select(VoucherAssignment).where(
        VoucherAssignment.voucher_code.in_(list(found))))} if found else {}
    for code, row in codes.items():
        problem = "Not a code of order {}.".format(order_id) if code not in found else \
            _problem(found[code], given.get(code), expired)
        if problem:
            errors.add(row, "voucher_code", problem)
    errors.raise_any("codes")
    for code in codes:
        work.emit(VOUCHER_EMAIL_REQUESTED, {
            "voucher_code": code, "organization_id": organization_id, "order_id": order_id,
            "student_email": given[code].student_email})
    return {"requested": len(codes)}


def request_one(work, clock, organization_id, order_id, voucher_code):
    """`request_mail` of one code, refused as a single change is (404, 409)."""
    try:
        return request_mail(work, clock, organization_id, order_id, [voucher_code])
    except InvalidInput as invalid:
        message = invalid.details["rows"][0]["message"]
        if message.startswith("Not a"):
            raise NotFound("voucher_not_found", "No such code in this order.")
        raise Conflict("voucher_not_mailable", message)


def mail_of(session, clock, event):
    """(to, subject, body) for a requested mail, or None when the code has since been taken
    back, given to another address, or redeemed: the student asked for is no longer its."""
    row = session.execute(
        select(Voucher.status, VoucherAssignment.student_email, VoucherBatch)
        .join(VoucherAssignment, VoucherAssignment.voucher_code == Voucher.code)
        .join(VoucherBatch, VoucherBatch.id == Voucher.batch_id)
        .where(Voucher.code == event["voucher_code"])).one_or_none()
    if row is None or row.status != "unused" or row.student_email != event["student_email"] \
            or past_expiration(row.VoucherBatch, clock.today()):
        return None
    batch = row.VoucherBatch
    body = "\n".join([
        "Your CLEP coordinator has given you a voucher for one CLEP exam.",
        "",
        "Voucher code: {}".format(display_code(event["voucher_code"], batch.legacy)),
        "Use it by: {}".format(batch.expiration_date.strftime("%B %-d, %Y")),
        "Remote proctoring covered: {}".format("yes" if batch.covers_remote_proctoring
                                               else "no"),
        "",
        "Enter the code when you register for your exam. It can be used once, by you only;",
        "keep it private. Questions about the voucher go to your CLEP coordinator.",
    ])
    return event["student_email"], "Your CLEP exam voucher code", body


def record_mailed(work, clock, event):
    """The code was mailed to the address it is still given to: note when."""
    assignment = work.session.get(VoucherAssignment, event["voucher_code"])
    if assignment is not None and assignment.student_email == event["student_email"]:
        assignment.emailed_at = clock.now()
