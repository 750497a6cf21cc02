"""Tables the scores service owns."""
from sqlalchemy import (Boolean, Column, Date, DateTime, Index, Integer, SmallInteger, String,
                        Text)
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables

Base = declarative_base()
messaging_tables.add_to(Base.metadata)


class Organization(Base):
    """This service's copy of the organizations access registered (its events), so that a
    result naming an unknown attending institution can be turned away."""
    __tablename__ = "organizations"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(200), nullable=False)
    kind = Column(String(20), nullable=False)
    district_id = Column(Integer)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    version = Column(Integer, nullable=False, default=0, server_default="0")  # access' version


class VoucherRedemption(Base):
    """A registration paid with a voucher (the vouchers service's `voucher_redeemed`): who
    paid for the exam a result with that code reports."""
    __tablename__ = "voucher_redemptions"
    registration_id = Column(String(64), primary_key=True)
    voucher_code = Column(String(40), nullable=False, index=True)  # canonical form
    # the code as people see it, made by the vouchers service (which owns the code format)
    voucher_code_shown = Column(String(40))
    order_id = Column(Integer)  # None for a legacy code
    organization_id = Column(Integer, nullable=False)
    academic_year = Column(String(7))
    covers_remote_proctoring = Column(Boolean)
    legacy = Column(Boolean, nullable=False, default=False)
    student_id = Column(String(64))
    exam = Column(String(200))
    redeemed_at = Column(DateTime(timezone=True))
    complete_by = Column(Date)
    received_at = Column(DateTime(timezone=True), nullable=False)


class ParkedResult(Base):
    """A reported result whose voucher code has no redemption here yet (its
    `voucher_redeemed` is late): kept as reported, and recorded when the redemption arrives
    (services/scores/parking.py), or dropped at `expires_at`."""
    __tablename__ = "parked_results"
    result_id = Column(String(64), primary_key=True)
    # the code as typed, canonical; and what it means read as a portal code (O as 0, ...)
    voucher_code = Column(String(40), nullable=False, index=True)
    voucher_code_alternative = Column(String(40), index=True)
    result = Column(Text, nullable=False)  # the row as reported, JSON
    parked_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)


class ExamResult(Base):
    """One exam taken, as the testing system reported it; written once, never changed."""
    __tablename__ = "exam_results"
    result_id = Column(String(64), primary_key=True)  # the testing system's id
    student_id = Column(String(64), nullable=False)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    email = Column(String(254), nullable=False)
    exam = Column(String(120), nullable=False)
    test_date = Column(Date, nullable=False)
    academic_year = Column(String(7), nullable=False)
    score = Column(SmallInteger, nullable=False)
    passed = Column(Boolean, nullable=False)
    delivery_mode = Column(String(20), nullable=False)
    # a voucher pays for one exam: unique (NULLs, the self-paid exams, never clash)
    voucher_code = Column(String(40), unique=True)
    voucher_code_shown = Column(String(40))  # as the buyer sees it, from the redemption
    registration_id = Column(String(64))
    order_id = Column(Integer)
    paid_by_organization_id = Column(Integer)
    attending_institution_id = Column(Integer)
    recorded_at = Column(DateTime(timezone=True), nullable=False)


class ScoreViewer(Base):
    """An organization that may see a result, and why: it bought the voucher that paid for
    the exam, or the student named it as attending institution (or both). `academic_year`
    and `test_date` are copied from the result so a year's report is one index range."""
    __tablename__ = "score_viewers"
    __table_args__ = (
        Index("ix_score_viewers_report", "organization_id", "academic_year", "test_date",
              "result_id"),)
    organization_id = Column(Integer, primary_key=True, autoincrement=False)
    result_id = Column(String(64), primary_key=True)
    academic_year = Column(String(7), nullable=False)
    test_date = Column(Date, nullable=False)
    as_buyer = Column(Boolean, nullable=False)
    as_attending_institution = Column(Boolean, nullable=False)


class ScoreAccess(Base):
    """The confidentiality record: every view and export of scores, by whom and when."""
    __tablename__ = "score_access_log"
    __table_args__ = (Index("ix_score_access_org_at", "organization_id", "at"),
                      Index("ix_score_access_account_at", "account_id", "at"))
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False)
    account_id = Column(Integer, nullable=False)
    account_email = Column(String(254), nullable=False)
    account_name = Column(String(200), nullable=False)
    organization_id = Column(Integer, nullable=False)
    academic_year = Column(String(7), nullable=False)
    access = Column(String(10), nullable=False)  # manage | read_only
    action = Column(String(20), nullable=False)  # list | detail | export
    detail = Column(Text)
    row_count = Column(Integer)
