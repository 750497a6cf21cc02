"""The README's run command, as a newcomer uses it: `python scripts/system.py run` (what
`make run` runs) comes up, seeds the demo data, then says it is up; the demo coordinator
signs in in the portal and finds the demo order. Fees operations set as soon as /health
answers stay theirs; a service that crashes is started again; a new academic year gets the
new year's codes and access."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, time as daytime, timedelta
from zoneinfo import ZoneInfo

import requests

from scripts.sandbox import Sandbox
from scripts.system import PROJECT_ROOT
from services.common.clock import Clock
from tests.e2e.checks import error_of, wait_for

DEMO_EMAIL, DEMO_PASSWORD = "coordinator@demo.example.org", "demo-password-2026"
YEAR = Clock().academic_year()


class RunCommand:
    """`scripts/system.py run` in a sandbox, its output read as it comes (by a thread, so
    that waiting for a line that never comes ends at the timeout)."""

    def __init__(self, env):
        self.env = env
        self.base = "http://" + env["WEB_SERVER_ADDRESS"]
        self.process = subprocess.Popen(
            [sys.executable, "scripts/system.py", "run"], cwd=PROJECT_ROOT,
            env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.printed = ""
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read_until(self, marker, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError("no {!r} in the run command's output:\n{}".format(
                    marker, self.printed))
            self.printed += line
            if marker in line:
                return self.printed

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.printed += line
        return code

    def sign_in(self):
        answer = requests.post(self.base + "/api/sessions", timeout=10,
                               json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert answer.status_code == 201, answer.text
        return {"Authorization": "Bearer " + answer.json()["token"]}

    def pid(self, name):
        return int(re.search(r"\b{} \((\d+)\)".format(name), self.printed).group(1))


def set_fees_once_healthy(base, env, year, fees):
    """Operations, polling /health and setting the year's fees the moment it answers. While
    the services start, /health may take its full answer time (3 s) to say 503."""
    def run():
        while True:
            try:
                if requests.get(base + "/health", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.05)
        answers.append(requests.put(
            base + "/api/admin/fees/" + str(year), timeout=10, json=fees,
            headers={"Authorization": "Bearer " + env["CLEP_OPERATIONS_TOKEN"]}))
    answers = []
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answers


def test_the_run_command_serves_the_portal_with_the_demo_coordinator(tmp_path):
    fees = {"exam_fee_cents": 11100, "remote_proctoring_fee_cents": 2200}
    with Sandbox(data_dir=tmp_path) as env:
        setter, answers = set_fees_once_healthy("http://" + env["WEB_SERVER_ADDRESS"], env,
                                                YEAR, fees)
        run = RunCommand(env)
        try:
            printed = run.read_until("is up")
            assert "Demo coordinator" in printed  # the seed has finished before "is up"
            printed = run.read_until("Press Ctrl-C")
            assert re.search(r"Portal:\s+{}/".format(re.escape(run.base)), printed), printed
            assert DEMO_EMAIL in printed and DEMO_PASSWORD in printed
            setter.join(timeout=30)
            assert answers and answers[0].status_code == 200, answers

            browser = requests.Session()
            assert "Sign in" in browser.get(run.base + "/", timeout=10).text
            signed_in = browser.post(run.base + "/sign-in", timeout=10,
                                     headers={"Origin": run.base},
                                     data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            assert signed_in.status_code == 200 and "Cass Technical High School" in signed_in.text
            history = browser.get(signed_in.url + "/orders", timeout=10)
            assert "Order 1" in history.text and "DEMO-PO-1" in history.text

            # the fees operations set stay, the seed's did not overwrite them
            me = run.sign_in()
            [school] = requests.get(run.base + "/api/me", headers=me,
                                    timeout=10).json()["organizations"]
            quote = requests.get(run.base + f"/api/organizations/{school['id']}/order-quote",
                                 headers=me, timeout=10).json()
            assert {key: quote[key] for key in fees} == fees
            again = requests.put(run.base + f"/api/admin/fees/{YEAR}", timeout=10, headers={
                "Authorization": "Bearer " + env["CLEP_OPERATIONS_TOKEN"]}, json={
                "exam_fee_cents": 1, "remote_proctoring_fee_cents": 1, "only_if_unset": True})
            assert error_of(again, 409)["code"] == "fees_already_set"

            # a service that crashes comes back by itself, and answers
            os.kill(run.pid("access"), signal.SIGKILL)
            run.read_until("access exited unexpectedly")
            restarted = run.read_until("Restarted access")
            assert re.search(r"access exited unexpectedly \(exit code -9\); restarting it in "
                             r"1s", restarted), restarted
            wait_for(lambda: requests.post(run.base + "/api/sessions", timeout=10, json={
                "email": DEMO_EMAIL, "password": DEMO_PASSWORD}).status_code == 201,
                timeout=60, interval=0.5, message="access answers again")
        finally:
            code = run.stop()
        assert code == 0, run.printed


def test_a_new_academic_year_seeds_its_codes_and_the_demo_coordinators_access(tmp_path):
    next_year = YEAR.next()
    with Sandbox(data_dir=tmp_path) as env:
        run = RunCommand(env)
        try:
            first = run.read_until("Press Ctrl-C")
        finally:
            assert run.stop() == 0
        codes = dict(re.findall(r"(Cass Technical High School): .*access code (\S+) \(" +
                                str(YEAR), first))
        assert codes, first

        moved = datetime.combine(next_year.first_day + timedelta(days=9), daytime(10),
                                 ZoneInfo("America/New_York"))
        run = RunCommand(dict(env, CLEP_CLOCK_NOW=moved.isoformat()))
        try:
            printed = run.read_until("Press Ctrl-C")
            school = re.search(r"Cass Technical High School: .*access code (\S+) \((\S+)\)",
                               printed)
            assert school and school.group(2) == str(next_year), printed
            assert school.group(1) != codes["Cass Technical High School"]
            assert f"has access to Cass Technical High School for {next_year}" in printed
            me = run.sign_in()
            [held] = requests.get(run.base + "/api/me", headers=me,
                                  timeout=10).json()["organizations"]
            assert (held["name"], held["academic_year"], held["access"]) == (
                "Cass Technical High School", str(next_year), "manage")
            orders = requests.get(run.base + f"/api/organizations/{held['id']}/orders",
                                  headers=me, timeout=10,
                                  params={"academic_year": str(next_year)}).json()["orders"]
            assert [order["quantity"] for order in orders] == [25]
        finally:
            assert run.stop() == 0, run.printed
