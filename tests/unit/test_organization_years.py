"""The academic years a gateway process keeps per organization for the year selector:
forgotten by the events that may add a year, never kept while not listening, never into
another academic year."""
from datetime import datetime, timezone

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.organization_years import KeptYears, OrganizationYears
from gateway.portal.organization_pages import OrganizationPages
from gateway.portal.pages import Visit
from services.access.profiles import profile_view
from services.common.clock import Clock
from services.common.errors import ServiceUnavailable

SEPTEMBER = datetime(2026, 9, 15, 14, 0, tzinfo=timezone.utc)  # 2026-27


def kept(now=SEPTEMBER):
    years = KeptYears(Clock(frozen_at=now), max_age=30)
    years.set_listening(True)
    return years


def asking(answers):
    asked = []

    def ask():
        asked.append(1)
        return list(answers)
    return ask, asked


def test_asked_once_then_kept():
    years = kept()
    ask, asked = asking(["2026-27", "2025-26"])
    assert years.years(7, ask) == ["2026-27", "2025-26"]
    assert years.years(7, ask) == ["2026-27", "2025-26"]
    assert len(asked) == 1


def test_the_events_that_may_add_a_year_forget_their_organization_only():
    for source, payload in ((("orders", "order_placed"), {"organization_id": 7}),
                            (("scores", "scores_changed"), {"organization_id": 7}),
                            (("billing", "invoice_issued"), {"organization_id": 7}),
                            (("access", "access_changed"),
                             {"account_id": None, "organization_ids": [3, 7]})):
        years = kept()
        ask, asked = asking(["2026-27"])
        other, other_asked = asking(["2026-27"])
        years.years(7, ask)
        years.years(8, other)
        years.bindings[source](payload)
        years.years(7, ask)
        years.years(8, other)
        assert (len(asked), len(other_asked)) == (2, 1), source


def test_nothing_is_kept_while_not_listening_nor_into_a_new_academic_year():
    years = kept()
    years.set_listening(False)
    ask, asked = asking(["2026-27"])
    years.years(7, ask)
    years.years(7, ask)
    assert len(asked) == 2

    years = kept(datetime(2027, 6, 30, 12, 0, tzinfo=timezone.utc))
    ask, asked = asking(["2026-27"])
    years.years(7, ask)
    years.clock = Clock(frozen_at=datetime(2027, 7, 1, 12, 0, tzinfo=timezone.utc))
    years.years(7, ask)
    assert len(asked) == 2


class Source:
    """A neighbour service's RPC proxy: its years, or 503 as TimedRpc raises it when the
    service is not running or does not answer in time."""

    def __init__(self, years=(), away=False):
        self.answers, self.away, self.asked = list(years), away, 0

    def academic_years(self, org_id):
        self.asked += 1
        if self.away:
            raise ServiceUnavailable(message="The billing service did not answer in time.")
        return list(self.answers)


class Gateway(OrganizationPages):
    """The gateway worker a page runs on, its neighbours stubbed."""

    def __init__(self, billing_away):
        self.access = FakeAccess()
        self.scores = Source(["2025-26"])
        self.billing = Source(away=billing_away)
        provider = OrganizationYears()
        provider.kept = kept()
        self.organization_years = provider.get_dependency(None)


class FakeAccess(Source):
    def __init__(self):
        super().__init__(["2026-27"])

    def authorize_page(self, token, org_id, need, require_profile, year):
        org = {"id": org_id, "name": "Lincoln High School"}
        return {"principal": {"organization": org, "access": "manage",
                              "academic_year": "2026-27", "access_year": "2026-27"},
                "me": {"name": "Casey", "email": "casey@school.example",
                       "organizations": [dict(org, access="manage")], "previous_years": []}}

    def get_profile(self, token, org_id):
        return profile_view(None)


def visit(path="/organizations/7/profile"):
    return Visit(Request(EnvironBuilder(path=path).get_environ()), token="t1")


def test_a_page_renders_without_no_data_marks_when_a_source_is_away_and_keeps_nothing():
    gateway = Gateway(billing_away=True)

    shown = gateway.profile_page.__wrapped__(gateway, visit(), org_id=7)

    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert "Organization profile" in body and "(no data)" not in body
    assert ">2025-26<" in body and ">2024-25<" in body
    gateway.profile_page.__wrapped__(gateway, visit(), org_id=7)
    assert gateway.billing.asked == 2  # not kept: the next page asks again
    gateway.billing.away = False
    gateway.profile_page.__wrapped__(gateway, visit(), org_id=7)
    body = gateway.profile_page.__wrapped__(gateway, visit(), org_id=7).get_data(as_text=True)
    assert gateway.billing.asked == 3  # answered once: kept
    assert ">2024-25 (no data)<" in body and ">2025-26<" in body


def test_the_api_still_answers_503_when_a_source_is_away():
    gateway = Gateway(billing_away=True)
    with pytest.raises(ServiceUnavailable):
        gateway.organization_years(gateway, 7, strict=True)
    assert gateway.organization_years(gateway, 7) is None
