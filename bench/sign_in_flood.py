"""A sign-in flood with unknown emails from many addresses (issue 10: it took the access
service from 82 MB to 569 MB and every authenticated read to about 1 s): the time of an
authenticated read during the flood, and how far the access service's memory rises."""
import concurrent.futures
import threading
import uuid

from bench.harness import report, running_system, timed
from bench.process_memory import RssGrowth

FLOODERS = 32
READS = 40


def run():
    print("sign-in flood ({} clients at once, unknown emails, SQLite):".format(FLOODERS),
          flush=True)
    # the benchmark is the proxy: each flooder has an address of its own
    with running_system("sqlite", settings={"CLEP_TRUSTED_PROXIES": "127.0.0.1"}) as (
            system, portal):
        account = portal.new_account()

        def read():
            seconds, answer = timed(lambda: portal.get("/api/me", account.headers))
            assert answer.status_code == 200, answer.text
            return seconds

        quiet = [read() for _ in range(READS)]
        report("authenticated read (GET /api/me), quiet", quiet, 0.05)
        stop = threading.Event()

        def flood(n):
            sent = 0
            while not stop.is_set():
                portal.post("/api/sessions", {"X-Forwarded-For": "198.18.{}.{}".format(
                    n, sent % 250 + 1)}, json={"email": "{}@example.org".format(
                        uuid.uuid4().hex), "password": "a guess at a password"})
                sent += 1

        with RssGrowth(system.processes["access"].pid) as growth, \
                concurrent.futures.ThreadPoolExecutor(FLOODERS) as pool:
            for n in range(FLOODERS):
                pool.submit(flood, n)
            try:
                flooded = [read() for _ in range(READS)]
            finally:
                stop.set()
        report("authenticated read during the flood", flooded, 0.25)
        report("access service memory growth during the flood", [growth.growth_mb], 100,
               unit=" MB")
