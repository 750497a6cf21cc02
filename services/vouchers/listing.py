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


# One page of an order's codes in code order (keyset paging on the (batch_id, code) index),
# each code already in its display form: the database does the formatting, so a page costs
# one indexed range scan and no per-row Python work beyond building two lists.
_PAGE_SQL = ("SELECT substr(code, 1, 4) || '-' || substr(code, 5, 4) || '-' || "
             "substr(code, 9, 4) || '-' || substr(code, 13, 4), code, status FROM vouchers "
             "WHERE batch_id = {batch} AND code > {after} ORDER BY code LIMIT {limit}")
_PAGE = {"postgresql": _PAGE_SQL.format(batch="%(batch)s", after="%(after)s",
                                        limit="%(limit)s"),
         "sqlite": _PAGE_SQL.format(batch=":batch", after=":after", limit=":limit")}


def csv_page(session, organization_id, order_id, after_code, limit, today=None):
    """The codes after the cursor `after_code` (canonical), for the CSV download.

    Returns {"order_id", "expiration_date", "covers_remote_proctoring", "codes" (display
    form), "statuses", "next_after"}; next_after is None on the last page. The page is
    compact (the order's own columns once, not per row): it crosses the broker as JSON.
    """
    batch = batch_of_order(session, organization_id, order_id)
    if batch.completed_at is None:
        raise Conflict("vouchers_generating", "The vouchers are still being generated.")
    limit = min(max(int(limit), 1), MAX_PAGE)
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:  # the driver's own cursor: 5,000 plain tuples, no result-row objects
        # one row more than the page: whether another page follows, without asking again
        cursor.execute(_PAGE[connection.dialect.name],
                       {"batch": batch.id, "after": after_code or "", "limit": limit + 1})
        found = cursor.fetchall()
    finally:
        cursor.close()
    more = len(found) > limit
    found = found[:limit]
    lapsed = past_expiration(batch, today)
    statuses = [status for _, _, status in found]
    if lapsed:
        statuses = ["expired" if status == "unused" else status for status in statuses]
    return {"order_id": order_id, "expiration_date": batch.expiration_date.isoformat(),
            "covers_remote_proctoring": batch.covers_remote_proctoring,
            "codes": [shown for shown, _, _ in found], "statuses": statuses,
            "next_after": found[-1][1] if more else None}


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
