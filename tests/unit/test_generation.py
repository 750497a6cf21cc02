"""Voucher generation in chunks, on a real (SQLite) vouchers database.

Long work is chunked (docs/ARCHITECTURE.md): an order becomes chunk tasks; each chunk is one
transaction that is a no-op when replayed; the order's `vouchers_generated` goes out once.
"""
import json

import pytest
from sqlalchemy import func, select

from services.common.messaging_tables import outbox
from services.vouchers import generation
from services.vouchers.codes import generate_codes, is_valid
from services.vouchers.generation import (CHUNK_SIZE, chunk_sizes, generate_chunk,
                                          plan_generation)
from services.vouchers.models import GenerationChunk, Voucher, VoucherBatch

ORDER = {"id": 41, "organization_id": 7, "academic_year": "2026-27", "quantity": 6_000,
         "expiration_date": "2027-06-30", "covers_remote_proctoring": True}


def plan(store, clock, order=ORDER):
    with store.transaction() as work:
        plan_generation(work, clock, order)


def events(store, event_type):
    with store.reader() as session:
        rows = session.execute(select(outbox.c.payload).where(outbox.c.event_type == event_type)
                               .order_by(outbox.c.id)).scalars().all()
    return [json.loads(row) for row in rows]


def batch_of(store, order_id=ORDER["id"]):
    with store.reader() as session:
        return session.scalar(select(VoucherBatch).where(VoucherBatch.order_id == order_id))


def codes_of(store, batch_id):
    with store.reader() as session:
        return session.scalars(select(Voucher.code).where(Voucher.batch_id == batch_id)).all()


def count(store, model):
    with store.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- chunk sizes --------------------------------------------------------------------------


@pytest.mark.parametrize("quantity, sizes", [
    (1, [1]),
    (2_499, [2_499]),
    (2_500, [2_500]),
    (2_501, [2_500, 1]),
    (6_000, [2_500, 2_500, 1_000]),
    (10_000, [2_500] * 4),
    (0, []),
])
def test_chunk_sizes_add_up_to_the_quantity(quantity, sizes):
    assert CHUNK_SIZE == 2_500
    assert chunk_sizes(quantity) == sizes
    assert sum(chunk_sizes(quantity)) == quantity


def test_chunk_size_can_be_chosen():
    assert chunk_sizes(7, chunk_size=3) == [3, 3, 1]


# --- planning -----------------------------------------------------------------------------


def test_a_6000_voucher_order_is_planned_as_3_chunks(vouchers_store, clock):
    plan(vouchers_store, clock)
    batch = batch_of(vouchers_store)
    assert (batch.quantity, batch.chunk_count, batch.chunks_done) == (6_000, 3, 0)
    assert (batch.organization_id, batch.academic_year) == (7, "2026-27")
    assert batch.expiration_date.isoformat() == "2027-06-30"
    assert batch.covers_remote_proctoring is True and batch.legacy is False
    with vouchers_store.reader() as session:
        chunks = session.scalars(select(GenerationChunk).order_by(GenerationChunk.chunk_no)).all()
    assert [(c.chunk_no, c.size, c.generated_at) for c in chunks] == [
        (0, 2_500, None), (1, 2_500, None), (2, 1_000, None)]


def test_planning_queues_one_event_per_chunk(vouchers_store, clock):
    plan(vouchers_store, clock)
    queued = events(vouchers_store, "generation_chunk_queued")
    batch_id = batch_of(vouchers_store).id
    assert [(e["batch_id"], e["order_id"], e["chunk_no"], e["size"]) for e in queued] == [
        (batch_id, 41, 0, 2_500), (batch_id, 41, 1, 2_500), (batch_id, 41, 2, 1_000)]
    assert len({e["event_id"] for e in queued}) == 3


def test_a_replayed_order_plans_nothing_more(vouchers_store, clock):
    plan(vouchers_store, clock)
    plan(vouchers_store, clock)
    assert count(vouchers_store, VoucherBatch) == 1
    assert count(vouchers_store, GenerationChunk) == 3
    assert len(events(vouchers_store, "generation_chunk_queued")) == 3


# --- generating ---------------------------------------------------------------------------


@pytest.fixture
def planned(vouchers_store, clock):
    plan(vouchers_store, clock)
    return batch_of(vouchers_store).id


def generate_all(store, clock, batch_id, order=(0, 1, 2)):
    return [generate_chunk(store, clock, batch_id, chunk_no) for chunk_no in order]


def test_generating_every_chunk_makes_6000_unique_valid_codes(vouchers_store, clock, planned):
    made = generate_all(vouchers_store, clock, planned)
    assert made == [2_500, 2_500, 1_000]
    codes = codes_of(vouchers_store, planned)
    assert len(codes) == 6_000
    assert len(set(codes)) == 6_000
    assert all(is_valid(code) for code in codes)
    with vouchers_store.reader() as session:
        assert set(session.scalars(select(Voucher.status))) == {"unused"}


