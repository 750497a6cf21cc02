"""Placing orders, reading them, and moving them along as their vouchers are made."""
from datetime import timezone

from sqlalchemy import select

from services.common.academic_year import AcademicYear, academic_year_from_input
from services.common.clock import as_utc
from services.common.errors import (Conflict, IdempotencyKeyReused, InvalidInput, NotFound)
from services.orders import rules
from services.common.validation import load
from services.orders.models import FeeSchedule, IdempotencyKey, Order
from services.orders.schemas import (MAX_QUANTITY, FeesIn, OrderIn, OrderReviewIn,
                                     PoNumberIn)
from services.orders.terms import BULK_PURCHASE_TERMS

HISTORY_YEARS_BACK = 4  # the FAQ's five academic years: the current one and the 4 before it


def order_view(order):
    return {
        "id": order.id, "organization_id": order.organization_id,
        "academic_year": order.academic_year,
        # UTC with its offset, however the database hands it back (SQLite: naive)
        "placed_at": as_utc(order.placed_at).astimezone(timezone.utc).isoformat(),
        "placed_by": {"id": order.placed_by, "name": order.placed_by_name},
        "quantity": order.quantity, "covers_remote_proctoring": order.covers_remote_proctoring,
        "expiration_date": order.expiration_date.isoformat(), "po_number": order.po_number,
        "exam_fee_cents": order.exam_fee_cents,
        # the fee applies only to an order that covers remote proctoring
        "remote_proctoring_fee_cents": order.remote_proctoring_fee_cents
        if order.covers_remote_proctoring else None,
        "terms_version": order.terms_version, "status": order.status,
        "vouchers_generated": order.vouchers_generated,
    }


def set_fees(work, clock, academic_year, exam_fee_cents, remote_proctoring_fee_cents,
             only_if_unset=False):
    """Operations sets a year's fees; orders already placed keep theirs. Emits `fees_set`.
    With `only_if_unset`, a year that has fees keeps them: 409 fees_already_set."""
    year = str(academic_year_from_input(academic_year))
    load(FeesIn, {"exam_fee_cents": exam_fee_cents,
                    "remote_proctoring_fee_cents": remote_proctoring_fee_cents})
    fees = work.session.get(FeeSchedule, year)
    if fees is not None and only_if_unset:
        raise Conflict("fees_already_set", "Fees for {} are already set; they stay as they "
                                           "are.".format(year))
    fees = fees or FeeSchedule(academic_year=year)
    changed = (fees.exam_fee_cents, fees.remote_proctoring_fee_cents) != \
        (exam_fee_cents, remote_proctoring_fee_cents)
    fees.exam_fee_cents = exam_fee_cents
    fees.remote_proctoring_fee_cents = remote_proctoring_fee_cents
    fees.updated_at = clock.now()
    work.session.add(fees)
    view = {"academic_year": year, "exam_fee_cents": exam_fee_cents,
            "remote_proctoring_fee_cents": remote_proctoring_fee_cents}
    if changed:  # setting the same fees again announces nothing new
        work.emit("fees_set", view)
    return view


def fees_for(session, year):
    fees = session.get(FeeSchedule, str(year))
    if fees is None:
        raise Conflict("fees_not_set", "Fees for {} have not been set yet; ordering opens "
                                       "once they are.".format(year))
    return fees


def quote(session, clock, organization):
    today = clock.today()
    year = AcademicYear.containing(today)
    fees = fees_for(session, year)
    return {"organization": {"id": organization["id"], "name": organization["name"]},
            "academic_year": str(year), "exam_fee_cents": fees.exam_fee_cents,
            "remote_proctoring_fee_cents": fees.remote_proctoring_fee_cents,
            "default_expiration_date": year.last_day.isoformat(),
            "earliest_expiration_date": today.isoformat(),
            "latest_expiration_date": year.last_day.isoformat(),
            "max_quantity": MAX_QUANTITY,
            "terms": {"document": "bulk_purchase", "version": BULK_PURCHASE_TERMS["version"]}}


def replayed_order(session, account_id, idempotency_key, fingerprint):
    """The order already placed under this key, or None; 422 if the body differs."""
    previous = session.get(IdempotencyKey, (account_id, idempotency_key))
    if previous is None:
        return None
    if previous.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return order_view(session.get(Order, previous.order_id))


def checked_request(schema, request, today):
    """The request loaded by `schema` (OrderIn: every field's rule), and its expiration
    date: the one asked for within today's bounds, else the academic year's last day."""
    request = load(schema, request)
    expiration = request["expiration_date"] or AcademicYear.containing(today).last_day
    problem = rules.check_expiration(expiration, today)
    if problem:
        raise InvalidInput(fields={"expiration_date": [problem]})
    return request, expiration


