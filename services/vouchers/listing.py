"""Reading codes: an order's pages for the CSV download, the usage view of an order's
codes and of an organization's legacy codes, and an organization's summary of a year."""
from sqlalchemy import and_, case, func, or_, select

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.validation import PRINTABLE
from services.vouchers.codes import display_code
from services.vouchers.models import (SHOWN_STATUSES, USAGE_FILTERS, Voucher, VoucherAssignment,
                                      VoucherBatch)

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


def shown_status(status, expired):
    """The status a buyer sees: an unused code past its expiration date is expired (before
    the close writes it down). A code given to a student keeps its status (`unused` until
    redeemed): its assignment says it is given out."""
    return "expired" if status == "unused" and expired else status


# One page of an order's codes in code order (keyset paging on the (batch_id, code) index),
# with the student each was given to: one indexed range scan, the driver's plain tuples.
_PAGE_SQL = ("SELECT v.code, v.status, a.student_name, a.given_out_on, a.student_email "
             "FROM vouchers v LEFT JOIN voucher_assignments a ON a.voucher_code = v.code "
             "WHERE v.batch_id = {batch} AND v.code > {after} ORDER BY v.code LIMIT {limit}")
_PAGE = {"postgresql": _PAGE_SQL.format(batch="%(batch)s", after="%(after)s",
                                        limit="%(limit)s"),
         "sqlite": _PAGE_SQL.format(batch=":batch", after=":after", limit=":limit")}


def csv_page(session, organization_id, order_id, after_code, limit, today=None):
    """The codes after the cursor `after_code` (canonical), for the CSV download.

    Returns {"order_id", "expiration_date", "covers_remote_proctoring", "codes" (display
    form), "statuses", "students" ([name, day given out, email] or None per code),
    "next_after"}; next_after is None on the last page. The page is compact (the order's
    own columns once, not per row): it crosses the broker as JSON.
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
    expired = past_expiration(batch, today)
    return {"order_id": order_id, "expiration_date": batch.expiration_date.isoformat(),
            "covers_remote_proctoring": batch.covers_remote_proctoring,
            "codes": [display_code(row[0], batch.legacy) for row in found],
            "statuses": [shown_status(row[1], expired) for row in found],
            # the day as text on both drivers (SQLite gives text, psycopg a date)
            "students": [None if row[2] is None else [row[2], str(row[3]), row[4]]
                         for row in found],
            "next_after": found[-1][0] if more else None}


def _check_status(status, allowed):
    if status is not None and status not in allowed:
        raise InvalidInput(fields={"status": ["Must be one of {}.".format(
            ", ".join(allowed))]})


def _shown_status(today):
    """`shown_status` in SQL."""
    if not today:
        return Voucher.status
    return case((and_(Voucher.status == "unused", VoucherBatch.expiration_date < today),
                 "expired"), else_=Voucher.status)


def _counts_by_status(rows, today, with_assigned=True):
    """{status: codes} from rows of (expiration_date, status, assigned, codes): unused codes
    past their expiration date count as expired. The statuses split the codes; `assigned`
    (the unused codes given to a student) is a part of `unused`, not added to it."""
    counts = dict.fromkeys(SHOWN_STATUSES, 0)
    if with_assigned:
        counts["assigned"] = 0
    for row in rows:
        status = shown_status(row.status, past_expiration(row, today))
        counts[status] += row.codes
        if with_assigned and status == "unused" and row.assigned:
            counts["assigned"] += row.codes
    return counts


def _with_assignments(query):
    return query.outerjoin(VoucherAssignment, VoucherAssignment.voucher_code == Voucher.code)


def _grouped_counts(session, query, today, with_assigned=True):
    assigned = VoucherAssignment.voucher_code.is_not(None)
    return _counts_by_status(session.execute(
        _with_assignments(query.add_columns(
            VoucherBatch.expiration_date, Voucher.status, assigned.label("assigned"),
            func.count().label("codes")))
        .group_by(VoucherBatch.expiration_date, Voucher.status, assigned)), today,
        with_assigned)


def _student_matches(student):
    """A search by the student's name or email: every word typed, anywhere, any case."""
    words = [word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
             for word in student.split()]
    return and_(*(or_(func.lower(VoucherAssignment.student_name).like(
                          "%{}%".format(word), escape="\\"),
                      func.lower(VoucherAssignment.student_email).like(
                          "%{}%".format(word), escape="\\"))
                  for word in words))


