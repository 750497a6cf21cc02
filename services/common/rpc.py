"""nameko's `rpc` entrypoint, for every service: its request queue has the configured type
(services/common/queues.py), and a request that failed because the service's database is
away answers `ServiceUnavailable`.

The caller did nothing wrong and the same request will work once the database is back:
the gateway answers 503 with Retry-After (the CLIs say the service is unavailable) instead
of the driver's error, which would be a 500. The failure itself is still logged with its
traceback by nameko.
"""
import logging

from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.rpc import Rpc

from services.common.database import is_database_unavailable
from services.common.errors import ServiceUnavailable
from services.common.queues import TypedRpcConsumer

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class RequestConsumer(TypedRpcConsumer):
    """The service's request queue (of QUEUE_TYPE). A reply the broker will not take (the
    caller's reply queue was on a cluster node that just went down) is given up with one
    line: the caller times out, the request is acknowledged all the same, since its work
    is done and must not run again; nameko would let the error end the whole process."""

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except (KombuError, AMQPError, OSError) as undelivered:
            log.warning("%s: the reply to %s was not delivered (the caller will time out): %s",
                        self.container.service_name, message.delivery_info.get("routing_key"),
                        undelivered)
            self.queue_consumer.ack_message(message)
            return result, exc_info


class DatabaseAwareRpc(Rpc):
    rpc_consumer = RequestConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and is_database_unavailable(exc_info[1]):
            unavailable = ServiceUnavailable(
                message="The {} service cannot reach its database; try again shortly."
                .format(self.container.service_name), retry_after=RETRY_AFTER_SECONDS)
            exc_info = (ServiceUnavailable, unavailable, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = DatabaseAwareRpc.decorator
