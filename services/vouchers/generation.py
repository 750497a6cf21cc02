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

CHUNK_SIZE = 2500  # 10,000 codes: 4 chunks; bigger chunks cost less per code, smaller spread wider
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


_chunks = GenerationChunk.__table__
_batches = VoucherBatch.__table__


def generate_chunk(store, clock, batch_id, chunk_no, size=None):
    """Make one chunk's codes; returns the number made (0 when it was already done).

    Round trips: one transaction of claim, insert (one statement), count (which returns
    what the events need), outbox (and, for the last chunk, the batch's completion). The
    chunk's size comes with its task; without it, it is read first.
    """
    if size is None:
        size = pending_chunk_size(store, batch_id, chunk_no)
        if size is None:
            return 0
    codes = generate_codes(size)  # the CPU work, outside the transaction
    eventlet.sleep(0)
    with store.transaction() as work:
        session = work.session
        now = clock.now()
        claimed = session.execute(
            update(_chunks).where(_chunks.c.batch_id == batch_id, _chunks.c.chunk_no == chunk_no,
                                  _chunks.c.generated_at.is_(None))
            .values(generated_at=now, worker=WORKER)).rowcount
        if not claimed:  # done before (a replay), or no such chunk at all
            pending_chunk_size(session, batch_id, chunk_no)
            return 0
        made = store_new_codes(session, batch_id, codes)
        while made < size:
            # a code that already exists anywhere was skipped by the unique index: make
            # replacements (at 75 random bits this practically never runs)
            made += store_new_codes(session, batch_id, generate_codes(size - made))
        batch = session.execute(
            update(_batches).where(_batches.c.id == batch_id)
            .values(chunks_done=_batches.c.chunks_done + 1)
            .returning(_batches.c.chunks_done, _batches.c.chunk_count, _batches.c.order_id,
                       _batches.c.organization_id, _batches.c.quantity)).one()
        work.emit("voucher_chunk_generated",
                  {"order_id": batch.order_id, "organization_id": batch.organization_id,
                   "chunk_no": chunk_no, "count": made})
        if batch.chunks_done == batch.chunk_count:
            session.execute(update(_batches).where(_batches.c.id == batch_id)
                            .values(completed_at=now))
            work.emit("vouchers_generated",
                      {"order_id": batch.order_id, "organization_id": batch.organization_id,
                       "quantity": batch.quantity})
    return made


def pending_chunk_size(store_or_session, batch_id, chunk_no):
    """The chunk's size, None when it is already made; LookupError when there is no such
    chunk (a task that can never be done: it goes to failed_events)."""
    query = select(_chunks.c.size, _chunks.c.generated_at).where(
        _chunks.c.batch_id == batch_id, _chunks.c.chunk_no == chunk_no)
    if hasattr(store_or_session, "reader"):
        with store_or_session.reader() as session:
            found = session.execute(query).first()
    else:
        found = store_or_session.execute(query).first()
    if found is None:
        raise LookupError("no chunk {} of batch {}".format(chunk_no, batch_id))
    return None if found.generated_at is not None else found.size


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
