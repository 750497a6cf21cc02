"""Reading codes: an order's pages for the CSV download and its usage view, and an
organization's summary of a year."""
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


def usage_summary(session, organization_id, academic_year, today=None):
    """The organization's codes of one academic year, across all its batches (orders and
    legacy imports): how many orders, how many codes ordered, and counts by status.

    Two grouped queries on the (organization, year) index, whatever the number of codes;
    unused codes of a batch past its expiration date count as expired, as in `usage`.
    """
    year = str(academic_year)
    of_year = (VoucherBatch.organization_id == organization_id,
               VoucherBatch.academic_year == year)
    # a legacy import has no order: count(order_id) counts the orders only
    orders, ordered = session.execute(
        select(func.count(VoucherBatch.order_id),
               func.coalesce(func.sum(VoucherBatch.quantity), 0)).where(*of_year)).one()
    counts = dict.fromkeys(STATUSES, 0)
    by_expiration = session.execute(
        select(VoucherBatch.expiration_date, Voucher.status, func.count().label("codes"))
        .join(VoucherBatch, VoucherBatch.id == Voucher.batch_id).where(*of_year)
        .group_by(VoucherBatch.expiration_date, Voucher.status)).all()
    for row in by_expiration:
        lapsed = row.status == "unused" and past_expiration(row, today)
        counts["expired" if lapsed else row.status] += row.codes
    return {"academic_year": year, "orders": orders, "ordered": ordered, "counts": counts}
