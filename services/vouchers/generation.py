"""Making an order's codes in chunks that any vouchers process can take.

`plan_generation` turns an `order_placed` event into a batch and its chunk tasks (outbox
events that every vouchers process consumes from one shared queue). `generate_chunk`
makes one chunk in one transaction: claiming the chunk, inserting its codes and counting
it commit together, so a chunk replayed after a crash finds itself claimed and adds
nothing.
"""
import os
import socket
from datetime import date

import eventlet
from sqlalchemy import select, text, update

from services.vouchers.codes import generate_codes
from services.vouchers.models import GenerationChunk, VoucherBatch

CHUNK_SIZE = 1000
WORKER = "{}:{}".format(socket.gethostname(), os.getpid())[:80]


def chunk_sizes(quantity, chunk_size=CHUNK_SIZE):
    full, rest = divmod(quantity, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def plan_generation(work, clock, order):
    """Create the order's batch and queue its chunks; a replayed order plans nothing more."""
    session = work.session
    if session.scalar(select(VoucherBatch.id).where(VoucherBatch.order_id == order["id"])):
        return
    sizes = chunk_sizes(order["quantity"])
    batch = VoucherBatch(
        order_id=order["id"], organization_id=order["organization_id"],
        academic_year=order["academic_year"], quantity=order["quantity"],
        expiration_date=date.fromisoformat(order["expiration_date"]),
        covers_remote_proctoring=order["covers_remote_proctoring"], legacy=False,
        chunk_count=len(sizes), chunks_done=0, created_at=clock.now())
    session.add(batch)
    session.flush()
    session.add_all(GenerationChunk(batch_id=batch.id, chunk_no=chunk_no, size=size)
                    for chunk_no, size in enumerate(sizes))
    session.flush()
    for chunk_no, size in enumerate(sizes):
        work.emit("generation_chunk_queued",
                  {"batch_id": batch.id, "order_id": order["id"], "chunk_no": chunk_no,
                   "size": size})


def generate_chunk(store, clock, batch_id, chunk_no):
    """Make one chunk's codes; returns the number made (0 when it was already done).

    Round trips: one read, then one transaction of claim, insert (one statement), count,
    outbox (and, for the last chunk, the batch's completion).
    """
    import time, logging
    t0 = time.perf_counter()
    with store.reader() as session:
        found = session.execute(
            select(GenerationChunk, VoucherBatch)
            .join(VoucherBatch, VoucherBatch.id == GenerationChunk.batch_id)
            .where(GenerationChunk.batch_id == batch_id,
                   GenerationChunk.chunk_no == chunk_no)).first()
    if found is None:
        raise LookupError("no chunk {} of batch {}".format(chunk_no, batch_id))
    chunk, batch = found
    if chunk.generated_at is not None:
        return 0
    t1 = time.perf_counter()
    codes = generate_codes(chunk.size)  # the CPU work, outside the transaction
    t2 = time.perf_counter()
    eventlet.sleep(0)
    t3 = time.perf_counter()
    with store.transaction() as work:
        now = clock.now()
        claimed = work.session.execute(
            update(GenerationChunk)
            .where(GenerationChunk.batch_id == batch_id, GenerationChunk.chunk_no == chunk_no,
                   GenerationChunk.generated_at.is_(None))
            .values(generated_at=now, worker=WORKER)).rowcount
        if not claimed:
            return 0
        made = store_new_codes(work.session, batch_id, codes)
        while made < chunk.size:
            # a code that already exists anywhere was skipped by the unique index: make
            # replacements (at 75 random bits this practically never runs)
            made += store_new_codes(work.session, batch_id, generate_codes(chunk.size - made))
        chunks_done = work.session.execute(
            update(VoucherBatch).where(VoucherBatch.id == batch_id)
            .values(chunks_done=VoucherBatch.chunks_done + 1)
            .returning(VoucherBatch.chunks_done)).scalar_one()
        work.emit("voucher_chunk_generated",
                  {"order_id": batch.order_id, "chunk_no": chunk_no, "count": made})
        if chunks_done == batch.chunk_count:
            work.session.execute(update(VoucherBatch).where(VoucherBatch.id == batch_id)
                                 .values(completed_at=now))
            work.emit("vouchers_generated",
                      {"order_id": batch.order_id, "organization_id": batch.organization_id,
                       "quantity": batch.quantity})
    t4 = time.perf_counter()
    logging.getLogger("probe").warning("chunk read %.1f gen %.1f yield %.1f tx %.1f ms", (t1-t0)*1000, (t2-t1)*1000, (t3-t2)*1000, (t4-t3)*1000)
    return made


_INSERT_UNNEST = text(
    "INSERT INTO vouchers (code, batch_id, status) "
    "SELECT code, :batch_id, 'unused' FROM unnest(CAST(:codes AS text[])) AS code "
    "ON CONFLICT DO NOTHING")


def store_new_codes(session, batch_id, codes):
    """Insert codes into a batch, skipping any that already exist; returns how many went in.

    One statement per chunk: on PostgreSQL the codes travel as a single array parameter
    (COPY is unavailable to green psycopg2); SQLite gets an executemany.
    """
    if not codes:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(_INSERT_UNNEST, {"batch_id": batch_id, "codes": codes}).rowcount
    return session.execute(
        text("INSERT OR IGNORE INTO vouchers (code, batch_id, status) "
             "VALUES (:code, :batch_id, 'unused')"),
        [{"code": code, "batch_id": batch_id} for code in codes]).rowcount
