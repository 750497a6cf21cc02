"""The scores service: exam results in, score reports out (built out in its own issue)."""
from nameko.rpc import rpc

from services.common.clock import ClockProvider
from services.common.database import Database
from services.common.service_health import check_database


class ScoresService:
    name = "scores"

    db = Database("scores")
    clock = ClockProvider()

    @rpc
    def health(self):
        return check_database(self.db)
