"""What every benchmark shares: a running system in a sandbox, a client, and the report."""
import contextlib
import os
import statistics
import time

from scripts.sandbox import Sandbox
from scripts.system import System
from tests.e2e.portal import Portal


@contextlib.contextmanager
def running_system(database="sqlite", voucher_workers=1, settings=None):
    """The system started in a sandbox; `settings` adds environment variables."""
    with Sandbox(database) as env:
        env.update(settings or {})
        system = System(env=env, voucher_workers=voucher_workers,
                        log_dir=os.path.join(env["CLEP_DATA_DIR"], "log"))
        system.start()
        try:
            system.wait_healthy(timeout=90)
            yield system, Portal(system.base_url, env["CLEP_OPERATIONS_TOKEN"],
                                 env["CLEP_PARTNER_TOKEN"])
        finally:
            system.stop()


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
        distance = "{:.0f}% of the target time".format(median / target * 100)
    print("  {:<58} median {:>8.3f}{unit}  best {:>8.3f}{unit}  target {}{}{unit}  {}  ({})".format(
        name, median, best, ">= " if higher_is_better else "< ", target,
        "MET" if met else "MISSED", distance, unit=unit), flush=True)
