"""Tables the orders service owns."""
from sqlalchemy import (Boolean, Column, Date, DateTime, Integer, String, Index)
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables

Base = declarative_base()
messaging_tables.add_to(Base.metadata)


class FeeSchedule(Base):
    __tablename__ = "fee_schedules"
    academic_year = Column(String(7), primary_key=True)
    exam_fee_cents = Column(Integer, nullable=False)
    remote_proctoring_fee_cents = Column(Integer, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_org_year", "organization_id", "academic_year"),)
    id = Column(Integer, primary_key=True)
    organization_id = Column(Integer, nullable=False)
    organization_name = Column(String(200), nullable=False)
    academic_year = Column(String(7), nullable=False)
    placed_at = Column(DateTime(timezone=True), nullable=False)
    placed_by = Column(Integer, nullable=False)  # account id, owned by the access service
    placed_by_name = Column(String(200), nullable=False)
    placed_by_email = Column(String(254), nullable=False)
    quantity = Column(Integer, nullable=False)
    covers_remote_proctoring = Column(Boolean, nullable=False)
    expiration_date = Column(Date, nullable=False)
    po_number = Column(String(50))
    exam_fee_cents = Column(Integer, nullable=False)
    remote_proctoring_fee_cents = Column(Integer, nullable=False)
    terms_version = Column(String(40), nullable=False)  # bulk-purchase terms accepted
    status = Column(String(24), nullable=False)
    vouchers_generated = Column(Integer, nullable=False, default=0)
    fulfilled_at = Column(DateTime(timezone=True))
    # 1 when placed, one more for each change (its PO number): the version its events
    # carry, so that consumers apply only what is newer
    version = Column(Integer, nullable=False, default=1, server_default="1")


class IdempotencyKey(Base):
    """A placed order under the key its client sent; the unique key stops a second order."""
    __tablename__ = "idempotency_keys"
    account_id = Column(Integer, primary_key=True)
    key = Column(String(255), primary_key=True)
    request_hash = Column(String(64), nullable=False)
    order_id = Column(Integer, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class OrganizationContact(Base):
    """The coordinator on file, copied from the access service's `profile_updated` events."""
    __tablename__ = "organization_contacts"
    organization_id = Column(Integer, primary_key=True)
    coordinator_name = Column(String(200))
    coordinator_email = Column(String(254))
    updated_at = Column(DateTime(timezone=True), nullable=False)
