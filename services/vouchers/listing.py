"""Reading codes: an order's pages for the CSV download, the usage view of an order's
codes and of an organization's legacy codes, and an organization's summary of a year."""
from sqlalchemy import and_, case, func, select

from services.common.errors import Conflict, InvalidInput, NotFound
from services.vouchers.codes import display_code
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


# One page of an order's codes in code order (keyset paging on the (batch_id, code) index):
# one indexed range scan, fetched as the driver's plain tuples.
_PAGE_SQL = ("SELECT code, status FROM vouchers "
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
    statuses = [status for _, status in found]
    if past_expiration(batch, today):
        statuses = ["expired" if status == "unused" else status for status in statuses]
    return {"order_id": order_id, "expiration_date": batch.expiration_date.isoformat(),
            "covers_remote_proctoring": batch.covers_remote_proctoring,
            "codes": [display_code(code, batch.legacy) for code, _ in found],
            "statuses": statuses, "next_after": found[-1][0] if more else None}


def _check_status(status):
    if status is not None and status not in STATUSES:
        raise InvalidInput(fields={"status": ["Must be one of {}.".format(", ".join(STATUSES))]})


def _shown_status(today):
    """The status a code shows: an unused code past its batch's expiration date is expired
    before the June 30 close (or a sweep) writes it down."""
    if today is None:
        return Voucher.status
    return case((and_(Voucher.status == "unused", VoucherBatch.expiration_date < today),
                 "expired"), else_=Voucher.status)


def _counts_by_status(rows, today):
    """{status: codes} from rows of (expiration_date, status, codes): unused codes past
    their expiration date count as expired."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        lapsed = row.status == "unused" and past_expiration(row, today)
        counts["expired" if lapsed else row.status] += row.codes
    return counts


def codes_usage(session, batches, status=None, page=1, per_page=100, today=None):
    """Counts of the batches' codes by status, and one page of the codes (optionally of one
    status) in code order, each with its status and expiration date."""
    _check_status(status)
    ids = [batch.id for batch in batches]

    def of_batches(*columns):
        return (select(*columns).select_from(Voucher)
                .join(VoucherBatch, VoucherBatch.id == Voucher.batch_id)
                .where(Voucher.batch_id.in_(ids)))

    counts = _counts_by_status(session.execute(
        of_batches(VoucherBatch.expiration_date, Voucher.status, func.count().label("codes"))
        .group_by(VoucherBatch.expiration_date, Voucher.status)), today)
    shown = _shown_status(today)
    listed = of_batches(Voucher.code, shown.label("shown"), VoucherBatch.legacy,
                        VoucherBatch.expiration_date)
    if status:
        listed = listed.where(shown == status)
    rows = session.execute(listed.order_by(Voucher.code)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    total = counts[status] if status else sum(counts.values())
    return {"counts": counts,
            "vouchers": [{"voucher_code": display_code(row.code, row.legacy),
                          "status": row.shown,
                          "expiration_date": row.expiration_date.isoformat()}
                         for row in rows],
            "page": page, "per_page": per_page, "total": total}


def usage(session, organization_id, order_id, status=None, page=1, per_page=100, today=None):
    """The usage view of an order's codes (see `codes_usage`)."""
    batch = batch_of_order(session, organization_id, order_id)
    return codes_usage(session, [batch], status, page, per_page, today)


def legacy_usage(session, organization_id, academic_year, status=None, page=1, per_page=100,
                 today=None):
    """The usage view of the organization's legacy codes of one academic year, every
    import of that year together (see `codes_usage`)."""
    batches = session.scalars(select(VoucherBatch).where(
        VoucherBatch.organization_id == organization_id,
        VoucherBatch.academic_year == str(academic_year), VoucherBatch.legacy.is_(True))).all()
    return dict(codes_usage(session, batches, status, page, per_page, today),
                academic_year=str(academic_year))


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
    counts = _counts_by_status(session.execute(
        select(VoucherBatch.expiration_date, Voucher.status, func.count().label("codes"))
        .join(VoucherBatch, VoucherBatch.id == Voucher.batch_id).where(*of_year)
        .group_by(VoucherBatch.expiration_date, Voucher.status)), today)
    return {"academic_year": year, "orders": orders, "ordered": ordered, "counts": counts}
