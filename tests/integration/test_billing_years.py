"""Billing's academic years of an organization (for GET .../academic-years): the years of
its orders, tickets, billable exams and invoices, on SQLite and PostgreSQL."""
from tests.integration.test_billing import (_has_order, exam, order, send_copies,
                                            start_billing, wait_for_items)


def test_the_years_of_an_organizations_orders_and_exams_newest_first(
        start_service, stores, rpc, dispatch, wait_for):
    start_billing(start_service)
    store = stores("billing")
    send_copies(dispatch, 7, 70)  # an order of 2026-27
    dispatch("orders", "order_placed", dict(order(71, 7), academic_year="2024-25",
                                            placed_at="2024-09-01T12:00:00+00:00"))
    wait_for(lambda: _has_order(store, 70) and _has_order(store, 71))
    dispatch("scores", "exam_recorded", exam(7, 70, "2026-11-03"))
    wait_for_items(store, wait_for, 1)

    assert rpc.billing.academic_years(7) == ["2026-27", "2024-25"]
    assert rpc.billing.academic_years(8) == []
