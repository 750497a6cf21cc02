"""deploy/compose.yaml, offline: docker-compose (Debian's, installed by `make test`) reads
it without error, and it runs every process of the system after the migrations."""
import os
import subprocess
from pathlib import Path

import yaml

from services.common.config import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = "/usr/bin/docker-compose"


def compose_config(path):
    assert os.path.exists(COMPOSE), "docker-compose is missing: `make test` installs it"
    env = dict(os.environ, CLEP_OPERATIONS_TOKEN="ops-token", CLEP_PARTNER_TOKEN="partner")
    return subprocess.run([COMPOSE, "-f", str(path), "config"], capture_output=True,
                          text=True, env=env, timeout=60, cwd=str(path.parent))


def test_the_compose_file_is_valid_and_runs_every_process():
    ran = compose_config(ROOT / "deploy/compose.yaml")
    assert ran.returncode == 0, ran.stderr
    services = yaml.safe_load(ran.stdout)["services"]
    assert set(services) == {"rabbitmq", "postgres", "migrate", "gateway", *SERVICE_NAMES}
    for name in ["gateway", *SERVICE_NAMES]:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}, name


def test_a_mistake_in_a_compose_file_is_caught(tmp_path):
    broken = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    broken["services"]["orders"]["restart_policy"] = "always"  # not a service key
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    ran = compose_config(tmp_path / "compose.yaml")
    assert ran.returncode != 0 and "restart_policy" in ran.stderr
