"""The gateway's kept hot reads: kept per organization, ended by the owner's events and by
this process's own changes."""
from datetime import datetime, timezone

import pytest

from gateway.read_cache import CachedReadsProxy, ReadCache
from services.common.clock import Clock

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


class FakeOrders:
    def __init__(self):
        self.calls = []
        self.po = None

    def list_orders(self, organization_id, academic_year=None):
        self.calls.append(("list_orders", organization_id))
        return [{"id": 1, "organization_id": organization_id, "po_number": self.po}]

    def quote(self, organization):
        self.calls.append(("quote", organization["id"]))
        return {"organization": organization, "exam_fee_cents": 9300}

    def change_po_number(self, organization_id, order_id, po_number):
        self.po = po_number
        return {"id": order_id, "po_number": po_number}

    def review_order(self, organization, request):
        self.calls.append(("review_order", organization["id"]))
        return {}


@pytest.fixture
def setting():
    orders = FakeOrders()
    cache = ReadCache(Clock(frozen_at=NOW), max_age=30)
    cache.set_listening(True)
    return orders, CachedReadsProxy(orders, "orders", cache), cache


def reads(orders, name):
    return len([call for call in orders.calls if call[0] == name])


def test_a_read_is_asked_once_per_organization_and_arguments(setting):
    orders, proxy, _ = setting
    proxy.list_orders(5, None)
    proxy.list_orders(5, None)
    proxy.list_orders(6, None)
    proxy.list_orders(5, "2025-26")
    assert reads(orders, "list_orders") == 3


def test_each_use_gets_its_own_copy(setting):
    _, proxy, _ = setting
    proxy.list_orders(5, None)[0]["vouchers_csv_url"] = "/added/by/a/route"
    assert "vouchers_csv_url" not in proxy.list_orders(5, None)[0]


def test_an_event_ends_that_organizations_area_only(setting):
    orders, proxy, cache = setting
    proxy.list_orders(5, None)
    proxy.list_orders(6, None)
    proxy.quote({"id": 5, "name": "Cass Tech"})
    cache.bindings[("orders", "po_number_changed")]({"organization_id": 5, "order_id": 1})
    proxy.list_orders(5, None)
    proxy.list_orders(6, None)
    proxy.quote({"id": 5, "name": "Cass Tech"})
    assert reads(orders, "list_orders") == 3 and reads(orders, "quote") == 1


def test_new_fees_end_every_organizations_quote(setting):
    orders, proxy, cache = setting
    proxy.quote({"id": 5, "name": "Cass Tech"})
    proxy.quote({"id": 6, "name": "Renaissance"})
    cache.bindings[("orders", "fees_set")]({"academic_year": "2026-27"})
    proxy.quote({"id": 5, "name": "Cass Tech"})
    proxy.quote({"id": 6, "name": "Renaissance"})
    assert reads(orders, "quote") == 4


def test_a_change_made_here_is_read_here_at_once(setting):
    orders, proxy, _ = setting
    assert proxy.list_orders(5, None)[0]["po_number"] is None
    proxy.change_po_number(5, 1, "PO-9")
    assert proxy.list_orders(5, None)[0]["po_number"] == "PO-9"


def test_a_new_day_is_a_new_question(setting):
    orders, proxy, cache = setting
    proxy.quote({"id": 5, "name": "Cass Tech"})
    cache.clock = Clock(frozen_at=datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc))
    proxy.quote({"id": 5, "name": "Cass Tech"})
    assert reads(orders, "quote") == 2


def test_other_calls_pass_through_every_time(setting):
    orders, proxy, _ = setting
    proxy.review_order({"id": 5}, {})
    proxy.review_order({"id": 5}, {})
    assert reads(orders, "review_order") == 2
