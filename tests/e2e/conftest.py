"""End-to-end: the real processes (five services, the gateway) in a sandbox of their own
(vhost, data directory, databases), driven over HTTP with `requests`.

A test module gets one running system (starting one takes seconds); tests in it stay
independent by registering their own organizations and accounts. A module sets
`VOUCHER_WORKERS = n` for more vouchers processes, `GATEWAY_WORKERS = n` for more gateway
processes (sharing the port), `SETTINGS = {...}` for environment variables of its own,
and `DATABASE = "postgresql"` to put every service on PostgreSQL, and `MAIL = True` for the
system to mail through the module's `smtp` server.
"""
import os
from unittest import mock

import pytest

from scripts.sandbox import Sandbox
from scripts.system import System
from services.common.config import load_config, public_url as configured_public_url
from tests.e2e.portal import Portal
from tests.mail import SmtpServer


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    """A real SMTP server (aiosmtpd on loopback) for the module's system to mail through
    (a module sets MAIL = True)."""
    with SmtpServer(tmp_path_factory.mktemp("smtp")) as sink:
        yield sink


@pytest.fixture(scope="module")
def system_env(request, tmp_path_factory):
    mail = request.getfixturevalue("smtp") if getattr(request.module, "MAIL", False) else None
    with Sandbox(getattr(request.module, "DATABASE", "sqlite"),
                 data_dir=tmp_path_factory.mktemp("system")) as env:
        env.update(getattr(request.module, "SETTINGS", {}))
        if mail is not None:
            env.update(CLEP_SMTP_HOST=mail.host, CLEP_SMTP_PORT=str(mail.port))
        yield env


@pytest.fixture(scope="module")
def system(request, system_env):
    running = System(env=system_env, voucher_workers=getattr(request.module, "VOUCHER_WORKERS", 1),
                     gateway_workers=getattr(request.module, "GATEWAY_WORKERS", 1),
                     log_dir=os.path.join(system_env["CLEP_DATA_DIR"], "log"))
    running.start()
    try:
        running.wait_healthy(timeout=90)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def public_url(system_env):
    """PUBLIC_URL as the system's processes read it (config.yaml with their environment):
    the base of every link in the mail they send."""
    with mock.patch.dict(os.environ, system_env):
        return configured_public_url(load_config())


@pytest.fixture
def portal(system, system_env):
    return Portal(system.base_url, system_env["CLEP_OPERATIONS_TOKEN"],
                  system_env["CLEP_PARTNER_TOKEN"])