def test_vouchers_generated_goes_out_once_after_the_last_chunk(vouchers_store, clock, planned):
    generate_chunk(vouchers_store, clock, planned, 0)
    generate_chunk(vouchers_store, clock, planned, 1)
    assert events(vouchers_store, "vouchers_generated") == []
    assert batch_of(vouchers_store).completed_at is None
    generate_chunk(vouchers_store, clock, planned, 2)
    done = events(vouchers_store, "vouchers_generated")
    assert [(e["order_id"], e["organization_id"], e["quantity"]) for e in done] == [(41, 7, 6_000)]
    batch = batch_of(vouchers_store)
    assert batch.chunks_done == 3 and batch.completed_at is not None


def test_each_chunk_reports_its_count_to_orders(vouchers_store, clock, planned):
    generate_all(vouchers_store, clock, planned)
    reported = events(vouchers_store, "voucher_chunk_generated")
    assert sorted((e["order_id"], e["chunk_no"], e["count"]) for e in reported) == [
        (41, 0, 2_500), (41, 1, 2_500), (41, 2, 1_000)]


def test_chunks_may_finish_in_any_order(vouchers_store, clock, planned):
    generate_all(vouchers_store, clock, planned, order=(2, 0, 1))
    assert len(codes_of(vouchers_store, planned)) == 6_000
    assert len(events(vouchers_store, "vouchers_generated")) == 1


def test_a_replayed_chunk_adds_nothing(vouchers_store, clock, planned):
    generate_all(vouchers_store, clock, planned)
    assert generate_all(vouchers_store, clock, planned) == [0, 0, 0]
    assert len(codes_of(vouchers_store, planned)) == 6_000
    assert len(events(vouchers_store, "voucher_chunk_generated")) == 3
    assert len(events(vouchers_store, "vouchers_generated")) == 1
    assert batch_of(vouchers_store).chunks_done == 3


def test_a_chunk_replayed_before_the_others_still_counts_once(vouchers_store, clock, planned):
    assert generate_chunk(vouchers_store, clock, planned, 0) == 2_500
    assert generate_chunk(vouchers_store, clock, planned, 0) == 0
    assert batch_of(vouchers_store).chunks_done == 1
    assert events(vouchers_store, "vouchers_generated") == []


def test_two_orders_never_share_a_code(vouchers_store, clock, planned):
    plan(vouchers_store, clock, dict(ORDER, id=42, quantity=300))
    other = batch_of(vouchers_store, 42).id
    generate_all(vouchers_store, clock, planned)
    generate_chunk(vouchers_store, clock, other, 0)
    first, second = set(codes_of(vouchers_store, planned)), set(codes_of(vouchers_store, other))
    assert len(second) == 300 and not first & second


def test_a_code_that_already_exists_is_replaced_not_lost(vouchers_store, clock, monkeypatch):
    plan(vouchers_store, clock, dict(ORDER, id=50, quantity=5))
    first = batch_of(vouchers_store, 50).id
    generate_chunk(vouchers_store, clock, first, 0)
    taken = codes_of(vouchers_store, first)

    plan(vouchers_store, clock, dict(ORDER, id=51, quantity=5))
    second = batch_of(vouchers_store, 51).id
    calls = []

    def clashing(count):  # first draw: two codes another order already holds
        calls.append(count)
        return taken[:2] + generate_codes(count - 2) if len(calls) == 1 else generate_codes(count)

    monkeypatch.setattr(generation, "generate_codes", clashing)
    assert generate_chunk(vouchers_store, clock, second, 0) == 5
    assert calls == [5, 2]
    mine = codes_of(vouchers_store, second)
    assert len(mine) == 5 and not set(mine) & set(taken)
    assert sorted(codes_of(vouchers_store, first)) == sorted(taken)


def test_an_unknown_chunk_is_an_error(vouchers_store, clock, planned):
    with pytest.raises(LookupError):
        generate_chunk(vouchers_store, clock, planned, 3)
    with pytest.raises(LookupError):
        generate_chunk(vouchers_store, clock, planned + 1, 0)


def test_a_task_that_brings_its_size_needs_no_read_and_replays_as_nothing(
        vouchers_store, clock, planned):
    assert generate_chunk(vouchers_store, clock, planned, 2, size=1_000) == 1_000
    assert generate_chunk(vouchers_store, clock, planned, 2, size=1_000) == 0
    assert len(codes_of(vouchers_store, planned)) == 1_000


def test_a_task_for_a_chunk_that_does_not_exist_is_an_error_with_its_size_too(
        vouchers_store, clock, planned):
    with pytest.raises(LookupError):
        generate_chunk(vouchers_store, clock, planned, 99, size=1000)
    assert codes_of(vouchers_store, planned) == []


def test_each_chunk_records_which_process_made_it(vouchers_store, clock, planned):
    generate_chunk(vouchers_store, clock, planned, 0)
    with vouchers_store.reader() as session:
        workers = session.scalars(select(GenerationChunk.worker).where(
            GenerationChunk.batch_id == planned).order_by(GenerationChunk.chunk_no)).all()
    assert workers == [generation.WORKER, None, None]
