"""Accounts, sessions and terms acceptance."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from services.access import changes
from services.access.attempt_limits import client_key
from services.access.models import Account, Session, SignInAttempt, TermsAcceptance
from services.access.passwords import DEFAULT_PASSWORDS
from services.access.schemas import AccountIn
from services.access.sign_in_limits import check_sign_in_limits
from services.access.terms import PORTAL_TERMS
from services.common.clock import as_utc
from services.common.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from services.common.validation import load

SESSION_LIFETIME = timedelta(hours=12)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def account_view(account):
    return {"id": account.id, "email": account.email, "name": account.name}


def create_account(store, clock, email, name, password, passwords=DEFAULT_PASSWORDS):
    given = load(AccountIn, {"email": email, "name": name, "password": password})
    email, name, password = given["email"], given["name"], given["password"]
    password_hash = passwords.hash(password)  # before the transaction: it takes a while
    with store.transaction() as work:
        if work.session.scalar(select(Account.id).where(Account.email == email)):
            raise Conflict("email_taken", "An account with this email already exists.")
        account = Account(email=email, name=name, password_hash=password_hash,
                          created_at=clock.now())
        work.session.add(account)
        work.session.flush()
        return account_view(account)


def sign_in(store, clock, email, password, client=None, passwords=DEFAULT_PASSWORDS):
    """A session token; 401 on bad credentials; 429 while this client is held off for
    this email (or at all), checked before any hashing so a held-off flood costs little.

    During a hold even the right password gets 429 from that client (a guesser learns
    nothing); another client that has not been failing still gets in. Unknown emails are
    counted the same way.
    """
    email = email.strip().lower()
    client = client_key(client)
    with store.reader() as session:
        check_sign_in_limits(session, clock, email, client)
        account = session.scalar(select(Account).where(Account.email == email))
    matched = passwords.verify(account.password_hash if account else None, password)
    matched = bool(matched and account)
    now = clock.now()
    token = secrets.token_urlsafe(32)
    with store.transaction() as work:
        work.session.add(SignInAttempt(email=email[:254], client=client, succeeded=matched,
                                       attempted_at=now))
        if matched:
            work.session.add(Session(token_hash=token_hash(token), account_id=account.id,
                                     created_at=now, expires_at=now + SESSION_LIFETIME))
    if not matched:
        raise NotAuthenticated("invalid_credentials", "The email or password is not right.")
    return {"token": token, "expires_at": (now + SESSION_LIFETIME).isoformat()}


def sign_out(store, clock, token):
    with store.transaction() as work:
        found = work.session.get(Session, token_hash(token or ""))
        if found is None or found.ended_at is not None:
            raise NotAuthenticated()
        found.ended_at = clock.now()
        changes.account_changed(work, found.account_id, "signed_out")


def current_account(session, clock, token, require_terms=True):
    """The account behind a live session token; 401 otherwise, 403 before the terms."""
    found = session.get(Session, token_hash(token or ""))
    if found is None or found.ended_at is not None or as_utc(found.expires_at) <= clock.now():
        raise NotAuthenticated()
    account = session.get(Account, found.account_id)
    if require_terms and not has_accepted_terms(session, account.id):
        raise Forbidden("terms_not_accepted",
                        "Accept the portal terms first (POST /api/terms/portal/acceptances).")
    return account


def session_expires_at(session, token):
    """When the live session behind `token` ends (ISO 8601): a gateway keeping an answer
    given for it must not keep it longer. (The session is in the identity map already.)"""
    return as_utc(session.get(Session, token_hash(token)).expires_at).isoformat()


def has_accepted_terms(session, account_id):
    return session.scalar(select(TermsAcceptance.id).where(
        TermsAcceptance.account_id == account_id,
        TermsAcceptance.document == PORTAL_TERMS["document"],
        TermsAcceptance.version == PORTAL_TERMS["version"]).limit(1)) is not None


def accept_terms(store, clock, token, version):
    with store.transaction() as work:
        account = current_account(work.session, clock, token, require_terms=False)
        if version != PORTAL_TERMS["version"]:
            raise InvalidInput("unknown_terms_version",
                               "That is not the current version of the portal terms.",
                               fields={"version": ["The current version is {}.".format(
                                   PORTAL_TERMS["version"])]})
        if not has_accepted_terms(work.session, account.id):
            work.session.add(TermsAcceptance(account_id=account.id, document="portal",
                                             version=version, accepted_at=clock.now()))
            changes.account_changed(work, account.id, "terms_accepted")
    return {"document": "portal", "version": version}

