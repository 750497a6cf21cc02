"""The academic years an organization has data in: asked of the services that hold them,
and kept in each gateway process for the portal's year selector, which every page of an
organization shows (docs/DECISIONS.md, "An organization's academic years").

Orders and vouchers are not asked: every order's year reaches access and billing by
`order_placed`, and a legacy code's billing once redeemed. A kept answer is forgotten on
the events that can add a year (an order placed, new scores, an invoice, a change of
access to the organization), and never outlives CACHE_SECONDS or its academic year.

A page only marks years with the answer: when a source does not answer (503
ServiceUnavailable: not running, or no answer within RPC_TIMEOUT_SECONDS) the page gets
None, shows the selector without "(no data)" marks, and nothing is kept; the API's
GET /api/organizations/{id}/academic-years asks with `strict=True` and answers 503.
"""
import eventlet
from nameko.extensions import DependencyProvider

from gateway.kept_answers import KeptAnswers, configured_max_age
from gateway.notices import NoticeListener
from services.common.clock import Clock
from services.common.errors import ServiceUnavailable

YEAR_SOURCES = ("access", "scores", "billing")
DEFAULT_SECONDS = 30


def academic_years_of(service, org_id):
    """Every source asked at once (`service`: the gateway worker with its proxies); the
    years of all of them, newest first."""
    pool = eventlet.GreenPool(len(YEAR_SOURCES))
    calls = [pool.spawn(getattr(service, name).academic_years, org_id)
             for name in YEAR_SOURCES]
    return sorted({year for call in calls for year in call.wait()}, reverse=True)


class KeptYears(KeptAnswers):
    """An organization's years by its id, forgotten by the events that may add one."""

    def __init__(self, clock, max_age):
        super().__init__(max_age)
        self.clock = clock

    @property
    def bindings(self):
        one = self._forget_organization
        return {("access", "access_changed"): self._forget_organizations,
                ("orders", "order_placed"): one, ("scores", "scores_changed"): one,
                ("billing", "invoice_issued"): one}

    def _forget_organization(self, event):
        self.forget([event.get("organization_id")])

    def _forget_organizations(self, notice):
        self.forget(notice.get("organization_ids") or [])

    def years(self, org_id, ask):
        answer = self.lookup(org_id)
        if answer is not None:
            return answer
        asked_at, year = self.generation, str(self.clock.academic_year())
        answer = ask()
        if answer is None:  # a source did not answer: ask again next time
            return None
        self.keep(org_id, answer, asked_at, {org_id},
                  lambda: str(self.clock.academic_year()) == year)
        return answer


class OrganizationYears(DependencyProvider):
    """`organization_years = OrganizationYears()` in the gateway:
    `self.organization_years(self, org_id)` (after authorizing the caller) for a page,
    None when a source does not answer; `strict=True` for the API: its 503 instead."""

    notices = NoticeListener()

    def setup(self):
        config = self.container.config
        self.kept = KeptYears(Clock.from_config(config),
                              configured_max_age(config, DEFAULT_SECONDS))
        if self.kept.enabled:
            self.notices.subscribe(self.kept)

    def get_dependency(self, worker_ctx):
        kept = self.kept

        def years(service, org_id, strict=False):
            def ask():
                try:
                    return academic_years_of(service, org_id)
                except ServiceUnavailable:
                    if strict:
                        raise
                    return None
            if not kept.enabled:
                return ask()
            return kept.years(org_id, ask)
        return years
