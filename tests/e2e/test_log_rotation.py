"""The processes' log files rotate by size (CLEP_LOG_MAX_BYTES, CLEP_LOG_BACKUPS): a
client sending unknown tokens fills the access service's log, which is rotated into a
bounded number of files while the service keeps answering and logging."""
import secrets

import pytest

from scripts.sandbox import Sandbox
from tests.e2e.checks import error_of

MAX_BYTES = 4096
BACKUPS = 2


@pytest.fixture(scope="module")
def system_env(tmp_path_factory):
    with Sandbox("sqlite", data_dir=tmp_path_factory.mktemp("system")) as env:
        env.update(CLEP_LOG_MAX_BYTES=str(MAX_BYTES), CLEP_LOG_BACKUPS=str(BACKUPS))
        yield env


def test_a_full_log_file_is_rotated_into_a_bounded_number_of_files(system, portal):
    log = system.log_path("access")
    for _ in range(300):
        error_of(portal.get("/api/me", {"Authorization": "Bearer " + secrets.token_hex(8)}),
                 401)

    files = sorted(path.name for path in log.parent.glob("access.log*"))
    assert files == ["access.log", "access.log.1", "access.log.2"], files
    for number in (1, 2):
        rotated = log.with_name("access.log.{}".format(number))
        assert MAX_BYTES <= rotated.stat().st_size < 2 * MAX_BYTES
    assert log.stat().st_size < 2 * MAX_BYTES

    # the process writes on into the new file, and still answers
    before = log.stat().st_size
    error_of(portal.get("/api/me", {"Authorization": "Bearer unknown"}), 401)
    system.kill_process("access")  # its last words (none: SIGKILL) never reach old files
    system.start_process("access")
    system.wait_healthy(timeout=60)
    assert log.stat().st_size > before
    assert "access starting" in log.read_text()
