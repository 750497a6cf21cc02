"""Tables the vouchers service owns."""
from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables, scheduled

Base = declarative_base()
messaging_tables.add_to(Base.metadata)
scheduled.add_to(Base.metadata)

STATUSES = ("unused", "redeemed", "used", "cancelled", "expired")
# what the buyer sees of a code: the stored statuses (an unused code past its expiration
# date shows as expired); a code given out to a student is still `unused`
SHOWN_STATUSES = STATUSES
# the usage view's filters: a status, or a part of `unused`: `assigned` (given to a student,
# a voucher_assignments row) or `unassigned` (not given out)
USAGE_FILTERS = SHOWN_STATUSES + ("assigned", "unassigned")


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
    worker = Column(String(80))  # host:pid of the process that made it (how work spread)


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_batch_code", "batch_id", "code"),)
    # canonical form: 16 symbols for portal codes, the normalised text for legacy ones;
    # the primary key is what makes every code unique across all orders and years
    code = Column(String(40), primary_key=True)
    batch_id = Column(Integer, nullable=False)
    status = Column(String(10), nullable=False, default="unused")


class VoucherAssignment(Base):
    """Who a code was given to: the coordinator's record of a student, set while the code
    is unused and kept once it is redeemed. A table of its own (a row only for the codes
    given out), so that `vouchers` stays narrow for the CSV pages and redemptions."""
    __tablename__ = "voucher_assignments"
    __table_args__ = (Index("ix_assignments_batch_code", "batch_id", "voucher_code"),)
    voucher_code = Column(String(40), primary_key=True)
    batch_id = Column(Integer, nullable=False)
    student_name = Column(String(200), nullable=False)
    student_email = Column(String(254))
    given_out_on = Column(Date, nullable=False)
    assigned_at = Column(DateTime(timezone=True), nullable=False)
    emailed_at = Column(DateTime(timezone=True))  # the code mailed to the student, on request


TICKET_STATUSES = ("redeemed", "used", "cancelled")


class Registration(Base):
    """A registration ticket: a code redeemed by the registration system for one student,
    to be used (the exam taken) by `complete_by`. At most one ticket per code, ever."""
    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_year_status", "academic_year", "status"),)
    id = Column(Integer, primary_key=True)
    voucher_code = Column(String(40), nullable=False, unique=True)
    batch_id = Column(Integer, nullable=False)
    organization_id = Column(Integer, nullable=False)
    academic_year = Column(String(7), nullable=False)
    student_id = Column(String(100), nullable=False)
    student_name = Column(String(200), nullable=False)
    student_email = Column(String(254), nullable=False)
    exam = Column(String(100), nullable=False)
    client = Column(String(64))  # the partner client that redeemed it
    redeemed_at = Column(DateTime(timezone=True), nullable=False)
    complete_by = Column(Date, nullable=False)
    status = Column(String(10), nullable=False)  # TICKET_STATUSES
    used_at = Column(DateTime(timezone=True))
    cancelled_at = Column(DateTime(timezone=True))


class YearClosure(Base):
    """An academic year's June 30 close. The primary key is the guard: whoever inserts the
    row (in the same transaction as the close) closes the year; everyone else finds it."""
    __tablename__ = "year_closures"
    academic_year = Column(String(7), primary_key=True)
    closed_at = Column(DateTime(timezone=True), nullable=False)
    closed_by = Column(String(20), nullable=False)  # "timer" or "operations"
    tickets_cancelled = Column(Integer, nullable=False)
    vouchers_expired = Column(Integer, nullable=False)


class RedemptionThrottle(Base):
    """Unknown-code answers per partner in the current window (rate limiting)."""
    __tablename__ = "redemption_throttles"
    client = Column(String(64), primary_key=True)
    window_started_at = Column(DateTime(timezone=True), nullable=False)
    failures = Column(Integer, nullable=False)


class OrganizationContact(Base):
    """The coordinator on file of an organization, from access's `profile_updated`: who
    gets the reminders before an order's codes expire, and whether they want them."""
    __tablename__ = "organization_contacts"
    organization_id = Column(Integer, primary_key=True)
    coordinator_name = Column(String(200), nullable=False)
    coordinator_email = Column(String(254), nullable=False)
    expiry_reminders = Column(Boolean, nullable=False, default=True)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class ExpiryReminder(Base):
    """A reminder before an order's codes expire, decided for one threshold (days before
    the expiration date). The primary key is the guard: whoever inserts the row (in the
    transaction that decides it, with its `expiry_reminder_due` event) has it mailed, by
    that event's handler; nobody mails it again."""
    __tablename__ = "expiry_reminders"
    order_id = Column(Integer, primary_key=True)
    threshold_days = Column(Integer, primary_key=True)
    organization_id = Column(Integer, nullable=False)
    unused = Column(Integer, nullable=False)  # unused and unassigned: decided, then mailed
    sent_to = Column(String(254), nullable=False)  # the coordinator then, then the one mailed
    decided_at = Column(DateTime(timezone=True), nullable=False)
    sent_at = Column(DateTime(timezone=True))  # null: the mail failed (logged) or was lost
