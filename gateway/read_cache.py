"""The hot reads of the portal and the API, kept in each gateway process.

A coordinator's pages read the same few things again and again (order history, an order,
the quote, the voucher counts and usage, the invoices), and each read was an RPC. Answers now stay
in the gateway process that asked, per organization, until an event of the owning
service says that organization's data changed; every gateway process hears those events
on its own queue (gateway/notices.py). Why a cache here rather than read models fed by
events: the services keep their rules and their views in one place (a read model would
copy the views, and every rule that shapes them, into the gateway), and a cache that
starts empty needs no backfill, no migration and no replay when a view changes.

How long a change can go unnoticed: not at all on the process that made it (a change the
gateway sends, an order placed or a PO changed, forgets that organization's answers
before it answers: read-your-writes); on every other, the milliseconds the event takes
after the commit; whatever happens, no longer than CACHE_SECONDS. A change an event does
not announce (a day passing: the quote's earliest expiration date) is in the key.

The scores list is kept too (gateway/score_views.py), but every look at scores is
recorded: when it is answered from what was kept, the record goes to the scores service
as a `scores_viewed` event instead of in the RPC.
"""
import json

from nameko.extensions import SharedExtension

from gateway.kept_answers import KeptAnswers, configured_max_age
from gateway.notices import NoticeListener
from gateway.rpc import TimedRpc
from services.common.clock import Clock

EVERY_ORGANIZATION = "*"

# (service, RPC) kept -> the area of the organization's data the answer belongs to
KEPT_READS = {
    ("orders", "list_orders"): "orders",
    ("orders", "get_order"): "orders",
    ("orders", "quote"): "quote",
    ("billing", "list_invoices"): "invoices",
    ("billing", "get_invoice"): "invoices",
    ("vouchers", "usage_summary"): "vouchers",
    ("vouchers", "usage"): "vouchers",
    ("vouchers", "legacy_usage"): "vouchers",
    ("scores", "list_scores"): "scores",
}

# (service, event) -> the area it changes, for the payload's `organization_id` (none or
# null: every organization's)
CHANGED_BY = {
    ("orders", "order_placed"): "orders",
    ("orders", "po_number_changed"): "orders",
    ("orders", "order_changed"): "orders",
    ("orders", "fees_set"): "quote",
    ("billing", "invoice_issued"): "invoices",
    ("billing", "invoice_changed"): "invoices",
    ("vouchers", "voucher_chunk_generated"): "vouchers",
    ("vouchers", "vouchers_generated"): "vouchers",
    ("vouchers", "registration_cancelled"): "vouchers",
    ("vouchers", "vouchers_changed"): "vouchers",
    ("scores", "scores_changed"): "scores",
}

# (service, RPC) sent by the gateway -> (area it changes, the organization it changes it
# for, from the call's arguments; None: every organization's)
CHANGES = {
    ("orders", "place_order"): ("orders", lambda principal, *rest: principal[
        "organization"]["id"]),
    ("orders", "change_po_number"): ("orders", lambda organization_id, *rest:
                                     organization_id),
    ("orders", "set_fees"): ("quote", None),
    ("vouchers", "import_legacy_vouchers"): ("vouchers", lambda organization_id, *rest:
                                             organization_id),
    **{("vouchers", method): ("vouchers", lambda organization_id, *rest: organization_id)
       for method in ("assign_voucher", "unassign_voucher", "assign_next_vouchers",
                      "upload_assignments")},
    ("vouchers", "close_academic_year"): ("vouchers", None),
}


def organization_of(arguments):
    """Every kept read names its organization first: its id, the organization (quote), or
    the caller's authorization for it (scores)."""
    first = arguments[0]
    if not isinstance(first, dict):
        return first
    return first["organization"]["id"] if "organization" in first else first["id"]


class ReadCache(KeptAnswers):
    """Kept answers by (service, RPC, arguments, today), owned by (area, organization)
    and by (area, every organization)."""

    def __init__(self, clock, max_age, **options):
        super().__init__(max_age, **options)
        self.clock = clock

    @property
    def bindings(self):
        return {source: self._on_event(source) for source in CHANGED_BY}

    def _on_event(self, source):
        area = CHANGED_BY[source]

        def forget(event):
            organization_id = event.get("organization_id")
            self.forget_area(area, EVERY_ORGANIZATION if organization_id is None
                             else int(organization_id))
        return forget

    def forget_area(self, area, organization_id=EVERY_ORGANIZATION):
        self.forget([(area, organization_id)])

    def read(self, service, method, call, arguments):
        return self.read_noting(service, method, call, arguments)[0]

    def read_noting(self, service, method, call, arguments):
        """`read`, and whether the answer was kept (False: `call` answered it)."""
        area = KEPT_READS[(service, method)]
        key = (service, method, json.dumps(arguments, sort_keys=True, default=str),
               self.clock.today())
        answer = self.lookup(key)
        if answer is not None:
            return answer, True
        asked_at = self.generation
        answer = call(*arguments)
        self.keep(key, answer, asked_at, {(area, organization_of(arguments)),
                                          (area, EVERY_ORGANIZATION)})
        return answer, False


class CachedReadsProxy:
    """A service as the gateway's workers call it: its kept reads from the cache, its
    changes forgetting what they change in this process; the rest passes through."""

    def __init__(self, proxy, service, cache):
        self._proxy = proxy
        self._service = service
        self._cache = cache

    def __getattr__(self, method_name):
        call = getattr(self._proxy, method_name)
        source = (self._service, method_name)
        if source in KEPT_READS:
            return lambda *args: self._cache.read(self._service, method_name, call, args)
        if source in CHANGES:
            area, organization_of_change = CHANGES[source]

            def change(*args, **kwargs):
                try:
                    return call(*args, **kwargs)
                finally:
                    if organization_of_change is None:
                        self._cache.forget_area(area)
                    else:
                        self._cache.forget_area(area, organization_of_change(*args))
            return change
        return call


class ProcessReadCache(SharedExtension):
    """The process's one ReadCache, shared by the RPC proxies that use it."""

    notices = NoticeListener()

    def setup(self):
        config = self.container.config
        self.cache = ReadCache(Clock.from_config(config), configured_max_age(config))
        if self.cache.enabled:
            self.notices.subscribe(self.cache)


class CachedRpc(TimedRpc):
    """`orders = CachedRpc("orders")` in the gateway: TimedRpc through the process's
    ReadCache."""

    reads = ProcessReadCache()

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        cache = self.reads.cache
        return CachedReadsProxy(proxy, self.target_service, cache) if cache.enabled else proxy
