"""nameko's `rpc` entrypoint, for every service: a request that failed because the
service's database is away answers `ServiceUnavailable`.

The caller did nothing wrong and the same request will work once the database is back:
the gateway answers 503 with Retry-After (the CLIs say the service is unavailable) instead
of the driver's error, which would be a 500. The failure itself is still logged with its
traceback by nameko.
"""
from nameko.rpc import Rpc

from services.common.database import is_database_unavailable
from services.common.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5


class DatabaseAwareRpc(Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and is_database_unavailable(exc_info[1]):
            unavailable = ServiceUnavailable(
                message="The {} service cannot reach its database; try again shortly."
                .format(self.container.service_name), retry_after=RETRY_AFTER_SECONDS)
            exc_info = (ServiceUnavailable, unavailable, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = DatabaseAwareRpc.decorator
