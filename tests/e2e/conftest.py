"""End-to-end: the real processes (five services, the gateway) on a vhost of their own,
driven over HTTP with `requests`.

A test module gets one running system (starting one takes seconds); tests in it stay
independent by registering their own organizations and accounts. A module sets
`VOUCHER_WORKERS = n` for more vouchers processes and `DATABASE = "postgresql"` to put
every service on PostgreSQL.
"""
import os
import secrets
import socket
import subprocess
import sys
import uuid

import pytest

from scripts.system import PROJECT_ROOT, System
from services.common.config import SERVICE_NAMES
from tests.conftest import Databases
from tests.e2e.portal import Portal


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def system_env(request, rabbit_manager, tmp_path_factory):
    vhost = "clep_e2e_{}".format(uuid.uuid4().hex[:10])
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    data = tmp_path_factory.mktemp("system")
    env = {
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/{}".format(vhost),
        "WEB_SERVER_ADDRESS": "127.0.0.1:{}".format(free_port()),
        "CLEP_DATA_DIR": str(data),
        "CLEP_OPERATIONS_TOKEN": secrets.token_urlsafe(24),
        "CLEP_PARTNER_TOKEN": secrets.token_urlsafe(24),
        "CLEP_RPC_TIMEOUT": "3",
        "PYTHONWARNINGS": "ignore",
    }
    databases = Databases(getattr(request.module, "DATABASE", "sqlite"), data)
    if databases.kind == "postgresql":
        for name in SERVICE_NAMES:
            env["{}_DATABASE_URL".format(name.upper())] = databases.new_url(name)
    subprocess.run([sys.executable, "-m", "services.common.migrations"], cwd=PROJECT_ROOT,
                   env=dict(os.environ, **env), check=True, capture_output=True)
    yield env
    databases.drop_all()
    rabbit_manager.delete_vhost(vhost)


@pytest.fixture(scope="module")
def system(request, system_env):
    running = System(env=system_env, voucher_workers=getattr(request.module, "VOUCHER_WORKERS", 1),
                     log_dir=os.path.join(system_env["CLEP_DATA_DIR"], "log"))
    running.start()
    try:
        running.wait_healthy(timeout=90)
        yield running
    finally:
        running.stop()


@pytest.fixture
def portal(system, system_env):
    return Portal(system.base_url, system_env["CLEP_OPERATIONS_TOKEN"],
                  system_env["CLEP_PARTNER_TOKEN"])
