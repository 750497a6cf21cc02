"""Tables the access service owns."""
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, Index)
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables

Base = declarative_base()
messaging_tables.add_to(Base.metadata)


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)  # stored lower-cased
    name = Column(String(200), nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class Session(Base):
    __tablename__ = "sessions"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the bearer token
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    ended_at = Column(DateTime(timezone=True))


class Organization(Base):
    __tablename__ = "organizations"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    name_key = Column(String(200), nullable=False)  # normalised name, for matching
    kind = Column(String(20), nullable=False)
    zip = Column(String(5), nullable=False, index=True)
    city = Column(String(100), nullable=False)
    state = Column(String(2), nullable=False)
    district_id = Column(Integer, ForeignKey("organizations.id"), index=True)
    state_funded = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class AccessCode(Base):
    __tablename__ = "access_codes"
    __table_args__ = (UniqueConstraint("organization_id", "academic_year"),)
    id = Column(Integer, primary_key=True)
    organization_id = Column(Integer, ForeignKey("organizations.id"), nullable=False)
    academic_year = Column(String(7), nullable=False)
    code = Column(String(12), nullable=False, unique=True)  # canonical, no dashes
    issued_at = Column(DateTime(timezone=True), nullable=False)


class Membership(Base):
    """Access an account holds to an organization for one academic year."""
    __tablename__ = "memberships"
    account_id = Column(Integer, ForeignKey("accounts.id"), primary_key=True)
    organization_id = Column(Integer, ForeignKey("organizations.id"), primary_key=True)
    academic_year = Column(String(7), primary_key=True)
    access = Column(String(10), nullable=False)  # manage (read_only is derived for schools)
    granted_at = Column(DateTime(timezone=True), nullable=False)


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptances"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False, index=True)
    document = Column(String(40), nullable=False)
    version = Column(String(40), nullable=False)
    accepted_at = Column(DateTime(timezone=True), nullable=False)


class Profile(Base):
    __tablename__ = "profiles"
    organization_id = Column(Integer, ForeignKey("organizations.id"), primary_key=True)
    coordinator_name = Column(String(200))
    coordinator_email = Column(String(254))
    coordinator_phone = Column(String(40))
    second_role = Column(String(20))
    second_name = Column(String(200))
    second_email = Column(String(254))
    second_phone = Column(String(40))
    billing_same_as_coordinator = Column(Boolean, nullable=False, default=False)
    billing_name = Column(String(200))
    billing_email = Column(String(254))
    billing_phone = Column(String(40))
    updated_at = Column(DateTime(timezone=True), nullable=False)
    updated_by = Column(Integer, ForeignKey("accounts.id"))


class RedemptionAttempt(Base):
    """Every access-code redemption try: the rate limits and the audit read it."""
    __tablename__ = "redemption_attempts"
    __table_args__ = (Index("ix_attempts_account_at", "account_id", "attempted_at"),
                      Index("ix_attempts_org_at", "organization_id", "attempted_at"))
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    organization_id = Column(Integer, ForeignKey("organizations.id"))
    zip = Column(String(20))
    organization_name = Column(String(200))
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, index=True)
    account_id = Column(Integer)
    organization_id = Column(Integer, index=True)
    action = Column(String(40), nullable=False)
    detail = Column(Text)