def review_order(session, clock, organization, request):
    """The quote for `request`, checked as place_order checks it (the terms aside): what the
    review step before placing shows."""
    request, expiration = checked_request(OrderReviewIn, request, clock.today())
    quoted = quote(session, clock, organization)
    covered = request["covers_remote_proctoring"]
    return dict(quoted, expiration_date=expiration.isoformat(),
                covers_remote_proctoring=covered,  # the fee applies only then
                remote_proctoring_fee_cents=quoted["remote_proctoring_fee_cents"]
                if covered else None)


def place_order(work, clock, principal, idempotency_key, request):
    """Returns (order, created). Emits `order_placed` in the same transaction."""
    session = work.session
    account, organization = principal["account"], principal["organization"]
    fingerprint = rules.request_fingerprint(organization["id"], request)
    existing = replayed_order(session, account["id"], idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    today = clock.today()
    request, expiration = checked_request(OrderIn, request, today)
    year = AcademicYear.containing(today)
    fees = fees_for(session, year)
    order = Order(
        organization_id=organization["id"], organization_name=organization["name"],
        academic_year=str(year), placed_at=clock.now(), placed_by=account["id"],
        placed_by_name=account["name"], placed_by_email=account["email"],
        quantity=request["quantity"],
        covers_remote_proctoring=request["covers_remote_proctoring"],
        expiration_date=expiration, po_number=request["po_number"],
        exam_fee_cents=fees.exam_fee_cents,
        remote_proctoring_fee_cents=fees.remote_proctoring_fee_cents,
        terms_version=request["terms_version"], status="generating_vouchers",
        vouchers_generated=0)
    session.add(order)
    session.flush()
    session.add(IdempotencyKey(account_id=account["id"], key=idempotency_key,
                               request_hash=fingerprint, order_id=order.id,
                               created_at=clock.now()))
    view = order_view(order)
    # the event keeps the fee in force, as the contract of order_placed says
    work.emit("order_placed", dict(view, version=1, state=organization.get("state"),
                                   remote_proctoring_fee_cents=fees.remote_proctoring_fee_cents,
                                   state_funded=organization.get("state_funded")))
    session.flush()  # surface a racing duplicate key here, inside the transaction
    return view, True


def find_order(session, organization_id, order_id, for_update=False):
    """`for_update`: locked, and read as committed once the lock is ours."""
    order = session.get(Order, order_id, with_for_update=for_update,
                        populate_existing=for_update) if isinstance(order_id, int) else None
    if order is None or order.organization_id != organization_id:
        raise NotFound("order_not_found", "No such order.")
    return order


def history_years(current):
    """The academic years order history covers, newest first."""
    return [current.previous(back) for back in range(HISTORY_YEARS_BACK + 1)]


def order_history(session, clock, organization_id, year):
    current = clock.academic_year()
    oldest = current.previous(HISTORY_YEARS_BACK)
    if year > current or year < oldest:
        raise InvalidInput(fields={"academic_year": [
            "Order history covers {} back to {}.".format(current, oldest)]})
    orders = session.scalars(select(Order).where(
        Order.organization_id == organization_id, Order.academic_year == str(year))
        .order_by(Order.placed_at.desc(), Order.id.desc())).all()
    return [order_view(order) for order in orders]


# a notice for the gateways' caches: an order's view changed without an event of its own
ORDER_CHANGED = "order_changed"


def change_po_number(work, organization_id, order_id, po_number):
    po_number = load(PoNumberIn, {"po_number": po_number})["po_number"]
    # locked before comparing: a change committed meanwhile is what this one changes
    order = find_order(work.session, organization_id, order_id, for_update=True)
    if order.po_number != po_number:
        order.po_number = po_number
        order.version = Order.version + 1  # in SQL: two changes at once get two versions
        work.session.flush()
        work.emit("po_number_changed", {"order_id": order.id,
                                        "organization_id": organization_id,
                                        "po_number": order.po_number,
                                        "version": order.version})
    return order_view(order)


def record_vouchers_generated(work, order_id, now, count=None):
    """A chunk's worth (count) or all of them (count None: the order is fulfilled); the
    gateways hear of it (`order_changed`)."""
    # locked: chunk events arrive together, and a read-modify-write of the count by two
    # workers at once would lose one of them (PostgreSQL; SQLite writers take turns anyway)
    order = work.session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise LookupError("vouchers for unknown order {}".format(order_id))
    if order.status != "generating_vouchers":
        return order
    work.emit(ORDER_CHANGED, {"organization_id": order.organization_id, "order_id": order.id})
    if count is None:
        order.status = "fulfilled"
        order.fulfilled_at = now
        order.vouchers_generated = order.quantity
    else:
        order.vouchers_generated = min(order.quantity, order.vouchers_generated + count)
    return order
