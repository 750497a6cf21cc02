"""Giving an order's codes to students in the portal: one code on its own page (give it
out, change the student, take it back), the next codes to a list typed one student a line,
and the downloaded CSV uploaded back with its student columns filled. The vouchers service
holds every rule (services/vouchers/assignments.py); these pages show its answers."""
from gateway.portal.forms import checked, errors_of, typed
from gateway.portal.pages import page, redirect, with_flag
from gateway.portal.render import render
from gateway.routes.assignments import as_sent
from services.common.errors import Conflict, InvalidInput
from services.vouchers.schemas import AssignmentIn

STUDENT_FIELDS = ("student_name", "student_email", "given_out_on")
STUDENT_LABELS = {"student_name": "the student's name",
                  "student_email": "the student's email address",
                  "given_out_on": "the date given out, like 2026-10-15"}
LIST_LABELS = {"students": "one student a line", "given_out_on": "the date given out"}


def students_typed(text):
    """One student a line: a name, then optionally a comma and an email."""
    students = []
    for line in text.splitlines():
        name, comma, last = line.rpartition(",")
        if comma and "@" in last:
            students.append({"student_name": name.strip(), "student_email": last.strip()})
        elif line.strip():
            students.append({"student_name": line.strip()})
    return students


def list_errors(refusal):
    """A refused list as one message on its text box, naming the line of each problem."""
    problems = []
    for name, messages in (refusal.fields or {}).items():
        parts = name.split(".")
        where = "Line {}: ".format(int(parts[1]) + 1) if parts[0] == "students" and \
            len(parts) > 2 and parts[1].isdigit() else ""
        field = "given_out_on" if parts[0] == "given_out_on" else "students"
        problems.append((field, where + " ".join(messages)))
    errors = {}
    for field, message in problems:
        errors[field] = (errors[field] + " " + message) if field in errors else message
    return errors or {"students": refusal.message}


def portal_counts(counts):
    """The API's counts as the portal shows them: its `unused` (which holds `assigned`)
    split into the codes not given out ("unused") and those given out ("assigned")."""
    counts = dict(counts)
    counts["unused"] -= counts.get("assigned", 0)
    return counts


def portal_status(voucher):
    """A code as the portal shows it: an unused code given to a student is "assigned"."""
    if voucher["status"] == "unused" and voucher.get("assignment"):
        return dict(voucher, status="assigned")
    return voucher


def api_filter(status):
    """The API's filter for the portal's: the portal's "unused" is not given out."""
    return "unassigned" if status == "unused" else status


class AssignmentPages:

    def _order_path(self, org_id, order_id):
        return "/organizations/{}/orders/{}".format(org_id, order_id)

    def _voucher_page(self, visit, org_id, order_id, voucher_code, errors=None, values=None):
        context = self._organization(visit, org_id, year_of=self._year_of_order(org_id,
                                                                                order_id))
        voucher = portal_status(self.vouchers.voucher(org_id, order_id, voucher_code))
        current = voucher["assignment"] or {}
        return render("voucher_code.html", status=400 if errors else 200, tab="orders",
                      title="Voucher code {}".format(voucher["voucher_code"]),
                      voucher=voucher, order_id=order_id, errors=errors or {},
                      values=values if values is not None else current,
                      **dict(context, year=self._year_of_order(org_id, order_id)()))

    @page("GET", "/organizations/<int:org_id>/orders/<int:order_id>/vouchers/<voucher_code>")
    def voucher_code_page(self, visit, org_id, order_id, voucher_code):
        """One code: its status, who it was given to, and the form to give it out."""
        return self._voucher_page(visit, org_id, order_id, voucher_code)

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/vouchers/<voucher_code>")
    def give_out_voucher(self, visit, org_id, order_id, voucher_code):
        values = typed(visit.form, STUDENT_FIELDS)
        self.access.authorize(visit.token, org_id, "manage")
        try:
            student = checked(AssignmentIn, values, STUDENT_LABELS)
            self.vouchers.assign_voucher(org_id, order_id, voucher_code, as_sent(student))
        except (InvalidInput, Conflict) as refusal:
            return self._voucher_page(visit, org_id, order_id, voucher_code, values=values,
                                      errors=errors_of(refusal, "student_name", STUDENT_LABELS))
        return redirect(with_flag(self._order_path(org_id, order_id) + "?status=assigned#codes",
                                  "given"))

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/vouchers/<voucher_code>"
                  "/take-back")
    def take_back_voucher(self, visit, org_id, order_id, voucher_code):
        self.access.authorize(visit.token, org_id, "manage")
        self.vouchers.unassign_voucher(org_id, order_id, voucher_code)
        return redirect(with_flag(self._order_path(org_id, order_id) + "#codes", "taken_back"))

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/vouchers/<voucher_code>"
                  "/email")
    def mail_voucher_to_student(self, visit, org_id, order_id, voucher_code):
        """Mail the code to its student: only when the coordinator asks."""
        self.access.authorize(visit.token, org_id, "manage")
        self.vouchers.email_voucher(org_id, order_id, voucher_code)
        return redirect(with_flag(self._order_path(org_id, order_id) + "#codes", "mailed"))

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/assignments")
    def give_out_to_list(self, visit, org_id, order_id):
        """Give the next unused codes to the students typed, one a line."""
        values = typed(visit.form, ("students", "given_out_on"))
        self.access.authorize(visit.token, org_id, "manage")
        request = {"students": students_typed(values.get("students", "")),
                   "given_out_on": values.get("given_out_on")}
        try:
            given = self.vouchers.assign_next_vouchers(org_id, order_id, request)
        except InvalidInput as refusal:
            return self._order_page(visit, org_id, order_id, values=values,
                                    errors=list_errors(refusal))
        except Conflict as refusal:
            return self._order_page(visit, org_id, order_id, values=values,
                                    errors={"students": refusal.message})
        done = with_flag(self._order_path(org_id, order_id) + "?status=assigned#codes", "given")
        mailed = [row["voucher_code"] for row in given["assignments"]
                  if row["assignment"]["student_email"]]
        if visit.form.get("email_codes") == "yes" and mailed:  # asked for, never by default
            self.vouchers.email_vouchers(org_id, order_id, mailed)
            done = with_flag(done, "mailed")
        return redirect(done)

    @page("POST", "/organizations/<int:org_id>/orders/<int:order_id>/vouchers-upload")
    def upload_vouchers(self, visit, org_id, order_id):
        """The downloaded CSV with its student columns filled: every row, or none."""
        self.access.authorize(visit.token, org_id, "manage")
        sent = visit.request.files.get("file")
        try:
            text = (sent.read() if sent else b"").decode("utf-8-sig")
            if not text.strip():
                raise InvalidInput("invalid_csv", "Choose the order's vouchers CSV file.")
            done = self.vouchers.upload_assignments(org_id, order_id, text)
        except UnicodeDecodeError:
            return self._order_page(visit, org_id, order_id, errors={
                "file": "The file is not UTF-8 text: save it as CSV UTF-8."})
        except InvalidInput as refusal:
            rows = (refusal.details or {}).get("rows", [])
            return self._order_page(visit, org_id, order_id, errors={"file": refusal.message},
                                    row_errors=rows)
        return redirect(with_flag(self._order_path(org_id, order_id) + "?uploaded_codes={}"
                                  .format(done["assigned"]) + "#codes", "uploaded"))
