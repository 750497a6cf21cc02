"""Tables the billing service owns.

Billing keeps its own copies of the facts it needs (organizations and their billing
contact, fee schedules, orders with their current PO number, registration tickets), fed
by other services' events; it never reads their databases.
"""
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables, scheduled

Base = declarative_base()
messaging_tables.add_to(Base.metadata)
scheduled.add_to(Base.metadata)

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only


class BillingOrganization(Base):
    """An organization as billing sees it: its funding schedule and its billing contact.

    `registered` is true once access' own organization events arrived; until then the
    state-funded flag may come from an `order_placed` event (which carries it), and a row
    made for an exam of an organization billing has not heard of yet is billed monthly.
    """
    __tablename__ = "billing_organizations"
    organization_id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(200))
    state = Column(String(2))
    state_funded = Column(Boolean, nullable=False, default=False)
    registered = Column(Boolean, nullable=False, default=False)
    billing_name = Column(String(200))
    billing_email = Column(String(254))
    billing_phone = Column(String(40))
    updated_at = Column(DateTime(timezone=True), nullable=False)
    version = Column(Integer, nullable=False, default=0, server_default="0")  # access' version


class BillingFeeSchedule(Base):
    """A year's fees (from `fees_set`): what a legacy voucher's exam costs."""
    __tablename__ = "billing_fee_schedules"
    academic_year = Column(String(7), primary_key=True)
    exam_fee_cents = Column(Integer, nullable=False)
    remote_proctoring_fee_cents = Column(Integer, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class BillingOrder(Base):
    """An order's fees in force when it was placed, and its current PO number."""
    __tablename__ = "billing_orders"
    order_id = Column(Integer, primary_key=True, autoincrement=False)
    organization_id = Column(Integer, nullable=False)
    academic_year = Column(String(7), nullable=False)
    covers_remote_proctoring = Column(Boolean, nullable=False)
    exam_fee_cents = Column(Integer, nullable=False)
    remote_proctoring_fee_cents = Column(Integer, nullable=False)
    po_number = Column(String(50))
    updated_at = Column(DateTime(timezone=True), nullable=False)
    version = Column(Integer, nullable=False, default=1, server_default="1")  # orders' version
    # an organization's years (GET .../academic-years) read by organization
    __table_args__ = (Index("ix_billing_orders_org_year", "organization_id", "academic_year"),)


class BillingRegistration(Base):
    """A registration ticket (a redeemed code); `cancelled` tickets are never billed.

    `covers_remote_proctoring` is the code's coverage as `voucher_redeemed` announced it
    (None until it arrives): what a legacy code's remote exam is charged by, since a legacy
    code has no order to say it."""
    __tablename__ = "billing_registrations"
    registration_id = Column(String(64), primary_key=True)
    voucher_code = Column(String(40))
    order_id = Column(Integer)
    organization_id = Column(Integer)
    academic_year = Column(String(7))
    complete_by = Column(Date)  # the ticket's last day (null: June 30 of its academic year)
    legacy = Column(Boolean, nullable=False, default=False)
    covers_remote_proctoring = Column(Boolean)
    status = Column(String(10), nullable=False)  # redeemed | cancelled
    updated_at = Column(DateTime(timezone=True), nullable=False)
    __table_args__ = (Index("ix_billing_registrations_org_year", "organization_id",
                            "academic_year"),)


class BillableExam(Base):
    """One exam paid with a voucher: billed once, by the invoice that claims it.

    `invoice_id` is set by exactly one billing run (a conditional update); `void_reason`
    marks an exam that must never be billed (its ticket was cancelled).
    """
    __tablename__ = "billable_exams"
    # No index covers invoice_id or void_reason: claiming an exam then changes no indexed
    # column, so on PostgreSQL (with the free space the migration leaves in each page) the
    # update stays on its page and touches no index ("HOT"): a run's big write is cheap.
    __table_args__ = (
        Index("ix_billable_org_date", "organization_id", "test_date"),
        Index("ix_billable_test_date", "test_date"),
    )
    id = Column(_ID, primary_key=True, autoincrement=True)
    result_id = Column(String(100), nullable=False, unique=True)  # one item per exam
    voucher_code = Column(String(40), nullable=False, unique=True)  # a voucher pays once
    registration_id = Column(String(64), index=True)
    order_id = Column(Integer)  # None: a legacy voucher
    organization_id = Column(Integer, nullable=False)
    exam = Column(String(200))
    test_date = Column(Date, nullable=False)
    delivery_mode = Column(String(20), nullable=False)
    academic_year = Column(String(7), nullable=False)
    exam_fee_cents = Column(Integer, nullable=False)
    remote_proctoring_fee_cents = Column(Integer, nullable=False)  # charged: 0 if not covered
    amount_cents = Column(Integer, nullable=False)
    void_reason = Column(String(40))
    invoice_id = Column(Integer)
    recorded_at = Column(DateTime(timezone=True), nullable=False)


class BillingRun(Base):
    """One run of a billing period (by operations, the CLI or a scheduler)."""
    __tablename__ = "billing_runs"
    id = Column(Integer, primary_key=True)
    period = Column(String(7), nullable=False, index=True)
    started_at = Column(DateTime(timezone=True), nullable=False)
    finished_at = Column(DateTime(timezone=True))
    invoices_issued = Column(Integer, nullable=False, default=0)
    exams_billed = Column(Integer, nullable=False, default=0)
    total_cents = Column(BigInteger, nullable=False, default=0)


class Invoice(Base):
    """One organization's bill from one run; contact and PO numbers as of issue."""
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_org_year", "organization_id", "academic_year"),)
    id = Column(Integer, primary_key=True)
    run_id = Column(Integer, nullable=False)
    organization_id = Column(Integer, nullable=False)
    organization_name = Column(String(200))
    period = Column(String(7), nullable=False, index=True)  # the run's period, YYYY-MM
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    academic_year = Column(String(7), nullable=False)
    issued_on = Column(Date, nullable=False)
    exams = Column(Integer, nullable=False, default=0)
    total_cents = Column(BigInteger, nullable=False, default=0)
    billing_name = Column(String(200))
    billing_email = Column(String(254))
    billing_phone = Column(String(40))
    created_at = Column(DateTime(timezone=True), nullable=False)
    emailed_at = Column(DateTime(timezone=True))
    email_error = Column(String(500))


class InvoiceLine(Base):
    """The exams of one order on an invoice (order_id None: legacy vouchers)."""
    __tablename__ = "invoice_lines"
    invoice_id = Column(Integer, primary_key=True, autoincrement=False)
    line_no = Column(Integer, primary_key=True, autoincrement=False)
    order_id = Column(Integer)
    po_number = Column(String(50))
    exams = Column(Integer, nullable=False)
    amount_cents = Column(BigInteger, nullable=False)
