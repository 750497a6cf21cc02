"""Tables the access service owns."""
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, Index, true)
from sqlalchemy.orm import declarative_base

from services.common import messaging_tables, scheduled

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
    # zip + name is how a coordinator names the organization when getting access
    __table_args__ = (Index("uq_organizations_zip_name", "zip", "name_key", unique=True),)
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
    # 1 when registered, one more for each change: the version its events carry, so that
    # consumers apply only what is newer
    version = Column(Integer, nullable=False, default=1, server_default="1")


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
    # how it was got, for "People with access": access_code (redeemed), or
    # access_code_request (redeemed the code operations mailed on the account's approved
    # request); rows from before the column were all redemptions
    granted_via = Column(String(30), nullable=False, default="access_code",
                         server_default="access_code")


class MembershipRemoval(Base):
    """A coordinator removed this account's access for the year: redeeming the year's code
    again does not bring it back (docs/DECISIONS.md, "People with access")."""
    __tablename__ = "membership_removals"
    account_id = Column(Integer, ForeignKey("accounts.id"), primary_key=True)
    organization_id = Column(Integer, ForeignKey("organizations.id"), primary_key=True)
    academic_year = Column(String(7), primary_key=True)
    removed_at = Column(DateTime(timezone=True), nullable=False)
    removed_by = Column(Integer, ForeignKey("accounts.id"), nullable=False)


class OrganizationSettings(Base):
    """What a coordinator decides for the organization: `scores_contacts_only` lets only
    the coordinator and second contact named in the profile see scores."""
    __tablename__ = "organization_settings"
    organization_id = Column(Integer, ForeignKey("organizations.id"), primary_key=True)
    scores_contacts_only = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    updated_by = Column(Integer, ForeignKey("accounts.id"))


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
    # the coordinator is mailed before an order's codes expire (vouchers, by profile_updated)
    expiry_reminders = Column(Boolean, nullable=False, default=True, server_default=true())
    updated_at = Column(DateTime(timezone=True), nullable=False)
    updated_by = Column(Integer, ForeignKey("accounts.id"))


class RedemptionAttempt(Base):
    """Every access-code redemption try: the limits on the guesser read it."""
    __tablename__ = "redemption_attempts"
    __table_args__ = (Index("ix_attempts_account_at", "account_id", "attempted_at"),
                      Index("ix_attempts_org_at", "organization_id", "attempted_at"),
                      Index("ix_attempts_client_at", "client", "attempted_at"))
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    client = Column(String(64))  # the caller's address, as the gateway saw it
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


class SignInAttempt(Base):
    """Every sign-in try (known email or not): the sign-in limits read it; rows older than
    the longest limit's window are pruned daily."""
    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_email_at", "email", "attempted_at"),
                      Index("ix_sign_in_attempts_client_at", "client", "attempted_at"),
                      Index("ix_sign_in_attempts_at", "attempted_at"))
    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False)  # as typed, lower-cased
    client = Column(String(64))  # the caller's address, as the gateway saw it
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime(timezone=True), nullable=False)


class OrderingOrganization(Base):
    """Which organizations ordered vouchers in which academic year, from `order_placed`."""
    __tablename__ = "ordering_organizations"
    organization_id = Column(Integer, primary_key=True)
    academic_year = Column(String(7), primary_key=True)
    first_order_id = Column(Integer, nullable=False)
    first_ordered_at = Column(DateTime(timezone=True), nullable=False)


class AccessCodeRun(Base):
    """Operations' yearly issue of access codes; `active_year` is set while it runs, so two
    runs of one year never go at once (NULLs do not collide in a unique column)."""
    __tablename__ = "access_code_runs"
    id = Column(Integer, primary_key=True)
    academic_year = Column(String(7), nullable=False, index=True)
    active_year = Column(String(7), unique=True)
    status = Column(String(20), nullable=False)  # running, finished, failed
    requested_at = Column(DateTime(timezone=True), nullable=False)
    finished_at = Column(DateTime(timezone=True))
    organizations = Column(Integer, nullable=False, default=0)
    codes_issued = Column(Integer, nullable=False, default=0)
    mailed = Column(Integer, nullable=False, default=0)
    error = Column(Text)


class AccessCodeMailing(Base):
    """The yearly run's mail of one organization's code; a `sent` one is never sent again."""
    __tablename__ = "access_code_mailings"
    organization_id = Column(Integer, ForeignKey("organizations.id"), primary_key=True)
    academic_year = Column(String(7), primary_key=True)
    run_id = Column(Integer, ForeignKey("access_code_runs.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)  # sent, no_contact, failed
    email = Column(String(254))
    error = Column(Text)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class AccessCodeRequest(Base):
    """"Don't have an access code": queued for operations or referred to the coordinator."""
    __tablename__ = "access_code_requests"
    __table_args__ = (Index("ix_access_code_requests_status", "status", "id"),
                      Index("ix_access_code_requests_account_at", "account_id", "created_at"))
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    organization_id = Column(Integer, ForeignKey("organizations.id"))  # None: no match
    organization_name = Column(String(200), nullable=False)
    zip = Column(String(10), nullable=False)
    requester_role = Column(String(20), nullable=False)
    message = Column(Text, nullable=False)
    routed_to = Column(String(20), nullable=False)  # operations, coordinator
    status = Column(String(20), nullable=False)  # pending, approved, declined, referred
    referred_to = Column(String(254))
    created_at = Column(DateTime(timezone=True), nullable=False)
    decided_at = Column(DateTime(timezone=True))
    academic_year = Column(String(7))  # of the code issued on approval
    decline_reason = Column(Text)


scheduled.add_to(Base.metadata)  # the guard of the daily pruning
