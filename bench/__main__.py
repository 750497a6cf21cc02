"""Benchmarks: `make bench` (or `python -m bench [name ...]`) prints each figure with its
target and how far it is from it. Each benchmark starts the real system in a sandbox of
its own (vhost, data directory, databases) and drives it over HTTP, as a user would.
"""
import sys

from bench import (billing, health, hot_reads, order_history, orders, portal, redemptions,
                   scores, sign_in_flood, vouchers)

BENCHMARKS = {
    "orders": orders.run,
    "vouchers": vouchers.run,
    "redemptions": redemptions.run,
    "scores": scores.run,
    "billing": billing.run,
    "portal": portal.run,
    "sign_in_flood": sign_in_flood.run,
    "health": health.run,
    "order_history": order_history.run,
    "hot_reads": hot_reads.run,
}


def main(names):
    for name in names or BENCHMARKS:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
