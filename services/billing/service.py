"""The billing service: bills exams taken, never unused vouchers (built out in its own issue)."""
from nameko.rpc import rpc

from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.service_health import check_database


class BillingService:
    name = "billing"

    db = Database("billing")
    clock = ClockProvider()

    @rpc
    def health(self):
        return check_database(self.db)
