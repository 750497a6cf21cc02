"""`python -m services.common.migrations --wait`: a pod's wait for the migration Job."""
import subprocess
import sys

from services.common.migrations import is_at_head, upgrade


def test_a_database_is_at_head_only_once_migrated(databases):
    url = databases.new_url("orders")
    assert not is_at_head("orders", url)
    upgrade("orders", url)
    assert is_at_head("orders", url)


def test_wait_returns_once_the_migrations_ran(databases, tmp_path):
    url = databases.new_url("scores")
    env = {"SCORES_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "CLEP_DATA_DIR": str(tmp_path)}
    waiting = subprocess.Popen([sys.executable, "-m", "services.common.migrations", "--wait",
                                "scores"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        waiting.wait(timeout=3)
        raise AssertionError("--wait returned before the database was migrated")
    except subprocess.TimeoutExpired:
        pass
    upgrade("scores", url)  # the migration Job
    assert waiting.wait(timeout=30) == 0
    assert "scores is at its latest schema" in waiting.stdout.read()
