"""Exam results coming in from the testing system.

`check_result` is the rule book for one reported row: plain, no I/O. `record_results`
stores a whole batch in one unit of work with a handful of statements, whatever its size:
every lookup is one `IN (...)` query for the batch, every write one multi-row insert. Good
rows are stored even when others are rejected; a `result_id` already stored is accepted
and changes nothing; each voucher-funded row stored announces `exam_recorded`.
"""
import re
from datetime import date, datetime

from sqlalchemy import select

from services.common.academic_year import AcademicYear
from services.common.bulk_insert import insert_new_rows
from services.common.validation import PRINTABLE
from services.scores import parking
from services.scores.models import ExamResult, Organization, ScoreViewer, VoucherRedemption

MAX_BATCH = 1000
# the notice that an organization's scores changed, for the gateways' kept score lists
SCORES_CHANGED = "scores_changed"
EXAM_RECORDED = "exam_recorded"  # packed: vouchers and billing take it in batches
MIN_SCORE, MAX_SCORE = 20, 80
PASSING_SCORE = 50
DELIVERY_MODES = ("test_center", "remote")
FIRST_TEST_DATE = date(2000, 7, 1)  # the oldest academic year the portal can name

_RESULT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_VOUCHER = re.compile(r"[A-Z0-9]{4,40}")
_CROCKFORD_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_STUDENT_FIELDS = (("id", 64), ("first_name", 100), ("last_name", 100), ("email", 254))


def passed(score):
    return score >= PASSING_SCORE


def academic_year_of(test_date):
    return str(AcademicYear.containing(test_date))


class Rejected(Exception):
    """A reported row that cannot be stored: a snake_case code, a sentence, the fields."""

    def __init__(self, code, reason, fields=None):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
        self.fields = fields or {}


def _printable(value, max_length):
    """The portal's own rule (a name a redemption accepted is accepted here), not blank."""
    return (isinstance(value, str) and 0 < len(value.strip()) <= max_length
            and PRINTABLE.fullmatch(value) is not None)


def _identifier(value, max_length=64):
    """Ids of other systems arrive as strings or whole numbers; kept as text."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if _printable(value, max_length):
        return value.strip()
    return None


def parse_result_id(value):
    text = _identifier(value) if isinstance(value, int) else value
    return text if isinstance(text, str) and _RESULT_ID.fullmatch(text) else None


def parse_test_date(value, zone):
    """A date (`2026-10-15`), or a moment with its offset, read as a date in program time."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:  # a moment without an offset names no day anywhere in particular
        return None
    return moment.astimezone(zone).date()


def voucher_candidates(value):
    """The canonical forms a typed voucher code may stand for (empty when it is no code).

    Portal codes are 16 Crockford symbols, where O means 0 and I or L mean 1; legacy codes
    keep their own symbols. Both lose case, spaces and dashes.
    """
    if not isinstance(value, str) or len(value) > 64:
        return ()
    stripped = "".join(value.split()).replace("-", "").upper()
    if not stripped.isascii() or not _VOUCHER.fullmatch(stripped):
        return ()
    crockford = stripped.translate(_CROCKFORD_CONFUSIONS)
    return (stripped,) if len(stripped) != 16 or crockford == stripped else (stripped, crockford)


