"""Unit-test fixtures: a frozen program clock and migrated SQLite stores, no broker.

The root conftest (tests/conftest.py) has already monkey-patched eventlet and provides
`sqlite_databases`; `migrated_store` is a plain helper there, imported here.
"""
from datetime import datetime, timezone

import pytest

from services.common.clock import Clock
from tests.conftest import migrated_store

# A Thursday in mid-October 2026, 11:00 in New York: academic year 2026-27.
DEFAULT_NOW = datetime(2026, 10, 15, 15, 0, tzinfo=timezone.utc)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    """A frozen clock in America/New_York; move it by assigning `clock.frozen_at`.

    Stores built by the fixtures below read this same clock, so moving it moves them too.
    """
    return Clock("America/New_York", frozen_at=DEFAULT_NOW)


@pytest.fixture
def orders_store(sqlite_databases, clock):
    store = migrated_store("orders", sqlite_databases.new_url("orders"), clock)
    yield store
    store.dispose()


@pytest.fixture
def access_store(sqlite_databases, clock):
    store = migrated_store("access", sqlite_databases.new_url("access"), clock)
    yield store
    store.dispose()


@pytest.fixture
def vouchers_store(sqlite_databases, clock):
    store = migrated_store("vouchers", sqlite_databases.new_url("vouchers"), clock)
    yield store
    store.dispose()
