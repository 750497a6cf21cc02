"""SIGTERM to a `nameko run` process whose worker pool is full, with more requests waiting
for a worker, and every running worker ending in the same turn of the event loop: the
process answers every request and exits. With nameko's own container such a stop never
ends (eventlet's waitall() waits on an event the pool has replaced;
services/common/graceful.py): tests/unit/test_graceful_stop.py shows that on nameko's
container itself, deterministically; this is the same stop in a real process.

(A second case here once ran nameko's own container in a real process to show the hang;
in the whole suite, after the other end-to-end modules, that process sometimes never
answered at all, for reasons of its own: the in-process test shows the hang without it.)"""
import http.client
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from scripts.sandbox import free_port
from scripts.system import PROJECT_ROOT, default_python, nameko_command
from tests.e2e.checks import wait_for

POOL = 4
REQUESTS = POOL + 2


def test_sigterm_with_the_pool_full_answers_every_request_and_exits(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        nameko_command(default_python()) + ["run", "--config", "config.yaml",
                                            "tests.e2e.slow_http_service"],
        cwd=PROJECT_ROOT, stdout=(tmp_path / "slow.log").open("wb"), stderr=subprocess.STDOUT,
        env=dict(os.environ, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", CLEP_MAX_WORKERS=str(POOL),
                 CLEP_DRAIN_SECONDS="0", PYTHONWARNINGS="ignore", CLEP_LISTEN_FD=""))
    try:
        wait_for(lambda: answer(port, time.time()) == 200, timeout=90,
                 message=lambda: "it never answered: " + (tmp_path / "slow.log").read_text())
        moment = time.time() + 3
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(answer(port, moment)))
                   for _ in range(REQUESTS)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)  # POOL workers sleep until the moment, the rest wait for one
        process.send_signal(signal.SIGTERM)
        # the SIGTERM must come while the pool is full, or this test shows nothing
        assert time.time() < moment - 0.5, "the machine was too slow to reach the moment"
        for thread in threads:
            thread.join(timeout=10)
        try:
            returncode = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            returncode = None
        log = Path(tmp_path / "slow.log").read_text()
        assert answers == [200] * REQUESTS, log
        assert returncode == 0, log
    finally:
        process.kill()
        process.wait()


def answer(port, moment):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/until/{moment:.3f}")
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError as error:
        return repr(error)
    finally:
        connection.close()
