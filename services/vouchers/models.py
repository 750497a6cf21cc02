"""Tables the vouchers service owns."""
from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables

Base = declarative_base()
messaging_tables.add_to(Base.metadata)

STATUSES = ("unused", "redeemed", "used", "cancelled", "expired")


class VoucherBatch(Base):
    """Codes that share an owner, a year, an expiration and a coverage: one order's codes,
    or one import of legacy codes. Kept here so each code's own row stays small."""
    __tablename__ = "voucher_batches"
    __table_args__ = (Index("ix_batches_org_year", "organization_id", "academic_year"),)
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, unique=True)  # None for a legacy import
    organization_id = Column(Integer, nullable=False)
    academic_year = Column(String(7), nullable=False)
    quantity = Column(Integer, nullable=False)
    expiration_date = Column(Date, nullable=False)
    covers_remote_proctoring = Column(Boolean, nullable=False)
    legacy = Column(Boolean, nullable=False, default=False)
    chunk_count = Column(Integer, nullable=False)
    chunks_done = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime(timezone=True), nullable=False)
    completed_at = Column(DateTime(timezone=True))


class GenerationChunk(Base):
    """One unit of work on the shared queue; `generated_at` set marks it done."""
    __tablename__ = "generation_chunks"
    batch_id = Column(Integer, primary_key=True)
    chunk_no = Column(Integer, primary_key=True)
    size = Column(Integer, nullable=False)
    generated_at = Column(DateTime(timezone=True))


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_batch_code", "batch_id", "code"),)
    # canonical form: 16 symbols for portal codes, the normalised text for legacy ones;
    # the primary key is what makes every code unique across all orders and years
    code = Column(String(40), primary_key=True)
    batch_id = Column(Integer, nullable=False)
    status = Column(String(10), nullable=False, default="unused")
