"""Making a fault land in the middle of a service's work, not before or after it.

A test holds a row the service's next step needs (a transaction of its own, on
PostgreSQL) and waits until the service waits on it: whatever it then does to the service
or the broker happens while that work is half done.
"""
import contextlib

import pytest

from tests.e2e.checks import wait_for
from tests.e2e.service_db import held, scalar, waiting_on_a_lock


def wait_until_blocked(system_env, service):
    wait_for(lambda: waiting_on_a_lock(system_env, service), timeout=60,
             message=f"{service} never reached the row the test holds")


@contextlib.contextmanager
def order_half_made(portal, system_env, account, organization_id, quantity=10000,
                    attempts=5):
    """Place an order and hold one of its chunks that is not made yet, once at least one
    other chunk is made; yields (order, batch_id) while the vouchers service waits on the
    held chunk. Needs VOUCHER_CHUNK_PREFETCH=1 (one chunk at a time): should every chunk
    be made or being made before the test gets to them, another order is placed."""
    for _attempt in range(attempts):
        order = portal.place_order(account, organization_id, quantity=quantity).json()
        batch_id = wait_for(lambda: scalar(
            system_env, "vouchers", "SELECT id FROM voucher_batches WHERE order_id = :o"
            " AND chunks_done >= 1", o=order["id"]), interval=0.005)
        with held(system_env, "vouchers",
                  "SELECT chunk_no FROM generation_chunks WHERE batch_id = :b"
                  " AND generated_at IS NULL FOR UPDATE SKIP LOCKED", b=batch_id) as pending:
            if pending.all():
                wait_until_blocked(system_env, "vouchers")
                yield order, batch_id
                return
    pytest.fail(f"could not hold a chunk of a {quantity}-voucher order before it was made")
