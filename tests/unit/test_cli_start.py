"""The operations command lines print what they did, not eventlet's deprecation notice."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["access", "billing", "scores"])
def test_a_command_line_prints_no_eventlet_deprecation_notice(service):
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("EVENTLET_TESTS", "PYTHONWARNINGS")}
    done = subprocess.run([sys.executable, "-m", f"services.{service}.cli", "--help"],
                          cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    assert done.stderr == ""
