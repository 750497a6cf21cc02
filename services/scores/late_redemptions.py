"""A redemption that arrives after its result: the parked results are recorded now.

Called with the unit of work that keeps the code's `voucher_redeemed`, so the results are
recorded (and `exam_recorded` announced) exactly once with it (services/scores/parking.py
says why results are parked). A result parked while its redemption was being kept (two
transactions at once, on PostgreSQL) is caught by the periodic sweep.
"""
import json
import logging

from sqlalchemy import or_, select

from services.scores import parking, results
from services.scores.models import ParkedResult, VoucherRedemption

log = logging.getLogger(__name__)


def record_parked_results(work, clock, voucher_code):
    """Record the results parked for `voucher_code`; returns how many were recorded. Those
    that cannot be recorded after all (the code paid for another exam already) stay
    parked, with the reason logged, until they expire."""
    parked = parking.parked_for(work.session, voucher_code)
    if not parked:
        return 0
    rows = [json.loads(entry.result) for entry in parked]
    checked, rejected = [], []
    for index, row in enumerate(rows):
        try:
            checked.append((index, row, results.check_result(row, clock.today(), clock.zone)))
        except results.Rejected as error:
            rejected.append(results.rejection(index, row, error))
    stored, _known, _parked = results.store_checked(work, clock, checked, rejected,
                                                    may_park=False)
    for refusal in rejected:
        log.warning("parked result %s still cannot be recorded: %s", refusal["result_id"],
                    refusal["reason"])
    refused = {parked[refusal["index"]].result_id for refusal in rejected}
    parking.unpark(work.session, [entry.result_id for entry in parked
                                  if entry.result_id not in refused])
    log.info("%s parked results recorded on the redemption of %s", stored, voucher_code)
    return stored


def record_parked_results_now_redeemed(work, clock):
    """The sweep: record every parked result whose code has a redemption by now."""
    codes = work.session.scalars(select(VoucherRedemption.voucher_code).join(
        ParkedResult, or_(ParkedResult.voucher_code == VoucherRedemption.voucher_code,
                          ParkedResult.voucher_code_alternative == VoucherRedemption.voucher_code))
        .distinct()).all()
    return sum(record_parked_results(work, clock, code) for code in codes)
