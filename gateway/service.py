"""The HTTP gateway: the JSON API and the coordinators' web portal, on one address.

Each API route is one method (in gateway/routes/, one module per area): parse and check
the input, ask the owning service, shape the answer. Each portal page is one method too
(in gateway/portal/): the same schemas and RPCs, answered as HTML. Business rules live in
the services.
"""
from nameko.dependency_providers import Config

from gateway.access_cache import CachedAccessRpc
from gateway.client_address import ClientAddress
from gateway.gathered_calls import Redemptions
from gateway.organization_years import OrganizationYears
from gateway.portal.account_pages import AccountPages
from gateway.portal.member_pages import MemberPages
from gateway.portal.order_pages import OrderPages
from gateway.portal.organization_pages import OrganizationPages
from gateway.portal.report_pages import ReportPages
from gateway.read_cache import CachedRpc
from gateway.routes.access import AccessRoutes
from gateway.routes.accounts import AccountRoutes
from gateway.routes.operations_events import OperationsEventRoutes
from gateway.routes.billing import BillingRoutes
from gateway.routes.members import MemberRoutes
from gateway.routes.orders import OrderRoutes
from gateway.routes.partners import PartnerRoutes
from gateway.routes.scores import ScoreRoutes
from gateway.routes.system import SystemRoutes
from gateway.score_views import ScoreViews
from gateway.rpc import TimedRpc
from services.common.gc_tuning import RareFullCollections
from services.common.probes import ProbeServer


class GatewayService(SystemRoutes, AccountRoutes, AccessRoutes, OrderRoutes, ScoreRoutes,
                     PartnerRoutes, BillingRoutes, OperationsEventRoutes, MemberRoutes,
                     AccountPages, OrganizationPages, OrderPages, ReportPages, MemberPages):
    name = "gateway"
    gc_tuning = RareFullCollections()  # no full-collection pauses mid-request
    # PROBE_ADDRESS: /metrics (gateway/request_metrics.py) off the public port; its
    # readiness stays on the public port (gateway/health.py)
    probes = ProbeServer()

    config = Config()
    client_address = ClientAddress()
    access = CachedAccessRpc()  # authorizations kept, forgotten on access_changed
    orders = CachedRpc("orders")  # hot reads kept, forgotten on the services' events
    vouchers = CachedRpc("vouchers")
    scores = TimedRpc("scores")
    billing = CachedRpc("billing")
    redemptions = Redemptions()  # those arriving together share one call to vouchers
    organization_years = OrganizationYears()  # kept per organization for the year selector
    score_views = ScoreViews()  # the scores list kept; each look recorded all the same
