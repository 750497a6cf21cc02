"""RPC to the services with a deadline: a service that does not answer, or a broker that
cannot be reached, becomes a 503.

Requests are published with a message TTL equal to the timeout, so a request nobody
took in time is dropped by the broker instead of running late, after the caller gave up.
"""
import logging
from time import perf_counter

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy, ServiceProxy

from gateway.request_metrics import RPC_SECONDS
from services.common.broker import BROKER_UNREACHABLE  # the only I/O of an RPC call
from services.common.errors import ServiceUnavailable
from services.common.queues import ExclusiveReplyListener

log = logging.getLogger(__name__)



class TimedServiceProxy:
    def __init__(self, proxy, service_name, timeout):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, **kwargs):
            started = perf_counter()
            timeout = eventlet.Timeout(self._timeout)
            try:
                return method(*args, **kwargs)
            except eventlet.Timeout as expired:
                if expired is not timeout:
                    raise
                log.warning("%s.%s did not answer in %ss", self._service_name, method_name,
                            self._timeout)
                raise ServiceUnavailable(message="The {} service did not answer in time; "
                                                 "try again shortly.".format(self._service_name))
            except BROKER_UNREACHABLE as lost:
                log.warning("%s.%s: the message broker cannot be reached: %r",
                            self._service_name, method_name, lost)
                raise ServiceUnavailable(message="The message broker cannot be reached; try "
                                                 "again shortly.")
            except UnknownService:
                raise ServiceUnavailable(message="The {} service is not running; try again "
                                                 "shortly.".format(self._service_name))
            finally:
                timeout.cancel()
                RPC_SECONDS.observe((self._service_name, method_name), perf_counter() - started)
        return call


class TimedRpc(RpcProxy):
    """Like nameko's RpcProxy, with RPC_TIMEOUT_SECONDS from the config on every call,
    and a reply queue that can move to another node of a cluster."""

    rpc_reply_listener = ExclusiveReplyListener()

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS") or 5)
        proxy = ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                             expiration=timeout, **self.options)
        return TimedServiceProxy(proxy, self.target_service, timeout)
