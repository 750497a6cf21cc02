"""The academic years a gateway process keeps per organization for the year selector:
forgotten by the events that may add a year, never kept while not listening, never into
another academic year."""
from datetime import datetime, timezone

from gateway.organization_years import KeptYears
from services.common.clock import Clock

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