def check_result(row, today, zone):
    """One reported row, checked on its own: the clean result, or `Rejected`.

    What needs the database (known vouchers and institutions, results already stored) is
    checked for the whole batch in `record_results`.
    """
    if not isinstance(row, dict):
        raise Rejected("invalid_result", "Each result must be a JSON object.")
    problems = []  # (field, code, sentence), in the order a person would read them

    result_id = parse_result_id(row.get("result_id"))
    if result_id is None:
        problems.append(("result_id", "invalid_result_id",
                         "result_id must be 1 to 64 letters, digits, '.', '_', ':' or '-'."))

    student = row.get("student")
    student = student if isinstance(student, dict) else {}
    clean_student = {}
    for name, max_length in _STUDENT_FIELDS:
        value = _identifier(student.get(name)) if name == "id" else \
            (student.get(name).strip() if _printable(student.get(name), max_length) else None)
        if name == "email" and value is not None and "@" not in value:
            value = None
        if value is None:
            problems.append(("student." + name, "missing_student_fields",
                             "student.{} is missing or not valid.".format(name)))
        clean_student[name] = value

    exam = row.get("exam")
    if not _printable(exam, 120):
        problems.append(("exam", "invalid_exam",
                         "exam must be the exam title (1 to 120 characters)."))

    test_date = parse_test_date(row.get("test_date"), zone)
    if test_date is None or test_date < FIRST_TEST_DATE:
        problems.append(("test_date", "invalid_test_date",
                         "test_date must be a date like 2026-10-15, from 2000-07-01 on."))
    elif test_date > today:
        problems.append(("test_date", "test_date_in_future",
                         "test_date {} is in the future.".format(test_date.isoformat())))

    score = row.get("score")
    if isinstance(score, bool) or not isinstance(score, int):
        problems.append(("score", "invalid_score", "score must be a whole number from 20 to 80."))
    elif not MIN_SCORE <= score <= MAX_SCORE:
        problems.append(("score", "score_out_of_range",
                         "score {} is outside the scaled range 20 to 80.".format(score)))

    delivery_mode = row.get("delivery_mode")
    if delivery_mode not in DELIVERY_MODES:
        problems.append(("delivery_mode", "invalid_delivery_mode",
                         "delivery_mode must be test_center or remote."))

    voucher = row.get("voucher_code")
    candidates = ()
    if voucher not in (None, ""):
        candidates = voucher_candidates(voucher)
        if not candidates:
            problems.append(("voucher_code", "unknown_voucher",
                             "voucher_code is not a voucher code."))

    registration_id = row.get("registration_id")
    if registration_id not in (None, ""):
        registration_id = _identifier(registration_id)
        if registration_id is None:
            problems.append(("registration_id", "invalid_registration_id",
                             "registration_id must be text or a whole number (at most 64)."))
    else:
        registration_id = None

    institution = row.get("attending_institution_id")
    if institution is not None and (isinstance(institution, bool) or not isinstance(
            institution, int) or institution < 1):
        problems.append(("attending_institution_id", "unknown_institution",
                         "attending_institution_id must be an organization id."))

    if problems:
        fields = {}
        for field, _code, sentence in problems:
            fields.setdefault(field, []).append(sentence)
        raise Rejected(problems[0][1], " ".join(sentence for _f, _c, sentence in problems),
                       fields)
    return {"result_id": result_id, "student": clean_student, "exam": exam.strip(),
            "test_date": test_date, "score": score, "delivery_mode": delivery_mode,
            "voucher_candidates": candidates, "registration_id": registration_id,
            "attending_institution_id": institution}


def rejection(index, row, error):
    """The answer for one bad row: where it was, its result_id as sent, why."""
    result_id = row.get("result_id") if isinstance(row, dict) else None
    if isinstance(result_id, int) and not isinstance(result_id, bool):
        result_id = str(result_id)  # a number is taken as text, as in a stored result
    entry = {"index": index,
             "result_id": result_id if isinstance(result_id, str) else None,
             "code": error.code, "reason": error.reason}
    if error.fields:
        entry["fields"] = error.fields
    return entry


def record_results(store, clock, rows):
    """Store a batch of reported results; returns {"accepted", "rejected", "recorded",
    "already_recorded", "parked"}. `accepted` counts rows stored now or stored before;
    `parked` lists those waiting for their voucher's redemption (services/scores/parking.py)."""
    today, zone = clock.today(), clock.zone
    rejected, checked, first_of, repeats = [], [], {}, []
    for index, row in enumerate(rows):  # the CPU part, before the transaction
        try:
            result = check_result(row, today, zone)
        except Rejected as error:
            rejected.append(rejection(index, row, error))
            continue
        if result["result_id"] in first_of:  # sent twice in one batch: the first one counts
            repeats.append((index, row, result["result_id"]))
            continue
        first_of[result["result_id"]] = index
        checked.append((index, row, result))

    with store.transaction() as work:
        stored, known_before, parked = store_checked(work, clock, checked, rejected)
    refused = {entry["index"] for entry in rejected}
    parked_at = {entry["index"]: entry for entry in parked}
    already = known_before
    for index, row, result_id in repeats:
        if first_of[result_id] in refused:
            rejected.append(rejection(index, row, Rejected(
                "rejected_earlier_in_batch",
                "The same result_id was rejected earlier in this batch.")))
        elif first_of[result_id] in parked_at:
            parked.append(dict(parked_at[first_of[result_id]], index=index))
        else:
            already += 1
    rejected.sort(key=lambda entry: entry["index"])
    parked.sort(key=lambda entry: entry["index"])
    return {"accepted": stored + already, "rejected": rejected,
            "recorded": stored, "already_recorded": already, "parked": parked}


