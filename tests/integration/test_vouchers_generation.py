"""Voucher generation in the vouchers service: an `order_placed` event becomes chunk tasks
on a shared queue, each chunk one transaction, the last one announcing the order's codes.
"""
import uuid

from sqlalchemy import func, select

from services.common.messaging_tables import processed_events
from services.vouchers import codes, generation
from services.vouchers.models import GenerationChunk, Voucher, VoucherBatch
from services.vouchers.service import VouchersService

ORGANIZATION_ID = 42
CHUNK_QUEUE = "evt-vouchers-generation_chunk_queued--vouchers.generate_chunk"


def order_placed(order_id, quantity, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "id": order_id,
            "organization_id": ORGANIZATION_ID, "academic_year": "2026-27",
            "quantity": quantity, "expiration_date": "2027-06-30",
            "covers_remote_proctoring": True}


def stored_codes(store):
    with store.reader() as session:
        return session.scalars(select(Voucher.code)).all()


def count_rows(store, table):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(table))


def was_processed(store, event_id, consumer):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(processed_events).where(
            processed_events.c.event_id == event_id,
            processed_events.c.consumer == consumer)) == 1


def test_order_placed_generates_every_code_in_chunks_announced_once(
        start_service, stores, listen, dispatch, wait_for, stays):
    received = listen("vouchers", "vouchers_generated", "voucher_chunk_generated")
    start_service(VouchersService)

    dispatch("orders", "order_placed", order_placed(501, 6000))

    received.wait("vouchers_generated", 1, timeout=20)
    received.wait("voucher_chunk_generated", 3)
    assert received["vouchers_generated"][0]["order_id"] == 501
    assert received["vouchers_generated"][0]["quantity"] == 6000
    chunks = received["voucher_chunk_generated"]
    assert sorted(chunk["chunk_no"] for chunk in chunks) == [0, 1, 2]
    assert sorted(chunk["count"] for chunk in chunks) == [1000, 2500, 2500]
    assert {chunk["order_id"] for chunk in chunks} == {501}
    assert len({event["event_id"] for event in chunks + received["vouchers_generated"]}) == 4

    made = stored_codes(stores("vouchers"))
    assert len(made) == 6000
    assert len(set(made)) == 6000
    assert all(codes.is_valid(code) for code in made)
    assert stays(lambda: received.count("vouchers_generated") == 1
                 and received.count("voucher_chunk_generated") == 3, duration=1.5)


def test_order_placed_again_with_same_or_fresh_event_id_adds_nothing(
        start_service, stores, listen, dispatch, wait_for, stays):
    received = listen("vouchers", "vouchers_generated", "voucher_chunk_generated")
    start_service(VouchersService)
    store = stores("vouchers")
    first = order_placed(502, 6000)
    dispatch("orders", "order_placed", first)
    received.wait("vouchers_generated", 1, timeout=20)
    received.wait("voucher_chunk_generated", 3)

    dispatch("orders", "order_placed", first)  # redelivery: the same event_id
    again = order_placed(502, 6000)  # the same order announced twice (a new event_id)
    dispatch("orders", "order_placed", again)

    wait_for(lambda: was_processed(store, again["event_id"], "plan_generation"))
    assert stays(lambda: received.count("vouchers_generated") == 1
                 and received.count("voucher_chunk_generated") == 3, duration=2)
    assert len(stored_codes(store)) == 6000
    assert count_rows(store, VoucherBatch.__table__) == 1
    assert count_rows(store, GenerationChunk.__table__) == 3


def test_csv_pages_walk_every_code_in_order_and_usage_counts_them_unused(
        start_service, stores, listen, dispatch, rpc, wait_for):
    received = listen("vouchers", "vouchers_generated")
    start_service(VouchersService)
    dispatch("orders", "order_placed", order_placed(503, 2500))
    received.wait("vouchers_generated", 1, timeout=20)

    rows, pages, after = [], 0, None
    while True:
        page = rpc.vouchers.csv_page(ORGANIZATION_ID, 503, after_code=after, limit=1000)
        rows.extend([code, page["order_id"], page["expiration_date"],
                     page["covers_remote_proctoring"], status]
                    for code, status in zip(page["codes"], page["statuses"]))
        pages += 1
        after = page["next_after"]
        if after is None:
            break
        assert pages < 10, "csv_page never reached its last page"

    assert pages == 3
    listed = [row[0] for row in rows]
    assert listed == sorted(listed)
    assert len(set(listed)) == 2500
    assert {codes.normalize(code) for code in listed} == set(stored_codes(stores("vouchers")))
    assert {tuple(row[1:]) for row in rows} == {(503, "2027-06-30", True, "unused")}

    usage = rpc.vouchers.usage(ORGANIZATION_ID, 503)
    assert usage["counts"] == {"unused": 2500, "assigned": 0, "redeemed": 0, "used": 0,
                               "cancelled": 0, "expired": 0}
    assert usage["total"] == 2500


def test_two_vouchers_processes_share_the_chunks_of_a_10000_order(
        start_service, stores, listen, dispatch, rabbit_manager, rabbit_config, wait_for,
        stays):
    received = listen("vouchers", "vouchers_generated", "voucher_chunk_generated")
    start_service(VouchersService)
    start_service(VouchersService)  # a second process: same database, same queues
    # (the management API fills in a new queue's statistics within a few seconds)
    wait_for(lambda: rabbit_manager.get_queue(
        rabbit_config["vhost"], CHUNK_QUEUE).get("consumers") == 2, timeout=15)

    dispatch("orders", "order_placed", order_placed(504, 10_000))

    chunk_count = len(generation.chunk_sizes(10_000))
    received.wait("vouchers_generated", 1, timeout=60)
    received.wait("voucher_chunk_generated", chunk_count)
    assert sorted(chunk["chunk_no"] for chunk in received["voucher_chunk_generated"]) == \
        list(range(chunk_count))
    made = stored_codes(stores("vouchers"))
    assert len(made) == 10_000
    assert len(set(made)) == 10_000
    assert stays(lambda: received.count("vouchers_generated") == 1
                 and received.count("voucher_chunk_generated") == chunk_count, duration=1.5)
    # each process took its share: the chunk queue's prefetch is small
    with stores("vouchers").reader() as session:
        workers = session.scalars(select(GenerationChunk.worker)).all()
    assert len(workers) == chunk_count and None not in workers
