"""Giving an order's codes to students: one code, the next codes to a list, or the order's
vouchers CSV uploaded with its student columns filled. Every route needs manage access to
the organization this year; the vouchers service checks the rest (services/vouchers/
assignments.py) and applies a list or a file whole or not at all."""
from marshmallow import Schema, fields, validate

from gateway.http import json_response
from gateway.routing import route
from services.common.errors import InvalidInput
from services.vouchers.code_mail import MAX_CODES as MAX_MAILS
from services.vouchers.schemas import AssignmentIn, AssignNextIn

CODE = "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers/<voucher_code>/assignment"


class AssignmentOut(Schema):
    student_name = fields.String()
    student_email = fields.String(allow_none=True)
    given_out_on = fields.Date()
    emailed_at = fields.String(allow_none=True, metadata={
        "description": "when the code was last mailed to the student; null: never"})


class VoucherCodeOut(Schema):
    voucher_code = fields.String()
    status = fields.String(metadata={
        "enum": ["unused", "redeemed", "used", "cancelled", "expired"],
        "description": "a code given to a student stays `unused` until redeemed"})
    assignment = fields.Nested(AssignmentOut, allow_none=True, metadata={
        "description": "the student the code was given to; null when not given out"})


class AssignmentsOut(Schema):
    assignments = fields.List(fields.Nested(VoucherCodeOut))


class VoucherEmailsIn(Schema):
    voucher_codes = fields.List(fields.String(), required=True,
                                validate=validate.Length(min=1, max=MAX_MAILS))


class MailRequestedOut(Schema):
    requested = fields.Integer(metadata={"description": "mails to send, one per code"})


class UploadOut(Schema):
    rows = fields.Integer(metadata={"description": "rows of codes in the file"})
    assigned = fields.Integer(metadata={"description": "codes given out or changed"})
    unchanged = fields.Integer(metadata={"description": "codes left as they were"})


def as_sent(loaded):
    """A loaded body as it crosses the broker (dates as ISO text)."""
    return {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in loaded.items()}


def csv_text(request):
    data = request.get_data(cache=False)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("invalid_csv", "The file is not UTF-8 text: save it as CSV UTF-8.",
                           fields={"file": ["Not UTF-8 text."]})


class AssignmentRoutes:
    @route("PUT", CODE, auth="session", tag="orders", body=AssignmentIn,
           response=VoucherCodeOut, errors=(400, 401, 403, 404, 409),
           summary="Give one of the order's unused codes to a student, or to another one "
                   "(409 voucher_not_assignable once it is redeemed, used or cancelled).")
    def assign_voucher(self, call, org_id, order_id, voucher_code):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.assign_voucher(org_id, order_id, voucher_code,
                                                          as_sent(call.body)))

    @route("DELETE", CODE, auth="session", tag="orders", response=VoucherCodeOut,
           errors=(401, 403, 404, 409),
           summary="Take an unused code back from its student (a code not given out stays "
                   "as it is).")
    def unassign_voucher(self, call, org_id, order_id, voucher_code):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.unassign_voucher(org_id, order_id, voucher_code))

    @route("POST", "/api/organizations/<int:org_id>/orders/<int:order_id>/voucher-assignments",
           auth="session", tag="orders", body=AssignNextIn, response=AssignmentsOut,
           status=201, errors=(400, 401, 403, 404, 409),
           summary="Give the order's next unused codes not given out yet (in code order) to "
                   "the students listed, one each; 409 not_enough_vouchers when fewer are "
                   "left (nothing is given then).")
    def assign_next_vouchers(self, call, org_id, order_id):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.assign_next_vouchers(org_id, order_id,
                                                                as_sent(call.body)), 201)

    @route("POST", CODE.replace("/assignment", "/email"), auth="session", tag="orders",
           response=MailRequestedOut, status=202, errors=(401, 403, 404, 409),
           summary="Mail the code to the student it is given to (409 voucher_not_mailable "
                   "without an email, or once redeemed); sent once per request, never "
                   "otherwise, and recorded as the assignment's emailed_at.")
    def email_voucher(self, call, org_id, order_id, voucher_code):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.email_voucher(org_id, order_id, voucher_code), 202)

    @route("POST", "/api/organizations/<int:org_id>/orders/<int:order_id>/voucher-emails",
           auth="session", tag="orders", body=VoucherEmailsIn, response=MailRequestedOut,
           status=202, errors=(400, 401, 403, 404, 409),
           summary="Mail each code listed to its student: all of them, or none (400 "
                   "invalid_rows names each code that cannot be mailed).")
    def email_vouchers(self, call, org_id, order_id):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.email_vouchers(org_id, order_id,
                                                          call.body["voucher_codes"]), 202)

    @route("POST", "/api/organizations/<int:org_id>/orders/<int:order_id>/vouchers.csv",
           auth="session", tag="orders", upload="text/csv", response=UploadOut,
           errors=(400, 401, 403, 404, 409, 413),
           summary="Upload the order's vouchers CSV with student_name, date_given_out (and "
                   "student_email) filled: every row applied or none (400 invalid_rows: its "
                   "`rows` list each {row, column, message}, the header being row 1); the "
                   "same file again changes nothing.")
    def upload_vouchers_csv(self, call, org_id, order_id):
        self._authorize(call, org_id, need="manage")
        return json_response(self.vouchers.upload_assignments(org_id, order_id,
                                                              csv_text(call.request)))
