"""Results that arrive before their voucher's redemption: parked, then recorded.

The registration system redeems a code (vouchers announces `voucher_redeemed`) before the
student can sit the exam, but that event reaches this service on its own queue and may be
late. A reported result naming a well-formed voucher code that has no redemption here yet
is parked as reported (`parked_results`) instead of refused, and answered as `parked`.
When the code's `voucher_redeemed` arrives, its parked results are recorded in the same
unit of work, exactly as if they had been reported then, and announced `exam_recorded`
(services/scores/late_redemptions.py). A parked result is kept PARKED_FOR; one whose
code is never redeemed by then is dropped (logged), since the code was most likely
mistyped. Operations see the parked results (RPC `parked_results`,
GET /api/admin/parked-results, the scores CLI's `parked`).
"""
import json
import logging
from datetime import timedelta

from sqlalchemy import delete, or_, select

from services.common.clock import as_utc
from services.common.database import insert_ignoring_duplicates
from services.scores.models import ParkedResult

log = logging.getLogger(__name__)

PARKED_FOR = timedelta(days=30)
SWEEP_SECONDS = 300


def park(session, now, entries):
    """Park (index, row, checked result) entries; returns their answers for the caller.
    A result parked before stays as it was (its first parking counts for the expiry)."""
    insert_ignoring_duplicates(session, ParkedResult.__table__, [{
        "result_id": result["result_id"],
        "voucher_code": result["voucher_candidates"][0],
        "voucher_code_alternative": (result["voucher_candidates"][1:] or [None])[0],
        "result": json.dumps(row, default=str), "parked_at": now,
        "expires_at": now + PARKED_FOR} for _index, row, result in entries])
    expiry = dict(session.execute(select(ParkedResult.result_id, ParkedResult.expires_at)
                                  .where(ParkedResult.result_id.in_(
                                      [result["result_id"] for _i, _r, result in entries]))
                                  ).all()) if entries else {}
    return [{"index": index, "result_id": result["result_id"],
             "expires_at": as_utc(expiry[result["result_id"]]).isoformat(),
             "reason": "voucher_code has no redemption here yet: the result is kept and "
                       "recorded when the redemption arrives."}
            for index, _row, result in entries]


def parked_for(session, voucher_code):
    """The results parked for this (canonical) code, oldest first."""
    return session.scalars(select(ParkedResult).where(or_(
        ParkedResult.voucher_code == voucher_code,
        ParkedResult.voucher_code_alternative == voucher_code))
        .order_by(ParkedResult.parked_at, ParkedResult.result_id)).all()


def codes_with_parked_results(session, voucher_codes):
    """Those of these (canonical) codes that results are parked for: one query."""
    if not voucher_codes:
        return set()
    codes = list(voucher_codes)
    rows = session.execute(select(ParkedResult.voucher_code,
                                  ParkedResult.voucher_code_alternative).where(or_(
        ParkedResult.voucher_code.in_(codes),
        ParkedResult.voucher_code_alternative.in_(codes)))).all()
    return {code for row in rows for code in row if code in voucher_codes}


def unpark(session, result_ids):
    if result_ids:
        session.execute(delete(ParkedResult).where(ParkedResult.result_id.in_(result_ids)))


def parked_list(session, limit=100):
    """Operations' view: the parked results, oldest first, with when each expires."""
    rows = session.scalars(select(ParkedResult).order_by(ParkedResult.parked_at,
                                                          ParkedResult.result_id)
                           .limit(limit)).all()
    return [{"result_id": row.result_id, "voucher_code": row.voucher_code,
             "parked_at": as_utc(row.parked_at).isoformat(),
             "expires_at": as_utc(row.expires_at).isoformat(),
             "result": json.loads(row.result)} for row in rows]


def drop_expired(work, now):
    """Drop the parked results whose code was not redeemed in time; returns how many."""
    session = work.session
    expired = session.scalars(select(ParkedResult).where(ParkedResult.expires_at <= now)).all()
    for row in expired:
        log.warning("parked result %s dropped: voucher code %s was not redeemed by %s",
                    row.result_id, row.voucher_code, as_utc(row.expires_at).isoformat())
    if expired:
        session.execute(delete(ParkedResult).where(
            ParkedResult.result_id.in_([row.result_id for row in expired])))
    return len(expired)
