"""The README's run command, as a newcomer uses it: `python scripts/system.py run` (what
`make run` runs) comes up, prints the portal's address, seeds the demo data, and the demo
coordinator signs in in the portal and finds the demo order (issue 9)."""
import os
import re
import signal
import subprocess
import sys
import time

import requests

from scripts.sandbox import Sandbox
from scripts.system import PROJECT_ROOT

DEMO_EMAIL, DEMO_PASSWORD = "coordinator@demo.example.org", "demo-password-2026"


def read_until(process, marker, timeout=120):
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError("no {!r} in the run command's output:\n{}".format(marker, "".join(lines)))


def test_the_run_command_serves_the_portal_with_the_demo_coordinator(tmp_path):
    with Sandbox(data_dir=tmp_path) as env:
        run = subprocess.Popen([sys.executable, "scripts/system.py", "run"], cwd=PROJECT_ROOT,
                               env=dict(os.environ, **env), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        try:
            printed = read_until(run, "is up")
            printed += read_until(run, "Press Ctrl-C")
            base = "http://" + env["WEB_SERVER_ADDRESS"]
            assert re.search(r"Portal:\s+{}/".format(re.escape(base)), printed), printed
            assert DEMO_EMAIL in printed and DEMO_PASSWORD in printed

            browser = requests.Session()
            assert "Sign in" in browser.get(base + "/", timeout=10).text
            signed_in = browser.post(base + "/sign-in", timeout=10, headers={"Origin": base},
                                     data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            assert signed_in.status_code == 200 and "Cass Technical High School" in signed_in.text
            history = browser.get(signed_in.url + "/orders", timeout=10)
            assert "Order 1" in history.text and "DEMO-PO-1" in history.text
        finally:
            run.send_signal(signal.SIGTERM)
            run.communicate(timeout=60)
        assert run.returncode == 0