def codes_usage(session, batches, status=None, page=1, per_page=100, today=None,
                student=None, filters=USAGE_FILTERS):
    """Counts of the batches' codes by status (with `assigned`, a part of `unused`, when
    `filters` has it), and one page of the codes (optionally of one status, or of the unused
    codes `assigned` or `unassigned`, or given to a student matching `student`) in code
    order, each with its status, expiration date and the student it was given to
    (`assignment`, or null)."""
    _check_status(status, filters)
    ids = [batch.id for batch in batches]

    def of_batches(*columns):
        return (select(*columns).select_from(Voucher)
                .join(VoucherBatch, VoucherBatch.id == Voucher.batch_id)
                .where(Voucher.batch_id.in_(ids)))

    counts = _grouped_counts(session, of_batches(), today, "assigned" in filters)
    shown = _shown_status(today)
    listed = _with_assignments(of_batches(
        Voucher.code, shown.label("shown"), VoucherBatch.legacy, VoucherBatch.expiration_date,
        VoucherAssignment.student_name, VoucherAssignment.student_email,
        VoucherAssignment.given_out_on, VoucherAssignment.emailed_at))
    given = VoucherAssignment.voucher_code.is_not(None)
    if status == "assigned":
        listed = listed.where(shown == "unused", given)
    elif status == "unassigned":
        listed = listed.where(shown == "unused", ~given)
    elif status:
        listed = listed.where(shown == status)
    if student and student.strip():
        if not PRINTABLE.fullmatch(student) or len(student) > 200:
            raise InvalidInput(fields={"student": ["Up to 200 printable characters."]})
        listed = listed.where(_student_matches(student))
        total = session.scalar(select(func.count()).select_from(listed.subquery()))
    else:
        total = _total(counts, status)
    rows = session.execute(listed.order_by(Voucher.code)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"counts": counts,
            "vouchers": [{"voucher_code": display_code(row.code, row.legacy),
                          "status": row.shown,
                          "expiration_date": row.expiration_date.isoformat(),
                          "assignment": None if row.student_name is None else {
                              "student_name": row.student_name,
                              "student_email": row.student_email,
                              "given_out_on": row.given_out_on.isoformat(),
                              "emailed_at": (row.emailed_at.isoformat() if row.emailed_at
                                             else None)}}
                         for row in rows],
            "page": page, "per_page": per_page, "total": total}


def _total(counts, status):
    if status == "unassigned":
        return counts["unused"] - counts["assigned"]
    if status:
        return counts[status]
    return sum(counts[shown] for shown in SHOWN_STATUSES)


def usage(session, organization_id, order_id, status=None, page=1, per_page=100, today=None,
          student=None):
    """The usage view of an order's codes (see `codes_usage`)."""
    batch = batch_of_order(session, organization_id, order_id)
    return codes_usage(session, [batch], status, page, per_page, today, student)


def legacy_usage(session, organization_id, academic_year, status=None, page=1, per_page=100,
                 today=None):
    """The usage view of the organization's legacy codes of one academic year, every
    import of that year together (see `codes_usage`)."""
    batches = session.scalars(select(VoucherBatch).where(
        VoucherBatch.organization_id == organization_id,
        VoucherBatch.academic_year == str(academic_year), VoucherBatch.legacy.is_(True))).all()
    # legacy codes are never given out: no `assigned` count or filter
    return dict(codes_usage(session, batches, status, page, per_page, today,
                            filters=SHOWN_STATUSES),
                academic_year=str(academic_year))


def usage_summary(session, organization_id, academic_year, today=None):
    """The organization's codes of one academic year, across all its batches (orders and
    legacy imports): how many orders, how many codes ordered, and counts by status (and
    `assigned`, the unused codes given to a student: a part of `unused`).

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
    counts = _grouped_counts(session, select().select_from(Voucher).join(
        VoucherBatch, VoucherBatch.id == Voucher.batch_id).where(*of_year), today)
    return {"academic_year": year, "orders": orders, "ordered": ordered, "counts": counts}
