"""Accounts, sessions and the portal terms, on a real (SQLite) access database.

docs/DOMAIN.md, "Accounts and sign-in" and "Terms".
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.access import accounts
from services.access.models import Account, TermsAcceptance
from services.access.terms import PORTAL_TERMS
from services.common.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated

PASSWORD = "correct horse battery"


def create(store, clock, email="Dana@Cass.Example.org", name="Dana", password=PASSWORD):
    return accounts.create_account(store, clock, email, name, password)


def who(store, clock, token, require_terms=True):
    with store.reader() as session:
        return accounts.account_view(
            accounts.current_account(session, clock, token, require_terms))


@pytest.fixture
def dana(access_store, clock):
    return create(access_store, clock)


@pytest.fixture
def token(access_store, clock, dana):
    return accounts.sign_in(access_store, clock, "dana@cass.example.org", PASSWORD)["token"]


# --- creating an account --------------------------------------------------------------


def test_create_account_lower_cases_and_trims_the_email(access_store, clock):
    made = create(access_store, clock, email="  Dana@CASS.Example.ORG ", name=" Dana Smith ")
    assert made["email"] == "dana@cass.example.org"
    assert made["name"] == "Dana Smith"
    assert isinstance(made["id"], int)


def test_password_is_stored_hashed(access_store, clock, dana):
    with access_store.reader() as session:
        stored = session.get(Account, dana["id"]).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_same_email_in_another_case_is_taken(access_store, clock, dana):
    with pytest.raises(Conflict) as taken:
        create(access_store, clock, email="DANA@cass.example.org", name="Someone else")
    assert taken.value.code == "email_taken"
    with access_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1


def test_short_password_is_refused(access_store, clock):
    with pytest.raises(InvalidInput) as invalid:
        create(access_store, clock, password="short")
    assert "password" in invalid.value.fields


# --- sessions -----------------------------------------------------------------------


def test_sign_in_gives_a_token_for_twelve_hours(access_store, clock, dana):
    signed_in = accounts.sign_in(access_store, clock, "DANA@cass.example.org ", PASSWORD)
    assert len(signed_in["token"]) >= 32
    assert signed_in["expires_at"] == (clock.now() + timedelta(hours=12)).isoformat()
    assert who(access_store, clock, signed_in["token"], require_terms=False) == dana


def test_each_sign_in_gets_its_own_token(access_store, clock, dana):
    first = accounts.sign_in(access_store, clock, dana["email"], PASSWORD)["token"]
    second = accounts.sign_in(access_store, clock, dana["email"], PASSWORD)["token"]
    assert first != second


@pytest.mark.parametrize("email, password", [
    ("dana@cass.example.org", "wrong horse battery"),
    ("nobody@cass.example.org", PASSWORD),
    ("nobody@cass.example.org", "not a real password"),  # the dummy hash's own password
])
def test_bad_credentials_get_one_answer(access_store, clock, dana, email, password):
    with pytest.raises(NotAuthenticated) as refused:
        accounts.sign_in(access_store, clock, email, password)
    assert refused.value.code == "invalid_credentials"


def test_sign_out_ends_the_session(access_store, clock, token):
    accounts.sign_out(access_store, clock, token)
    with pytest.raises(NotAuthenticated):
        who(access_store, clock, token, require_terms=False)


def test_signing_out_twice_is_not_authenticated(access_store, clock, token):
    accounts.sign_out(access_store, clock, token)
    with pytest.raises(NotAuthenticated):
        accounts.sign_out(access_store, clock, token)


def test_signing_out_ends_only_that_session(access_store, clock, dana, token):
    other = accounts.sign_in(access_store, clock, dana["email"], PASSWORD)["token"]
    accounts.sign_out(access_store, clock, token)
    assert who(access_store, clock, other, require_terms=False) == dana


def test_session_works_until_it_expires(access_store, clock, dana, token):
    clock.frozen_at += timedelta(hours=12) - timedelta(seconds=1)
    assert who(access_store, clock, token, require_terms=False) == dana
    clock.frozen_at += timedelta(seconds=1)
    with pytest.raises(NotAuthenticated):
        who(access_store, clock, token, require_terms=False)


@pytest.mark.parametrize("bad_token", [None, "", "not-a-token"])
def test_unknown_token_is_not_authenticated(access_store, clock, dana, bad_token):
    with pytest.raises(NotAuthenticated):
        who(access_store, clock, bad_token, require_terms=False)


# --- portal terms -------------------------------------------------------------------


def test_nothing_opens_before_the_portal_terms_are_accepted(access_store, clock, token):
    with pytest.raises(Forbidden) as forbidden:
        who(access_store, clock, token)
    assert forbidden.value.code == "terms_not_accepted"


def test_accepting_the_terms_opens_the_portal(access_store, clock, dana, token):
    accepted = accounts.accept_terms(access_store, clock, token, PORTAL_TERMS["version"])
    assert accepted == {"document": "portal", "version": PORTAL_TERMS["version"]}
    assert who(access_store, clock, token) == dana
    with access_store.reader() as session:
        assert accounts.has_accepted_terms(session, dana["id"])


def test_terms_are_accepted_once_per_account_not_per_session(access_store, clock, dana, token):
    accounts.accept_terms(access_store, clock, token, PORTAL_TERMS["version"])
    later = accounts.sign_in(access_store, clock, dana["email"], PASSWORD)["token"]
    assert who(access_store, clock, later) == dana


def test_accepting_twice_records_one_acceptance(access_store, clock, token):
    accounts.accept_terms(access_store, clock, token, PORTAL_TERMS["version"])
    accounts.accept_terms(access_store, clock, token, PORTAL_TERMS["version"])
    with access_store.reader() as session:
        assert session.scalar(select(func.count()).select_from(TermsAcceptance)) == 1


def test_an_old_terms_version_is_refused_and_opens_nothing(access_store, clock, token):
    with pytest.raises(InvalidInput) as invalid:
        accounts.accept_terms(access_store, clock, token, "2019-01")
    assert invalid.value.code == "unknown_terms_version"
    assert "version" in invalid.value.fields
    with pytest.raises(Forbidden):
        who(access_store, clock, token)


def test_accepting_terms_needs_a_live_session(access_store, clock, token):
    accounts.sign_out(access_store, clock, token)
    with pytest.raises(NotAuthenticated):
        accounts.accept_terms(access_store, clock, token, PORTAL_TERMS["version"])
