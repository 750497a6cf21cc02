"""The HTTP gateway: authentication, input validation, HTTP <-> RPC, OpenAPI.

Each route is one method (in gateway/routes/, one module per area): parse and check the
input, ask the owning service, shape the answer. Business rules live in the services.
"""
from nameko.dependency_providers import Config

from gateway.routes.access import AccessRoutes
from gateway.routes.accounts import AccountRoutes
from gateway.routes.billing import BillingRoutes
from gateway.routes.orders import OrderRoutes
from gateway.routes.partners import PartnerRoutes
from gateway.routes.scores import ScoreRoutes
from gateway.routes.system import SystemRoutes
from gateway.rpc import TimedRpc


class GatewayService(SystemRoutes, AccountRoutes, AccessRoutes, OrderRoutes, ScoreRoutes,
                     PartnerRoutes, BillingRoutes):
    name = "gateway"

    config = Config()
    access = TimedRpc("access")
    orders = TimedRpc("orders")
    vouchers = TimedRpc("vouchers")
    scores = TimedRpc("scores")
    billing = TimedRpc("billing")
