"""Legacy vouchers: codes bought before the portal, imported by operations for an
organization and a year. They keep their own format (matched ignoring case, spaces and
dashes, no check symbol) and otherwise live like any other code: one batch per import,
without an order, expiring on June 30 of its year.
"""
from sqlalchemy import select

from services.common.academic_year import academic_year_from_input
from services.common.database import insert_ignoring_duplicates
from services.common.errors import InvalidInput
from services.vouchers.changes import vouchers_changed
from services.vouchers.codes import normalize_legacy
from services.vouchers.models import Voucher, VoucherBatch

MAX_CODES = 10_000
_IN_LIST = 500  # codes per IN (...) when looking for ones already stored


def check_year(clock, academic_year):
    """Legacy codes keep working for the current year (or next year's, imported early)."""
    year = academic_year_from_input(academic_year)
    current = clock.academic_year()
    # (a closed year is always a past one: the close waits for the year's end)
    if not current <= year <= current.next():
        raise InvalidInput(fields={"academic_year": [
            "Legacy vouchers can be imported for {} or {}.".format(current, current.next())]})
    return year


def sort_codes(typed_codes):
    """(canonical codes in the order given, each once; rejected [{voucher_code, reason}];
    repeats within the request)."""
    accepted, rejected, repeated = {}, [], []
    for typed in typed_codes:
        canonical = normalize_legacy(typed) if isinstance(typed, str) else None
        if canonical is None:
            rejected.append({"voucher_code": typed, "reason":
                             "Not a voucher code: 4 to 40 letters and digits (dashes and "
                             "spaces are ignored)."})
        elif canonical in accepted:
            repeated.append(canonical)
        else:
            accepted[canonical] = typed
    return list(accepted), rejected, repeated


def import_codes(work, clock, organization_id, academic_year, typed_codes,
                 covers_remote_proctoring=False):
    """Store the new codes as one legacy batch; codes already stored are not imported again.

    Returns {"imported", "duplicates", "rejected", "batch_id"}.
    """
    session = work.session
    if not typed_codes or len(typed_codes) > MAX_CODES:
        raise InvalidInput(fields={"voucher_codes": [
            "Send 1 to {:,} codes.".format(MAX_CODES)]})
    year = check_year(clock, academic_year)
    codes, rejected, duplicates = sort_codes(typed_codes)
    stored = set()
    for start in range(0, len(codes), _IN_LIST):
        stored.update(session.scalars(select(Voucher.code).where(
            Voucher.code.in_(codes[start:start + _IN_LIST]))))
    new = [code for code in codes if code not in stored]
    duplicates.extend(code for code in codes if code in stored)
    batch_id, imported = None, 0
    if new:
        now = clock.now()
        batch = VoucherBatch(
            order_id=None, organization_id=organization_id, academic_year=str(year),
            quantity=len(new), expiration_date=year.last_day,
            covers_remote_proctoring=covers_remote_proctoring, legacy=True, chunk_count=0,
            chunks_done=0, created_at=now, completed_at=now)
        session.add(batch)
        session.flush()
        imported = insert_ignoring_duplicates(session, Voucher.__table__, [
            {"code": code, "batch_id": batch.id, "status": "unused"} for code in new])
        batch.quantity = imported  # a concurrent import may have taken some of them
        batch_id = batch.id
        vouchers_changed(work, organization_id)
    return {"imported": imported, "duplicates": duplicates, "rejected": rejected,
            "batch_id": batch_id, "academic_year": str(year),
            "expiration_date": year.last_day.isoformat()}