def store_checked(work, clock, checked, rejected, may_park=True):
    """Store checked results in the caller's unit of work; returns (stored, known before,
    parked). A result whose voucher has no redemption here yet is parked (`may_park`) or
    rejected."""
    session = work.session
    ids = [result["result_id"] for _i, _r, result in checked]
    known = set(session.scalars(select(ExamResult.result_id)
                                .where(ExamResult.result_id.in_(ids)))) if ids else set()
    fresh = [entry for entry in checked if entry[2]["result_id"] not in known]
    payers = _redemptions_for(session, [result for _i, _r, result in fresh])
    used = _vouchers_already_used(session, [found.voucher_code for found in payers.values()
                                            if isinstance(found, VoucherRedemption)])
    institutions = _known_organizations(session, {
        result["attending_institution_id"] for _i, _r, result in fresh} - {None})

    now, results, by_id, to_park = clock.now(), [], {}, []
    for index, row, result in fresh:
        try:
            redemption = payers.get(result["result_id"])
            if redemption is NOT_REDEEMED_YET and may_park:
                to_park.append((index, row, result))
                continue
            if redemption is NOT_REDEEMED_YET:
                raise Rejected("unknown_voucher", "voucher_code is not a redeemed voucher code.")
            if isinstance(redemption, Rejected):
                raise redemption
            if redemption is not None and redemption.voucher_code in used:
                raise Rejected("voucher_already_used",
                               "The voucher code already paid for another exam result.")
            institution = result["attending_institution_id"]
            if institution is not None and institution not in institutions:
                raise Rejected("unknown_institution",
                               "attending_institution_id {} is not a known organization."
                               .format(institution))
        except Rejected as error:
            rejected.append(rejection(index, row, error))
            continue
        if redemption is not None:
            used.add(redemption.voucher_code)  # a second row of this batch with it is refused
        stored = _result_row(result, redemption, now)
        results.append(stored)
        by_id[stored["result_id"]] = (index, row, stored)

    inserted = {key for (key,) in insert_new_rows(session, ExamResult.__table__, results)}
    known_now = len(known)
    if len(inserted) < len(results):  # lost a race with another batch (PostgreSQL)
        missed = [rid for rid in by_id if rid not in inserted]
        stored_meanwhile = set(session.scalars(select(ExamResult.result_id)
                                               .where(ExamResult.result_id.in_(missed))))
        for result_id in missed:
            if result_id in stored_meanwhile:
                known_now += 1
            else:
                index, row, _ = by_id[result_id]
                rejected.append(rejection(index, row, Rejected(
                    "voucher_already_used",
                    "The voucher code already paid for another exam result.")))
    new = [by_id[rid][2] for rid in by_id if rid in inserted]
    viewers = [viewer for result in new for viewer in viewers_of(result)]
    insert_new_rows(session, ScoreViewer.__table__, viewers)
    for organization_id in sorted({viewer["organization_id"] for viewer in viewers}):
        work.emit_once(SCORES_CHANGED, {"organization_id": organization_id})
    # A self-paid result concerns no other service: announcing it cost vouchers, billing
    # and the broker more than storing it cost here, for nothing.
    work.emit_many(EXAM_RECORDED, [exam_recorded(r) for r in new
                                     if r["voucher_code"] is not None])
    return len(new), known_now, parking.park(session, now, to_park)


NOT_REDEEMED_YET = object()  # a well-formed code whose redemption has not arrived yet


