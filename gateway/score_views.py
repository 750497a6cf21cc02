"""The scores list, kept in each gateway process like the hot reads, every look recorded.

Each look at scores is written to the scores service's access record. Asked by RPC, the
scores service writes it in the unit of work that answers. Answered from what this process
kept (gateway/read_cache.py; forgotten on the scores service's `scores_changed` notice),
the look is published as a `scores_viewed` event, and the answer goes out only once the
broker has confirmed it (a durable queue of the scores service holds it until written).
If it cannot be confirmed, the caller gets 503 and sees nothing: no look goes unrecorded.
Looks that arrive while a publish is on its way share the next one (gateway/gathered_calls.py).
"""
import uuid

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from gateway.gathered_calls import Gatherer
from gateway.read_cache import ProcessReadCache
from services.common import correlation
from services.common.batch_publisher import BatchPublisher
from services.common.clock import Clock
from services.common.errors import ServiceUnavailable

SCORES_VIEWED = "scores_viewed"


class ScoreViews(DependencyProvider):
    """`score_views = ScoreViews()` in the gateway: `list_scores(scores, principal, ...)`
    takes the same arguments as the scores service's `list_scores` after its proxy."""

    reads = ProcessReadCache()

    def setup(self):
        config = self.container.config
        self.clock = Clock.from_config(config)
        self.publisher = BatchPublisher(
            config[AMQP_URI_CONFIG_KEY],
            get_event_exchange(self.container.service_name, config))
        self.gatherer = Gatherer()

    def stop(self):
        self.publisher.close()

    def get_dependency(self, worker_ctx):
        return _Views(self)


class _Views:
    def __init__(self, provider):
        self._provider = provider

    def list_scores(self, scores, principal, academic_year=None, exam=None,
                    sort="-test_date", page=1, per_page=50):
        cache = self._provider.reads.cache
        arguments = (principal, academic_year, exam, sort, page, per_page)
        if not cache.enabled:
            return scores.list_scores(*arguments)
        listed, kept = cache.read_noting("scores", "list_scores", scores.list_scores,
                                         arguments)
        if kept:
            self._record(principal, listed)
        return listed

    def _record(self, principal, listed):
        provider = self._provider
        look = {"event_id": str(uuid.uuid4()), "account": principal["account"],
                "organization_id": listed["organization_id"],
                "academic_year": listed["academic_year"], "access": principal.get("access"),
                "exam": listed["exam"], "sort": listed["sort"], "page": listed["page"],
                "row_count": len(listed["scores"]),
                "viewed_at": provider.clock.now().isoformat(),
                # inside, as in a packed event: its consumer takes looks of many requests
                # in one batch (services/common/event_batches.py)
                "correlation_id": correlation.current_id()}
        try:
            refused = provider.gatherer.call(provider.publisher.publish, (SCORES_VIEWED, look))
        except Exception as failure:  # noqa: BLE001 - the broker is away: say so, show nothing
            refused = str(failure) or type(failure).__name__
        if refused is not None:
            raise ServiceUnavailable(message="Scores cannot be shown right now: the look "
                                     "could not be recorded. Try again shortly.",
                                     retry_after=5)
