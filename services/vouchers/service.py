"""The vouchers service: voucher codes, their generation, and their life.

Scale it by running more processes: every process consumes the same chunk queue.
RPC: `csv_page`, `usage`. Consumes `order_placed` (orders) and its own
`generation_chunk_queued`; emits `generation_chunk_queued`, `voucher_chunk_generated`,
`vouchers_generated`.
"""
from nameko.rpc import rpc

from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.events import consumes
from services.common.service_health import check_database
from services.vouchers import generation, listing


class VouchersService:
    name = "vouchers"

    db = Database("vouchers")
    clock = ClockProvider()

    @rpc
    def health(self):
        return check_database(self.db)

    @consumes("orders", "order_placed")
    def plan_generation(self, event):
        """Split the order into chunk tasks on the shared work queue."""
        with self.db.transaction() as work:
            if work.first_delivery(event["event_id"], "plan_generation"):
                generation.plan_generation(work, self.clock, event)

    @consumes("vouchers", "generation_chunk_queued")
    def generate_chunk(self, event):
        """Make one chunk of codes; the last chunk emits `vouchers_generated`."""
        generation.generate_chunk(self.db, self.clock, event["batch_id"], event["chunk_no"])

    @rpc
    def csv_page(self, organization_id, order_id, after_code=None, limit=listing.MAX_PAGE):
        """One page of an order's codes for the CSV download, in code order."""
        with self.db.reader() as session:
            return listing.csv_page(session, organization_id, order_id, after_code, limit)

    @rpc
    def usage(self, organization_id, order_id, status=None, page=1, per_page=100):
        """How many of the order's codes are unused, redeemed, used, cancelled, expired."""
        with self.db.reader() as session:
            return listing.usage(session, organization_id, order_id, status, page, per_page)
