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


def csv_page(session, organization_id, order_id, after_code, limit):
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
    rows = [[display_code(code), order_id, expiration, covered, status] for code, status in found]
    full_page = len(found) == min(max(int(limit), 1), MAX_PAGE)
    return {"rows": rows, "next_after": found[-1].code if found and full_page else None}


def display_code(code):
    return format_code(code) if len(code) == 16 else code


def usage(session, organization_id, order_id, status=None, page=1, per_page=100):
    """Counts of the order's codes by status, and one page of codes (optionally of one status)."""
    batch = batch_of_order(session, organization_id, order_id)
    if status is not None and status not in STATUSES:
        raise InvalidInput(fields={"status": ["Must be one of {}.".format(", ".join(STATUSES))]})
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(session.execute(select(Voucher.status, func.count())
                                  .where(Voucher.batch_id == batch.id)
                                  .group_by(Voucher.status)).all())
    query = select(Voucher).where(Voucher.batch_id == batch.id)
    if status:
        query = query.where(Voucher.status == status)
    rows = session.scalars(query.order_by(Voucher.code)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    total = counts[status] if status else sum(counts.values())
    return {"counts": counts,
            "vouchers": [{"voucher_code": display_code(v.code), "status": v.status,
                          "expiration_date": batch.expiration_date.isoformat()}
                         for v in rows],
            "page": page, "per_page": per_page, "total": total}
