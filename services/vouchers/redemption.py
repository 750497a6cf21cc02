"""Redemption by the registration system: a valid, unused, unexpired code becomes a
registration ticket; the code's life after that (used, cancelled); and the throttle on
partners that keep sending codes we do not know.

The ticket must be used within six months or by June 30 of the academic year, whichever
comes first; of two registrations racing for one code, one wins.
"""
import calendar
import logging
import math
from datetime import date, timedelta

from nameko.exceptions import serialize
from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.common import correlation
from services.common.academic_year import AcademicYear
from services.common.clock import as_utc
from services.common.errors import ClepError, Conflict, Gone, NotFound, TooManyAttempts
from services.common.events import one_line
from services.vouchers.changes import vouchers_changed
from services.vouchers.codes import display_code, normalize, normalize_legacy
from services.vouchers.models import Registration, RedemptionThrottle, Voucher, VoucherBatch

log = logging.getLogger(__name__)

TICKET_MONTHS = 6
VOUCHER_REDEEMED = "voucher_redeemed"  # packed: scores and billing take it in batches
# Unknown-code answers a partner may get within one window before its unknown codes are
# answered 429. Only guesses are slowed: a code we know is always looked at, so a valid,
# unused code is redeemed even while its partner is held off (one registration system
# serves every student; some students' typos must not stop the others). Conflicts (already
# redeemed) and expired codes do not count: they were real codes.
FAILURE_LIMIT = 20
FAILURE_WINDOW = timedelta(minutes=5)


def unknown_voucher():
    return NotFound("unknown_voucher", "No voucher has this code; check it and try again.")


def already_redeemed():
    return Conflict("voucher_already_redeemed", "This voucher has already been redeemed.")


def expired():
    return Gone("voucher_expired", "This voucher has expired.")


def not_yet_valid(year):
    return Conflict("voucher_not_yet_valid",
                    "This voucher is for academic year {}, which starts on {}.".format(
                        year, year.first_day.isoformat()))


# --- dates --------------------------------------------------------------------------------


