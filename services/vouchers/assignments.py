"""Giving an order's codes out to students: who received each code and when.

A code can be given out, given to someone else, or taken back while it is unused; once
redeemed, used or cancelled its student is history and stays as recorded. Every change is
one unit of work: a list of assignments (the API, the portal, an uploaded CSV) is applied
whole or not at all, and one already recorded changes nothing.
"""
from sqlalchemy import delete, exists, select

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.validation import load
from services.vouchers.changes import vouchers_changed
from services.vouchers.codes import display_code, normalize
from services.vouchers.listing import batch_of_order, past_expiration, shown_status
from services.vouchers.models import Voucher, VoucherAssignment, VoucherBatch
from services.vouchers.schemas import AssignmentIn, AssignNextIn

_IN_LIST = 500  # codes per IN (...)
KEEP = object()  # an assignment that does not say the email: keep the student's own


class RowErrors:
    """The problems of a list of assignments, each with its row and column, refused
    together: nothing of the list is applied."""

    def __init__(self, columns=None):
        self.rows = []
        self.columns = columns or {}  # a field's name where the input calls it otherwise

    def add(self, row, column, message):
        self.rows.append({"row": row, "column": self.columns.get(column, column),
                          "message": message})

    def raise_any(self, what):
        if self.rows:
            self.rows.sort(key=lambda error: error["row"])
            raise InvalidInput("invalid_rows", "{} of the {} cannot be applied; nothing was "
                               "changed.".format(_rows(len(self.rows)), what),
                               details={"rows": self.rows})


def _rows(count):
    return "1 row" if count == 1 else "{:,} rows".format(count)


def _locked_batch(session, organization_id, order_id):
    """The order's batch, locked (PostgreSQL) so that an order's assignments change one
    unit of work at a time: "the next N codes" of two at once are never the same codes."""
    batch = batch_of_order(session, organization_id, order_id)
    session.execute(select(VoucherBatch.id).where(VoucherBatch.id == batch.id)
                    .with_for_update())
    return batch


def _statuses(session, batch, codes):
    """{code: status} of the batch's codes among `codes`, locked: a redemption racing an
    assignment waits for it (or is seen by it), so a redeemed code is never given out."""
    found = {}
    for start in range(0, len(codes), _IN_LIST):
        found.update(session.execute(
            select(Voucher.code, Voucher.status).where(
                Voucher.batch_id == batch.id, Voucher.code.in_(codes[start:start + _IN_LIST]))
            .with_for_update()).all())
    return found


def _assignments(session, codes):
    found = {}
    for start in range(0, len(codes), _IN_LIST):
        found.update((row.voucher_code, row) for row in session.scalars(
            select(VoucherAssignment).where(
                VoucherAssignment.voucher_code.in_(codes[start:start + _IN_LIST]))))
    return found


def shown(assignment):
    """An assignment as the API shows it, or None."""
    if assignment is None:
        return None
    return {"student_name": assignment.student_name,
            "student_email": assignment.student_email,
            "given_out_on": assignment.given_out_on.isoformat(),
            "emailed_at": emailed(assignment.emailed_at)}


def emailed(moment):
    """When the code was last mailed to its student, as ISO text (None: never)."""
    return moment.isoformat() if moment is not None else None


def _same(existing, wanted):
    return (existing is not None and existing.student_name == wanted["student_name"]
            and (wanted["student_email"] is KEEP
                 or existing.student_email == wanted["student_email"])
            and wanted["given_out_on"] in (None, existing.given_out_on))


def _problem(status, expired, existing, wanted):
    """Why the code cannot be given as `wanted` (None: it can, or it already is)."""
    if _same(existing, wanted):
        return None
    if status == "unused" and expired:
        status = "expired"
    if status != "unused":
        return "This code is {}: who it was given to can no longer change.".format(status)
    return None


def _check_day(errors, row, wanted, today):
    given = wanted.get("given_out_on")
    if given is not None and given > today:
        errors.add(row, "given_out_on", "The day given out cannot be after today.")


def apply(work, clock, organization_id, order_id, items, what="assignments", errors=None):
    """Give codes to students: `items` are {row, voucher_code, student_name (None: only
    check that the code is the order's), student_email (KEEP: the email recorded for the
    same student), given_out_on (date or None)}, checked by the caller's schema.
    Everything or nothing: any problem (or one in `errors` already) raises InvalidInput
    `invalid_rows` listing each {row, column, message}.

    Returns {"assigned": codes newly given or changed, "unchanged": codes already so}.
    """
    session, today = work.session, clock.today()
    batch = _locked_batch(session, organization_id, order_id)
    errors, wanted_by_code = errors or RowErrors(), {}
    for item in items:
        code = normalize(item["voucher_code"])
        if code is None:
            errors.add(item["row"], "voucher_code", "Not a voucher code.")
        elif code in wanted_by_code:
            errors.add(item["row"], "voucher_code", "This code is in row {} already.".format(
                wanted_by_code[code]["row"]))
        else:
            wanted_by_code[code] = item
            _check_day(errors, item["row"], item, today)
    codes = list(wanted_by_code)
    statuses, existing = _statuses(session, batch, codes), _assignments(session, codes)
    expired = past_expiration(batch, today)
    for code, wanted in wanted_by_code.items():
        if code not in statuses:
            errors.add(wanted["row"], "voucher_code", "Not a code of order {}.".format(order_id))
            continue
        if wanted["student_name"] is None:
            continue
        problem = _problem(statuses[code], expired, existing.get(code), wanted)
        if problem:
            errors.add(wanted["row"], "voucher_code", problem)
    errors.raise_any(what)
    changed = [code for code, wanted in wanted_by_code.items()
               if wanted["student_name"] is not None and not _same(existing.get(code), wanted)]
    for code in changed:
        _record(session, clock, batch, code, existing.get(code), wanted_by_code[code])
    if changed:
        vouchers_changed(work, organization_id)
    return {"assigned": len(changed), "unchanged": len(codes) - len(changed),
            "rows": len(items)}


