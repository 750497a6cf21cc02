"""The scores list kept in a gateway process (gateway/score_views.py): asked once, then
answered from what was kept, each of those looks published for the access record before
the answer goes out, and nothing shown when it cannot be."""
import types
from datetime import datetime, timezone

import pytest

from gateway.gathered_calls import Gatherer
from gateway.read_cache import ReadCache
from gateway.score_views import SCORES_VIEWED, _Views
from services.common import correlation
from services.common.clock import Clock
from services.common.errors import ServiceUnavailable

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
PRINCIPAL = {"account": {"id": 3, "email": "pat@example.org", "name": "Pat"},
             "organization": {"id": 44, "name": "Central High"}, "access": "read",
             "academic_year": "2026-27"}


class FakeScores:
    def __init__(self):
        self.asked = 0

    def list_scores(self, principal, academic_year, exam, sort, page, per_page):
        self.asked += 1
        return {"organization_id": principal["organization"]["id"],
                "academic_year": academic_year or "2026-27", "exam": exam, "sort": sort,
                "page": page, "per_page": per_page, "total": 2, "exams": ["Biology"],
                "scores": [{"result_id": "R-1"}, {"result_id": "R-2"}],
                "access": principal["access"]}


class FakePublisher:
    def __init__(self, refuse=None, broken=False):
        self.published = []
        self.refuse, self.broken = refuse, broken

    def publish(self, messages):
        if self.broken:
            raise ConnectionError("the broker is away")
        self.published.extend(messages)
        return [self.refuse] * len(messages)


def views(publisher, max_age=30):
    cache = ReadCache(Clock(frozen_at=NOW), max_age=max_age)
    cache.set_listening(True)
    provider = types.SimpleNamespace(reads=types.SimpleNamespace(cache=cache),
                                     clock=Clock(frozen_at=NOW), publisher=publisher,
                                     gatherer=Gatherer())
    return _Views(provider), cache


def test_a_look_answered_from_what_was_kept_is_published_for_the_record():
    scores, publisher = FakeScores(), FakePublisher()
    score_views, _ = views(publisher)
    first = score_views.list_scores(scores, PRINCIPAL, None, "Biology", "student", 1, 50)
    assert publisher.published == []  # the scores service recorded this one itself
    token = correlation.bind("request-1234")  # as the request's worker runs
    try:
        again = score_views.list_scores(scores, PRINCIPAL, None, "Biology", "student", 1, 50)
    finally:
        correlation.unbind(token)
    assert again == first and scores.asked == 1
    [(routing_key, look)] = publisher.published
    assert routing_key == SCORES_VIEWED and look["event_id"]
    assert look["correlation_id"] == "request-1234"  # the request's, for the record's line
    assert (look["account"], look["organization_id"], look["academic_year"]) == (
        PRINCIPAL["account"], 44, "2026-27")
    assert (look["access"], look["exam"], look["sort"], look["page"], look["row_count"]) == (
        "read", "Biology", "student", 1, 2)
    assert look["viewed_at"] == NOW.isoformat()


def test_new_scores_for_the_organization_end_what_was_kept():
    scores, publisher = FakeScores(), FakePublisher()
    score_views, cache = views(publisher)
    score_views.list_scores(scores, PRINCIPAL)
    cache.bindings[("scores", "scores_changed")]({"organization_id": 44})
    score_views.list_scores(scores, PRINCIPAL)
    assert scores.asked == 2 and publisher.published == []


@pytest.mark.parametrize("publisher", [FakePublisher(refuse="no queue is bound"),
                                       FakePublisher(broken=True)])
def test_a_look_that_cannot_be_recorded_shows_nothing(publisher):
    scores = FakeScores()
    score_views, _ = views(publisher)
    score_views.list_scores(scores, PRINCIPAL)
    with pytest.raises(ServiceUnavailable):
        score_views.list_scores(scores, PRINCIPAL)


def test_with_the_caches_off_every_look_asks_the_scores_service():
    scores, publisher = FakeScores(), FakePublisher()
    score_views, _ = views(publisher, max_age=0)
    for _ in range(3):
        score_views.list_scores(scores, PRINCIPAL)
    assert scores.asked == 3 and publisher.published == []
