"""Failed events and parked results again, with every service on PostgreSQL (where a
missing table is no transient error: the event is kept at its first failure)."""
from tests.e2e.test_failed_events import (  # noqa: F401  (collected here, run on PostgreSQL)
    test_a_result_reported_before_its_redemption_is_parked_then_recorded,
    test_an_event_that_keeps_failing_is_kept_shown_and_replayed_once,
    test_every_service_has_an_operations_view_and_replay)

DATABASE = "postgresql"