def _record(session, clock, batch, code, existing, wanted):
    if existing is None:
        existing = VoucherAssignment(voucher_code=code, batch_id=batch.id)
        session.add(existing)
    email = wanted["student_email"]
    if email is KEEP:  # the file had no email column: a new student has none on record
        email = existing.student_email if existing.student_name == wanted["student_name"] \
            else None
    existing.given_out_on = wanted["given_out_on"] or (
        existing.given_out_on if existing.student_name == wanted["student_name"]
        else clock.today())
    if (existing.student_name, existing.student_email) != (wanted["student_name"], email):
        existing.emailed_at = None  # mailed to the student before, not to this one
    existing.student_name, existing.student_email = wanted["student_name"], email
    existing.assigned_at = clock.now()


def assign_one(work, clock, organization_id, order_id, voucher_code, student):
    """Give one code to a student ({student_name, student_email, given_out_on}); returns
    the code's assignment. Refusals name the field, as any single change's do."""
    wanted = dict(load(AssignmentIn, student), row=1, voucher_code=voucher_code)
    try:
        apply(work, clock, organization_id, order_id, [wanted], "assignment")
    except InvalidInput as invalid:
        raise _single(invalid.details["rows"][0])
    return code_assignment(work.session, clock, organization_id, order_id, voucher_code)


def _single(problem):
    """A row's problem as the refusal of a change of one code."""
    if problem["column"] != "voucher_code":
        return InvalidInput(fields={problem["column"]: [problem["message"]]})
    if problem["message"].startswith("Not a"):
        return NotFound("voucher_not_found", "No such code in this order.")
    return Conflict("voucher_not_assignable", problem["message"])


def code_assignment(session, clock, organization_id, order_id, voucher_code):
    """One code of the order: {voucher_code, status as shown (`unused` while given out:
    the assignment says to whom), assignment}."""
    batch = batch_of_order(session, organization_id, order_id)
    code = normalize(voucher_code)
    status = session.scalar(select(Voucher.status).where(
        Voucher.batch_id == batch.id, Voucher.code == code)) if code else None
    if status is None:
        raise NotFound("voucher_not_found", "No such code in this order.")
    assignment = session.get(VoucherAssignment, code)
    return {"voucher_code": display_code(code, batch.legacy),
            "status": shown_status(status, past_expiration(batch, clock.today())),
            "assignment": shown(assignment)}


def unassign(work, clock, organization_id, order_id, voucher_code):
    """Take a code back from its student, while it is unused. Taking back a code that is
    not given out changes nothing."""
    session = work.session
    batch = _locked_batch(session, organization_id, order_id)
    code = normalize(voucher_code)
    status = _statuses(session, batch, [code]).get(code) if code else None
    if status is None:
        raise NotFound("voucher_not_found", "No such code in this order.")
    status = shown_status(status, past_expiration(batch, clock.today()))
    if status != "unused" and session.get(VoucherAssignment, code) is not None:
        raise Conflict("voucher_not_assignable", "This code is {}: who it was given to can "
                       "no longer change.".format(status))
    if session.execute(delete(VoucherAssignment).where(
            VoucherAssignment.voucher_code == code)).rowcount:
        vouchers_changed(work, organization_id)
    return {"voucher_code": display_code(code, batch.legacy), "status": status,
            "assignment": None}


def assign_next(work, clock, organization_id, order_id, request):
    """Give the order's next unused codes not given out yet (in code order) to the
    students listed, one each. 409 `not_enough_vouchers` when fewer are left."""
    request = load(AssignNextIn, request)
    session, students = work.session, request["students"]
    batch = _locked_batch(session, organization_id, order_id)
    day = request["given_out_on"] or clock.today()
    if day > clock.today():
        raise InvalidInput(fields={"given_out_on": ["The day given out cannot be after today."]})
    if past_expiration(batch, clock.today()):
        raise Conflict("vouchers_expired", "The codes of this order have expired.")
    free = session.scalars(
        select(Voucher.code).where(
            Voucher.batch_id == batch.id, Voucher.status == "unused",
            ~exists().where(VoucherAssignment.voucher_code == Voucher.code))
        .order_by(Voucher.code).limit(len(students)).with_for_update()).all()
    if len(free) < len(students):
        raise Conflict("not_enough_vouchers", "Only {:,} codes of this order are unused and "
                       "not given out: {:,} students were listed.".format(len(free),
                                                                          len(students)))
    given = []
    for code, student in zip(free, students):
        session.add(VoucherAssignment(
            voucher_code=code, batch_id=batch.id, student_name=student["student_name"],
            student_email=student["student_email"], given_out_on=day,
            assigned_at=clock.now()))
        given.append({"voucher_code": display_code(code, batch.legacy), "status": "unused",
                      "assignment": {"student_name": student["student_name"],
                                     "student_email": student["student_email"],
                                     "given_out_on": day.isoformat(),
                                     "emailed_at": None}})
    vouchers_changed(work, organization_id)
    return {"assignments": given}