def _redemptions_for(session, results):
    """{result_id: VoucherRedemption | Rejected | NOT_REDEEMED_YET} for the rows that name a
    voucher (or a registration that a voucher paid for); rows paid otherwise are absent."""
    codes = {code for result in results for code in result["voucher_candidates"]}
    registrations = {result["registration_id"] for result in results} - {None}
    by_code, by_registration = {}, {}
    if codes:
        for redemption in session.scalars(select(VoucherRedemption).where(
                VoucherRedemption.voucher_code.in_(codes))
                .order_by(VoucherRedemption.received_at)):
            by_code[redemption.voucher_code] = redemption  # the latest redemption wins
    if registrations:
        for redemption in session.scalars(select(VoucherRedemption).where(
                VoucherRedemption.registration_id.in_(registrations))):
            by_registration[redemption.registration_id] = redemption
    found = {}
    for result in results:
        registration = result["registration_id"]
        if result["voucher_candidates"]:
            redemption = next((by_code[code] for code in result["voucher_candidates"]
                               if code in by_code), None)
            if redemption is None:
                found[result["result_id"]] = NOT_REDEEMED_YET
            elif registration is not None and registration != redemption.registration_id:
                found[result["result_id"]] = Rejected(
                    "registration_mismatch",
                    "registration_id does not match the registration of the voucher code.")
            else:
                found[result["result_id"]] = redemption
        elif registration in by_registration:  # paid by voucher, the code left out
            found[result["result_id"]] = by_registration[registration]
    return found


def _vouchers_already_used(session, codes):
    if not codes:
        return set()
    return set(session.scalars(select(ExamResult.voucher_code)
                               .where(ExamResult.voucher_code.in_(set(codes)))))


def _known_organizations(session, ids):
    if not ids:
        return set()
    return set(session.scalars(select(Organization.id).where(Organization.id.in_(ids))))


def _result_row(result, redemption, now):
    student = result["student"]
    return {
        "result_id": result["result_id"], "student_id": student["id"],
        "first_name": student["first_name"], "last_name": student["last_name"],
        "email": student["email"], "exam": result["exam"], "test_date": result["test_date"],
        "academic_year": academic_year_of(result["test_date"]), "score": result["score"],
        "passed": passed(result["score"]), "delivery_mode": result["delivery_mode"],
        "voucher_code": redemption.voucher_code if redemption else None,
        "voucher_code_shown": redemption.voucher_code_shown if redemption else None,
        "registration_id": redemption.registration_id if redemption else
        result["registration_id"],
        "order_id": redemption.order_id if redemption else None,
        "paid_by_organization_id": redemption.organization_id if redemption else None,
        "attending_institution_id": result["attending_institution_id"],
        "recorded_at": now,
    }


def viewers_of(result):
    """Who may see a stored result: the buyer of its voucher, the attending institution."""
    buyer, attending = result["paid_by_organization_id"], result["attending_institution_id"]
    viewers = {}
    for organization_id in (buyer, attending):
        if organization_id is not None:
            viewers[organization_id] = {
                "organization_id": organization_id, "result_id": result["result_id"],
                "academic_year": result["academic_year"], "test_date": result["test_date"],
                "as_buyer": organization_id == buyer,
                "as_attending_institution": organization_id == attending}
    return list(viewers.values())


def exam_recorded(result):
    """The `exam_recorded` payload (docs/EVENTS.md): vouchers marks the code used, billing
    bills the buyer."""
    return {"result_id": result["result_id"], "voucher_code": result["voucher_code"],
            "registration_id": registration_id_out(result["registration_id"]),
            "order_id": result["order_id"], "organization_id": result["paid_by_organization_id"],
            "attending_institution_id": result["attending_institution_id"],
            "exam": result["exam"], "test_date": result["test_date"].isoformat(),
            "delivery_mode": result["delivery_mode"], "academic_year": result["academic_year"]}


def registration_id_out(text):
    """Registration ids are kept as text; one that was a number goes back out as one."""
    if text is not None and text.isdigit() and len(text) < 19 and not (
            len(text) > 1 and text.startswith("0")):
        return int(text)
    return text
