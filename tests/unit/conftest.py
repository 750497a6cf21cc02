"""Unit-test fixtures: a frozen program clock and migrated SQLite stores, no broker.

The root conftest (tests/conftest.py) has already monkey-patched eventlet and provides
`sqlite_databases`; `migrated_store` is a plain helper there, imported here. Each
service's database is migrated once per run with it and copied for every test (running
Alembic per test would triple the suite's time).
"""
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.common.clock import Clock
from services.common.database import Store
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


class MigratedTemplates:
    """One freshly migrated SQLite file per service, made on first use."""

    def __init__(self, directory):
        self.directory = directory
        self.paths = {}

    def path(self, service_name):
        if service_name not in self.paths:
            path = self.directory / "{}.db".format(service_name)
            migrated_store(service_name, "sqlite:///{}".format(path)).dispose()
            assert not Path(str(path) + "-wal").exists()  # everything is in the main file
            self.paths[service_name] = path
        return self.paths[service_name]


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    return MigratedTemplates(tmp_path_factory.mktemp("migrated"))


def _fresh_store(templates, databases, service_name, clock):
    url = databases.new_url(service_name)
    shutil.copyfile(templates.path(service_name), url.split("///", 1)[1])
    return Store(url, clock.now)


@pytest.fixture
def orders_store(migrated_templates, sqlite_databases, clock):
    store = _fresh_store(migrated_templates, sqlite_databases, "orders", clock)
    yield store
    store.dispose()


@pytest.fixture
def access_store(migrated_templates, sqlite_databases, clock):
    store = _fresh_store(migrated_templates, sqlite_databases, "access", clock)
    yield store
    store.dispose()


@pytest.fixture
def vouchers_store(migrated_templates, sqlite_databases, clock):
    store = _fresh_store(migrated_templates, sqlite_databases, "vouchers", clock)
    yield store
    store.dispose()