def add_months(day, months):
    """The same day `months` later; the month's last day when it is shorter (Aug 31 + 6
    months = Feb 28, or 29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def complete_by(redeemed_on, academic_year):
    """Six months after the redemption or June 30 of the academic year, whichever is first."""
    return min(add_months(redeemed_on, TICKET_MONTHS), academic_year.last_day)


def lookup_keys(text):
    """The stored forms a typed code may have, or [] when it cannot be any code.

    A portal code is normalised (case, spaces, dashes, O->0, I/L->1) and its check symbol
    verified first; a legacy code (no check symbol) only ignores case, spaces and dashes.
    """
    keys = []
    for key in (normalize(text), normalize_legacy(text)):
        if key is not None and key not in keys:
            keys.append(key)
    return keys


# --- the throttle -------------------------------------------------------------------------


def _wait(window_started_at, failures, now, allowed=FAILURE_LIMIT):
    if failures < allowed:
        return None
    until = as_utc(window_started_at) + FAILURE_WINDOW
    return math.ceil((until - now).total_seconds()) if until > now else None


_throttles = RedemptionThrottle.__table__
_THROTTLE = select(_throttles.c.window_started_at, _throttles.c.failures).where(
    _throttles.c.client == bindparam("client"))


def held_off_for(session, client, now):
    """Seconds the client must wait, or None when it may try."""
    row = session.execute(_THROTTLE, {"client": client}).first()
    return None if row is None else _wait(row.window_started_at, row.failures, now)


def record_unknown(session, client, now):
    """Count one unknown-code answer for the client; returns the seconds it must now wait
    when this answer went over the limit, else None.

    One upsert that returns the new count: concurrent failures of one client queue on its
    row, so each sees its own count and the limit holds exactly under concurrency too.
    """
    table = _throttles
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    window_over = table.c.window_started_at <= now - FAILURE_WINDOW
    statement = dialect.insert(table).values(client=client, window_started_at=now, failures=1)
    row = session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.client],
        set_={"failures": case((window_over, 1), else_=table.c.failures + 1),
              "window_started_at": case((window_over, now), else_=table.c.window_started_at)})
        .returning(table.c.window_started_at, table.c.failures)).one()
    return _wait(row.window_started_at, row.failures, now, allowed=FAILURE_LIMIT + 1)


def held_off(wait):
    return TooManyAttempts("too_many_attempts",
                           "Too many unknown voucher codes; try again later.", retry_after=wait)


# --- redeeming ----------------------------------------------------------------------------


# The hot path's statements, built once (each redemption only binds its values). Core, not
# the ORM: a redemption is a handful of small statements, and the ORM's per-call overhead
# would cost more than the database work.
_vouchers, _batches = Voucher.__table__, VoucherBatch.__table__
_registrations = Registration.__table__
_LOOKUP = (select(_vouchers.c.code, _vouchers.c.status, _batches.c.id.label("batch_id"),
                  _batches.c.order_id, _batches.c.organization_id, _batches.c.academic_year,
                  _batches.c.expiration_date, _batches.c.covers_remote_proctoring,
                  _batches.c.legacy)
           .join(_batches, _batches.c.id == _vouchers.c.batch_id)
           .where(_vouchers.c.code.in_(bindparam("keys", expanding=True))))
_CLAIM = (update(_vouchers).where(_vouchers.c.code == bindparam("claimed_code"),
                                  _vouchers.c.status == "unused")
          .values(status="redeemed"))
# The usual case in one statement: unused codes of batches that have not expired and whose
# academic year has begun (year labels sort as their first days do) are claimed outright
_CLAIM_REDEEMABLE = (
    update(_vouchers).where(
        _vouchers.c.code.in_(bindparam("codes", expanding=True)),
        _vouchers.c.status == "unused",
        _vouchers.c.batch_id.in_(select(_batches.c.id).where(
            _batches.c.expiration_date >= bindparam("today"),
            _batches.c.academic_year <= bindparam("this_year"))))
    .values(status="redeemed").returning(_vouchers.c.code, _vouchers.c.batch_id))
_BATCH_TERMS = select(_batches.c.id.label("batch_id"), _batches.c.order_id,
                      _batches.c.organization_id, _batches.c.academic_year,
                      _batches.c.covers_remote_proctoring, _batches.c.legacy).where(
    _batches.c.id == bindparam("batch_id"))
# the ids in the order of the rows inserted, however many
_TICKETS = insert(_registrations).returning(_registrations.c.id, sort_by_parameter_order=True)


def redeem_many(store, clock, redemptions):
    """`redeem` for many redemptions ({client, voucher_code, student, exam} each) in one
    unit of work; returns, in their order, {"ticket": ...} or {"error": ...} (the domain
    error as nameko serialises it) each.

    They are redeemed in the order of their codes, so two batches claiming the same codes
    take them in the same order and never wait on each other in a circle. If the unit of
    work fails anyway (a deadlock through the partner's throttle row, a lost connection),
    nothing of it stays and each is redeemed again in a unit of work of its own, exactly as
    one call each would have been.
    """
    order = sorted(range(len(redemptions)), key=lambda i: str(redemptions[i]["voucher_code"]))
    try:
        with store.transaction() as work:
            outcomes = _redeem_together(work, clock, redemptions, order)
    except Exception as failure:  # noqa: BLE001 - every redemption gets its own pass
        log.info("a batch of %s redemptions failed (%s); redeeming each on its own",
                 len(redemptions), one_line(failure))
        outcomes = {}
        for i in order:
            try:
                with store.transaction() as work:
                    outcomes[i] = _redeem_one(work, clock, redemptions[i])
            except ClepError as error:
                outcomes[i] = (None, error)
    return [{"ticket": outcomes[i][0]} if outcomes[i][1] is None
            else {"error": serialize(outcomes[i][1])} for i in range(len(redemptions))]


def _redeem_one(work, clock, one):
    own = correlation.sane(one.get("correlation_id"))
    token = correlation.bind(own, correlation.current_service()) if own else None
    try:  # its ticket's event under the id of the request it came with
        return redeem(work, clock, one["client"], one["voucher_code"], one["student"],
                      one["exam"])
    finally:
        if token is not None:
            correlation.unbind(token)


def _redeem_together(work, clock, redemptions, order):
    """{index: (ticket, error)}: the redeemable codes claimed in one statement and their
    tickets issued in another (the first of a code twice in the batch gets it); the rest
    answered one by one, as `redeem` answers them (why not, or the long way)."""
    session, now, today = work.session, clock.now(), clock.today()
    first_of = {}  # code -> the index it is claimed for
    for index in order:
        keys = lookup_keys(redemptions[index]["voucher_code"])
        if len(keys) == 1:  # (two forms of one typed code are rare: they take the long way)
            first_of.setdefault(keys[0], index)
    claimed = session.execute(_CLAIM_REDEEMABLE, {
        "codes": list(first_of), "today": today,
        "this_year": str(AcademicYear.containing(today))}).all() if first_of else []
    claims = sorted((first_of[row.code], row) for row in claimed)
    tickets = issue_tickets(work, [
        (redemptions[index], row.code, batch_terms(session, row.batch_id))
        for index, row in claims], now, today)
    outcomes = {index: (ticket, None) for (index, _row), ticket in zip(claims, tickets)}
    for index in order:
        if index not in outcomes:
            outcomes[index] = _redeem_one(work, clock, redemptions[index])
    return outcomes


def redeem(work, clock, client, typed_code, student, exam):
    """Turn a code into a registration ticket; emits `voucher_redeemed`.

    Returns (ticket, None), or (None, error) when the answer is an error: an unknown code
    is counted against the client (the partner), and that count must commit before the
    error is raised. A held-off client's unknown codes get 429 and are not counted
    (waiting it out ends the hold); its known codes are answered as always.
    """
    session = work.session
    now = clock.now()
    today = clock.today()
    keys = lookup_keys(typed_code)
    if len(keys) == 1:  # (two forms of one typed code are rare: they take the long way)
        claimed = session.execute(_CLAIM_REDEEMABLE, {
            "codes": keys, "today": today,
            "this_year": str(AcademicYear.containing(today))}).first()
        if claimed is not None:
            terms = batch_terms(session, claimed.batch_id)
            return issue_ticket(work, client, student, exam, claimed.code, terms, now,
                                today), None
    # not redeemable: find out why, for the answer
    found = None
    if keys:
        rows = session.execute(_LOOKUP, {"keys": keys}).all()
        found = min(rows, key=lambda row: keys.index(row.code), default=None)
    if found is None:
        wait = held_off_for(session, client, now)
        if wait is None:
            wait = record_unknown(session, client, now)
        return None, unknown_voucher() if wait is None else held_off(wait)
    if found.status == "expired" or (found.status == "unused" and
                                     found.expiration_date < today):
        return None, expired()
    if found.status != "unused":
        return None, already_redeemed()
    year = AcademicYear.parse(found.academic_year)
    if today < year.first_day:  # legacy codes imported ahead of their year
        return None, not_yet_valid(year)
    # The race is decided here: of any number of concurrent redemptions, one UPDATE finds
    # the code still unused (PostgreSQL re-checks the WHERE after the winner commits).
    if not session.execute(_CLAIM, {"claimed_code": found.code}).rowcount:
        return None, already_redeemed()
    return issue_ticket(work, client, student, exam, found.code, found, now, today), None


_BATCH_TERMS_SEEN = {}  # (database, batch id) -> its terms, which never change
_BATCH_TERMS_KEPT = 10_000


def batch_terms(session, batch_id):
    """Who owns a batch's codes, for which year, with what coverage (remembered: one
    order's codes are redeemed one by one, each needing the same row)."""
    key = (str(session.get_bind().url), batch_id)
    terms = _BATCH_TERMS_SEEN.get(key)
    if terms is None:
        terms = session.execute(_BATCH_TERMS, {"batch_id": batch_id}).one()
        if len(_BATCH_TERMS_SEEN) >= _BATCH_TERMS_KEPT:
            _BATCH_TERMS_SEEN.clear()
        _BATCH_TERMS_SEEN[key] = terms
    return terms


def issue_ticket(work, client, student, exam, code, terms, now, today):
    """The claimed code's registration ticket, announced as `voucher_redeemed`."""
    [ticket] = issue_tickets(work, [({"client": client, "student": student, "exam": exam},
                                     code, terms)], now, today)
    return ticket


def issue_tickets(work, claims, now, today):
    """The tickets of claimed codes, [(redemption {client, student, exam}, code, its
    batch's terms)], in one insert; each announced as `voucher_redeemed` (one outbox
    insert) and each organization's counts as changed."""
    if not claims:
        return []
    rows = []
    for redemption, code, terms in claims:
        student = redemption["student"]
        rows.append({
            "voucher_code": code, "batch_id": terms.batch_id,
            "organization_id": terms.organization_id, "academic_year": terms.academic_year,
            "student_id": student["id"], "student_name": student["name"],
            "student_email": student["email"], "exam": redemption["exam"],
            "client": redemption["client"], "redeemed_at": now,
            "complete_by": complete_by(today, AcademicYear.parse(terms.academic_year)),
            "status": "redeemed"})
    registration_ids = work.session.scalars(_TICKETS, rows).all()
    tickets, announced = [], []
    for (redemption, code, terms), row, registration_id in zip(claims, rows,
                                                                 registration_ids):
        shown = display_code(code, terms.legacy)
        announced.append({
            "registration_id": registration_id, "voucher_code": code,
            "voucher_code_shown": shown,
            "order_id": terms.order_id, "organization_id": terms.organization_id,
            "academic_year": terms.academic_year,
            "covers_remote_proctoring": terms.covers_remote_proctoring,
            "legacy": terms.legacy, "student": dict(redemption["student"]),
            "exam": redemption["exam"], "redeemed_at": now.isoformat(),
            "complete_by": row["complete_by"].isoformat()})
        tickets.append({"registration_id": registration_id, "voucher_code": shown,
                        "organization_id": terms.organization_id,
                        "academic_year": terms.academic_year,
                        "complete_by": row["complete_by"].isoformat(),
                        "exam": redemption["exam"], "redeemed_at": now.isoformat()})
    # a gathered call carries the redemptions of many requests: each event keeps its own id
    work.emit_many(VOUCHER_REDEEMED, announced, [
        redemption.get("correlation_id") for redemption, _code, _terms in claims])
    for organization_id in {row["organization_id"] for row in rows}:
        vouchers_changed(work, organization_id)
    return tickets


# --- after redemption ---------------------------------------------------------------------


def record_exams(session, now, events):
    """The testing system reported exams paid with codes (`exam_recorded` events): each
    code and its ticket are `used`.

    An exam is a fact: it wins even over a ticket the June 30 close cancelled before the
    (late) report arrived. Returns the organizations whose codes changed (none for unknown
    or repeated codes).
    """
    owner_of = {key: event.get("organization_id") for event in events
                for key in lookup_keys(event.get("voucher_code") or "")}
    if not owner_of:
        return set()
    vouchers, registrations = Voucher.__table__, Registration.__table__
    changed = session.scalars(update(vouchers).where(vouchers.c.code.in_(owner_of),
                                                     vouchers.c.status != "used")
                              .values(status="used").returning(vouchers.c.code)).all()
    session.execute(update(registrations).where(registrations.c.voucher_code.in_(owner_of),
                                                registrations.c.status != "used")
                    .values(status="used", used_at=now))
    return {owner_of[code] for code in changed}
