"""What every benchmark shares: a running system in a sandbox, a client, and the report."""
import contextlib
import os
import re
import statistics
import subprocess
import time
import urllib.parse

import requests

from scripts.sandbox import RABBIT_API, Sandbox
from scripts.system import DEFAULT_GATEWAY_WORKERS, System
from tests.e2e.portal import Portal


@contextlib.contextmanager
def running_system(database="sqlite", voucher_workers=1, settings=None,
                   gateway_workers=DEFAULT_GATEWAY_WORKERS):
    """The system started in a sandbox, with as many gateway processes as `make run`;
    `settings` adds environment variables."""
    with Sandbox(database) as env:
        env.update(settings or {})
        system = System(env=env, voucher_workers=voucher_workers,
                        gateway_workers=gateway_workers,
                        log_dir=os.path.join(env["CLEP_DATA_DIR"], "log"))
        system.start()
        try:
            system.wait_healthy(timeout=90)
            yield system, Portal(system.base_url, env["CLEP_OPERATIONS_TOKEN"],
                                 env["CLEP_PARTNER_TOKEN"])
        finally:
            system.stop()


def wait_until_consumed(system, timeout=300):
    """Seconds until every queue of the system's vhost is empty (its consumers have applied
    every event), so that what is timed next does not race that backlog. The management
    API's counts lag a few seconds: empty twice in a row counts."""
    vhost = urllib.parse.quote(system.env["AMQP_URI"].rsplit("/", 1)[1], safe="")
    started, empty_polls = time.perf_counter(), 0
    while empty_polls < 2 and time.perf_counter() - started < timeout:
        queues = requests.get("{}/queues/{}".format(RABBIT_API, vhost), timeout=10).json()
        empty_polls = empty_polls + 1 if all(q.get("messages", 0) == 0 for q in queues) else 0
        time.sleep(1)
    return time.perf_counter() - started


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def report(name, samples, target, unit="s", higher_is_better=False):
    """One line: the median and best of the samples against the target."""
    median = statistics.median(samples)
    best = max(samples) if higher_is_better else min(samples)
    met = median >= target if higher_is_better else median <= target
    if higher_is_better:
        distance = "{:+.0f}% of target".format((median / target - 1) * 100)
    else:
        distance = "{:.0f}% of the target".format(median / target * 100)
    print("  {:<58} median {:>8.3f}{unit}  best {:>8.3f}{unit}  target {}{}{unit}  {}  ({})".format(
        name, median, best, ">= " if higher_is_better else "< ", target,
        "MET" if met else "MISSED", distance, unit=unit), flush=True)


WRK_THREADS = 2


def wrk_load(url, connections, seconds, headers=(), script=None, script_args=()):
    """`connections` keep-alive clients asking for `url` as fast as it comes, driven by
    wrk (`make bench` installs it): a load generator that takes little of the two cores
    the system itself needs; `script`, a Lua file of bench/ that makes the requests, with
    its `script_args`. Returns (requests/s, p99 latency in seconds); every answer must be
    a 2xx."""
    command = ["wrk", "-t{}".format(WRK_THREADS), "-c{}".format(connections),
               "-d{}s".format(seconds), "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", os.path.join(os.path.dirname(__file__), script)]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    ran = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "Non-2xx" not in ran, ran
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", ran).group(1))
    p99, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", ran).groups()
    return rate, float(p99) / {"us": 1e6, "ms": 1e3, "s": 1}[unit]
