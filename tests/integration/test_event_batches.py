"""Batched consumers in real containers on real RabbitMQ, SQLite and PostgreSQL: a burst of
`voucher_redeemed` (scores, billing) and `exam_recorded` (vouchers, billing) is applied
many events per unit of work, each exactly once; a malformed event or one that cannot be
applied is kept in failed_events while the rest of its batch goes in."""
import uuid

from sqlalchemy import func, select

from services.billing.models import BillableExam, BillingRegistration
from services.billing.service import BillingService
from services.common.messaging_tables import failed_events, processed_events
from services.scores.models import VoucherRedemption
from services.scores.service import ScoresService
from tests.integration.test_billing import FROZEN_NOW, exam, send_copies
from tests.integration.test_scores import voucher_redeemed

BURST = 300


def count(store, table, *where):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def units_of_work(store, consumer):
    """How many transactions applied `consumer`'s events: a batch stamps its events with
    one processed_at."""
    with store.reader() as session:
        return session.scalar(select(func.count(func.distinct(processed_events.c.processed_at)))
                              .where(processed_events.c.consumer == consumer))


def test_a_burst_of_redemptions_is_kept_in_few_units_of_work_and_a_malformed_one_is_kept(
        start_service, stores, dispatch, wait_for, stays):
    start_service(ScoresService, CLOCK_NOW=FROZEN_NOW)
    store = stores("scores")
    codes = ["B{:015d}".format(n) for n in range(BURST)]
    malformed = dict(voucher_redeemed(code="MALFORMED0000000", registration_id=1),
                     organization_id="not a number")
    for n, code in enumerate(codes):
        dispatch("vouchers", "voucher_redeemed",
                 voucher_redeemed(code=code, registration_id=10_000 + n))
        if n == BURST // 2:
            dispatch("vouchers", "voucher_redeemed", malformed)
    repeated = voucher_redeemed(code=codes[0], registration_id=10_000)
    dispatch("vouchers", "voucher_redeemed", dict(repeated, event_id=str(uuid.uuid4())))

    wait_for(lambda: count(store, VoucherRedemption) == BURST, timeout=60,
             message=lambda: "{} of {} redemptions kept".format(count(store, VoucherRedemption),
                                                                BURST))
    wait_for(lambda: count(store, failed_events) == 1)
    assert stays(lambda: count(store, VoucherRedemption) == BURST and
                 count(store, failed_events) == 1, duration=1)
    with store.reader() as session:
        [kept] = session.execute(select(failed_events)).all()
    assert kept.event_id == malformed["event_id"] and "organization_id" in kept.error
    assert units_of_work(store, "keep_redemption") < BURST // 5



def test_a_packed_message_gives_its_events_one_unit_of_work_and_keeps_a_malformed_one(
        start_service, stores, dispatch, wait_for, stays):
    """Vouchers sends redemptions many to a message (a JSON list, see OutboxRelay): each
    event of it is applied once, together; a malformed one is kept on its own; its events
    delivered again add nothing."""
    start_service(ScoresService, CLOCK_NOW=FROZEN_NOW)
    store = stores("scores")
    events = [voucher_redeemed(code="P{:015d}".format(n), registration_id=20_000 + n)
              for n in range(5)]
    malformed = dict(voucher_redeemed(code="MALFORMED0000001", registration_id=2),
                     organization_id="not a number")
    packed = events[:2] + [malformed] + events[2:]
    dispatch("vouchers", "voucher_redeemed", packed)

    wait_for(lambda: count(store, VoucherRedemption) == 5 and count(store, failed_events) == 1)
    dispatch("vouchers", "voucher_redeemed", events[1:])  # again, packed
    dispatch("vouchers", "voucher_redeemed", events[0])  # and one of them alone
    assert stays(lambda: count(store, VoucherRedemption) == 5 and
                 count(store, failed_events) == 1, duration=1.5)
    assert units_of_work(store, "keep_redemption") == 1

def test_billing_applies_bursts_in_batches_and_keeps_the_exam_it_cannot_bill(
        start_service, stores, dispatch, wait_for, stays):
    start_service(BillingService, CLOCK_NOW=FROZEN_NOW)
    store = stores("billing")
    send_copies(dispatch, 301, 3001)
    exams = [exam(301, 3001, "2026-12-0{}".format(1 + n % 9)) for n in range(BURST)]
    for one in exams:
        dispatch("vouchers", "voucher_redeemed", dict(
            voucher_redeemed(code=one["voucher_code"], registration_id=one["registration_id"],
                             organization_id=301), order_id=3001))
    wait_for(lambda: count(store, BillingRegistration.__table__) == BURST, timeout=60)

    unknown_order = exam(301, 9999, "2026-12-02")
    for n, one in enumerate(exams):
        dispatch("scores", "exam_recorded", one)
        if n == 7:
            dispatch("scores", "exam_recorded", unknown_order)
    dispatch("scores", "exam_recorded", dict(exams[1], event_id=str(uuid.uuid4())))  # again

    wait_for(lambda: count(store, BillableExam.__table__) == BURST, timeout=60,
             message=lambda: "{} of {} exams billed".format(
                 count(store, BillableExam.__table__), BURST))
    wait_for(lambda: count(store, failed_events) == 1)
    assert stays(lambda: count(store, BillableExam.__table__) == BURST and
                 count(store, failed_events) == 1, duration=1)
    with store.reader() as session:
        [kept] = session.execute(select(failed_events)).all()
    assert (kept.consumer, kept.event_id) == ("record_exam", unknown_order["event_id"])
    assert "unknown order 9999" in kept.error
    assert units_of_work(store, "keep_registration") < BURST // 5
    assert units_of_work(store, "record_exam") < BURST // 5
