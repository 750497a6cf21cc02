"""Root of the test suite: eventlet patches the world before anything else imports.

Fixtures here give each test real parts of its own: a fresh RabbitMQ vhost (nameko's
`rabbit_config`), a fresh database per service on SQLite or PostgreSQL (`database_url`,
parametrised so database tests run on both), and the config a service container needs.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - before anything else imports

import uuid  # noqa: E402

import pytest  # noqa: E402

from scripts.sandbox import create_postgres_database, drop_postgres_database  # noqa: E402
from services.common.clock import Clock  # noqa: E402
from services.common.database import Store  # noqa: E402
from services.common.migrations import upgrade  # noqa: E402


class Databases:
    """Makes fresh databases for a test and drops the PostgreSQL ones afterwards."""

    def __init__(self, kind, directory):
        self.kind = kind
        self.directory = directory
        self._created = []

    def new_url(self, name):
        if self.kind == "sqlite":
            return f"sqlite:///{self.directory}/{name}-{uuid.uuid4().hex[:6]}.db"
        database, url = create_postgres_database(f"clep_test_{name}")
        self._created.append(database)
        return url

    def drop_all(self):
        for database in self._created:
            drop_postgres_database(database)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """Fresh databases, once on SQLite and once on PostgreSQL."""
    made = Databases(request.param, tmp_path)
    yield made
    made.drop_all()


@pytest.fixture
def sqlite_databases(tmp_path):
    return Databases("sqlite", tmp_path)


def migrated_store(service_name, url, clock=None):
    """A `Store` on a freshly migrated database of one service."""
    upgrade(service_name, url)
    return Store(url, (clock or Clock()).now)


def service_config(rabbit_config, tmp_path, database_urls, **extra):
    """The config a service container would read from config.yaml, for one test."""
    config = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DATA_DIR": str(tmp_path),
        "DATABASE_URLS": database_urls,
        "TIME_ZONE": "America/New_York",
        "RPC_TIMEOUT_SECONDS": 5,
        "max_workers": 10,
    }
    config.update(extra)
    return config
