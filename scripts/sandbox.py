"""An isolated place to run the whole system: its own RabbitMQ vhost, data directory,
databases (SQLite files, or fresh PostgreSQL databases), port and tokens, migrated.

Used by the end-to-end tests and the benchmarks:

    with Sandbox("postgresql") as env:
        System(env=env).start()
"""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import psycopg2
import requests

from scripts.system import PROJECT_ROOT

SERVICE_NAMES = ("access", "orders", "vouchers", "scores", "billing")
RABBIT_API = os.environ.get("CLEP_RABBIT_API", "http://guest:guest@127.0.0.1:15672/api")
AMQP_BASE = os.environ.get("CLEP_TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_ADMIN_DSN = os.environ.get("CLEP_TEST_POSTGRES_DSN",
                                    "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
POSTGRES_URL_BASE = os.environ.get("CLEP_TEST_POSTGRES_URL",
                                   "postgresql://postgres@127.0.0.1:5432/")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_admin(statement):
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def create_postgres_database(prefix):
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    postgres_admin(f'CREATE DATABASE "{name}"')
    return name, POSTGRES_URL_BASE + name


def drop_postgres_database(name):
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Sandbox:
    def __init__(self, database="sqlite", data_dir=None, *, amqp_base=AMQP_BASE,
                 rabbit_api=RABBIT_API, env=None):
        """`amqp_base`, `rabbit_api`: another broker (e.g. a private one a test restarts,
        or the ";"-separated nodes of a cluster);
        `env`: variables set before the migrations (e.g. one service's own database URL)."""
        assert database in ("sqlite", "postgresql")
        self.database = database
        self.amqp_base = amqp_base
        self.rabbit_api = rabbit_api
        self._extra_env = dict(env or {})
        self.vhost = f"clep_{uuid.uuid4().hex[:10]}"
        self._own_dir = data_dir is None
        self.data_dir = str(data_dir or tempfile.mkdtemp(prefix="clep-"))
        self._postgres = []
        self.env = {}

    def __enter__(self):
        self._rabbit("PUT", "/vhosts/" + self.vhost)
        self._rabbit("PUT", f"/permissions/{self.vhost}/guest",
                     json={"configure": ".*", "write": ".*", "read": ".*"})
        address = f"127.0.0.1:{free_port()}"
        self.env = {
            # a cluster's nodes are a ";"-separated list: the vhost goes on each
            "AMQP_URI": ";".join(base + self.vhost for base in self.amqp_base.split(";")),
            "WEB_SERVER_ADDRESS": address,
            "CLEP_PUBLIC_URL": f"http://{address}",  # the links in the mail it sends
            "CLEP_DATA_DIR": self.data_dir,
            "CLEP_OPERATIONS_TOKEN": secrets.token_urlsafe(24),
            "CLEP_PARTNER_TOKEN": secrets.token_urlsafe(24),
            "CLEP_RPC_TIMEOUT": "3",
            "PYTHONWARNINGS": "ignore",
        }
        self.env.update(self._extra_env)
        try:
            if self.database == "postgresql":
                for service in SERVICE_NAMES:
                    name, url = create_postgres_database(f"clep_{service}")
                    self._postgres.append(name)
                    self.env[f"{service.upper()}_DATABASE_URL"] = url
            subprocess.run([sys.executable, "-m", "services.common.migrations"],
                           cwd=PROJECT_ROOT, env=dict(os.environ, **self.env), check=True,
                           capture_output=True)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.env

    def __exit__(self, *exc_info):
        for name in self._postgres:
            drop_postgres_database(name)
        self._rabbit("DELETE", "/vhosts/" + self.vhost, missing_ok=True)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _rabbit(self, method, path, missing_ok=False, **kwargs):
        response = requests.request(method, self.rabbit_api + path,
                                    timeout=10, **kwargs)
        if not (response.ok or (missing_ok and response.status_code == 404)):
            response.raise_for_status()
