"""The portal's pages: time to first byte and weight of Summary and Order History for an
organization with 50 orders, and the Order History pages per second the gateway serves to
16 browsers at once (issue 9 targets: under 100 KB a page with its assets; issue 11's: at
least 500 pages/s on the 2-core development machine)."""
import re
import time

import requests

from bench.harness import report, running_system, wrk_load
from gateway.browser_session import COOKIE_NAME
from scripts.system import DEFAULT_GATEWAY_WORKERS

ORDERS = 50
SAMPLES = 20
BROWSERS = 16
LOAD_SECONDS = 8


def signed_in_session(account):
    session = requests.Session()
    session.cookies.set(COOKIE_NAME, account.token)
    return session


def page_weight(session, base_url, path):
    """(seconds to first byte, bytes of the page and the assets it links)."""
    started = time.perf_counter()
    response = session.get(base_url + path, stream=True, timeout=30)
    first = next(response.iter_content(chunk_size=1))
    ttfb = time.perf_counter() - started
    html = first + response.raw.read()
    assert response.status_code == 200, response.status_code
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    return ttfb, len(html) + sum(len(session.get(base_url + asset.decode()).content)
                                 for asset in assets)


def pages_per_second(base_url, token, path):
    """16 keep-alive browsers asking for the page as fast as it comes, for LOAD_SECONDS.
    Returns (pages/s, p99 latency in seconds)."""
    return wrk_load(base_url + path, BROWSERS, LOAD_SECONDS,
                    headers=["Cookie: {}={}".format(COOKIE_NAME, token)])


def run():
    print("portal pages (SQLite, {} gateway processes, {} orders):".format(
        DEFAULT_GATEWAY_WORKERS, ORDERS), flush=True)
    with running_system("sqlite") as (system, portal):
        portal.set_fees()
        account, school = portal.coordinator_of()
        placed = [portal.place_order(account, school["id"], quantity=1).json()
                  for _ in range(ORDERS)]
        portal.wait_until_fulfilled(account, school["id"], placed[-1]["id"])
        session = signed_in_session(account)
        base = system.base_url
        pages = {"Summary": "/organizations/{}".format(school["id"]),
                 "Order History": "/organizations/{}/orders".format(school["id"])}
        for name, path in pages.items():
            page_weight(session, base, path)  # warm up
            samples = [page_weight(session, base, path) for _ in range(SAMPLES)]
            report("{}: time to first byte".format(name), [s[0] for s in samples], 0.1)
            report("{}: page and assets".format(name), [s[1] / 1024 for s in samples], 100,
                   unit=" KB")
        rate, p99 = pages_per_second(base, account.token, pages["Order History"])
        report("Order History, {} browsers at once".format(BROWSERS), [rate], 500,
               unit=" pages/s", higher_is_better=True)
        print("  (p99 latency under that load: {:.0f} ms)".format(p99 * 1000), flush=True)
