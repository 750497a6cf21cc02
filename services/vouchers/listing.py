"""Reading an order's codes: pages for the CSV download and the usage view."""
from sqlalchemy import func, select

from services.common.errors import Conflict, InvalidInput, NotFound
from services.vouchers.codes import format_code
from services.vouchers.models import STATUSES, Voucher, VoucherBatch

MAX_PAGE = 5000


def batch_of_order(session, organization_id, order_id):
    batch = session.scalar(select(VoucherBatch).where(VoucherBatch.order_id == order_id))
    if batch is None or batch.organization_id != organization_id:
        raise NotFound("order_not_found", "No such order.")
    return batch


def past_expiration(batch, today):
    """Unused codes past their expiration date show as expired, before the June 30 close
    (or a sweep) writes it down: the date is the rule, the status column follows it."""
    return today is not None and batch.expiration_date < today


def csv_page(session, organization_id, order_id, after_code, limit, today=None):
    """Rows [code, order, expiration, remote proctoring, status] after the cursor `after_code`.

    Returns {"rows", "next_after"}; next_after is None on the last page.
    """
    batch = batch_of_order(session, organization_id, order_id)
    if batch.completed_at is None:
        raise Conflict("vouchers_generating", "The vouchers are still being generated.")
    query = (select(Voucher.code, Voucher.status)
             .where(Voucher.batch_id == batch.id).order_by(Voucher.code)
             .limit(min(max(int(limit), 1), MAX_PAGE)))
    if after_code:
        query = query.where(Voucher.code > after_code)
    found = session.execute(query).all()
    expiration = batch.expiration_date.isoformat()
    covered = batch.covers_remote_proctoring
    lapsed = past_expiration(batch, today)
    rows = [[display_code(code), order_id, expiration, covered,
             "expired" if lapsed and status == "unused" else status] for code, status in found]
    full_page = len(found) == min(max(int(limit), 1), MAX_PAGE)
    return {"rows": rows, "next_after": found[-1].code if found and full_page else None}


def display_code(code):
    return format_code(code) if len(code) == 16 else code


def usage(session, organization_id, order_id, status=None, page=1, per_page=100, today=None):
    """Counts of the order's codes by status, and one page of codes (optionally of one status)."""
    batch = batch_of_order(session, organization_id, order_id)
    if status is not None and status not in STATUSES:
        raise InvalidInput(fields={"status": ["Must be one of {}.".format(", ".join(STATUSES))]})
    lapsed = past_expiration(batch, today)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(session.execute(select(Voucher.status, func.count())
                                  .where(Voucher.batch_id == batch.id)
                                  .group_by(Voucher.status)).all())
    if lapsed:
        counts["expired"] += counts["unused"]
        counts["unused"] = 0
    query = select(Voucher).where(Voucher.batch_id == batch.id)
    if status:
        stored = {"unused": [] if lapsed else ["unused"],
                  "expired": ["unused", "expired"] if lapsed else ["expired"]}.get(status, [status])
        query = query.where(Voucher.status.in_(stored))
    rows = session.scalars(query.order_by(Voucher.code)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    total = counts[status] if status else sum(counts.values())
    return {"counts": counts,
            "vouchers": [{"voucher_code": display_code(v.code),
                          "status": "expired" if lapsed and v.status == "unused" else v.status,
                          "expiration_date": batch.expiration_date.isoformat()}
                         for v in rows],
            "page": page, "per_page": per_page, "total": total}
