"""Back-off on repeated failures (sign-ins, access codes): slow the guesser, not its victim.

A limit counts the failures of one key (an email from one client, one client, one account)
within a window. Up to `allowed` failures cost nothing; from then on the key waits after
its last failure, `first_hold` at first and twice as long with each further failure, up to
`max_hold`. A refusal during the wait is not an attempt: waiting it out ends the hold.
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from services.common.clock import as_utc


@dataclass(frozen=True)
class BackOff:
    allowed: int
    window: timedelta
    first_hold: timedelta = timedelta(minutes=1)
    max_hold: timedelta = timedelta(hours=1)

    def hold(self, failures):
        """How long a key waits after its last failure, having failed `failures` times."""
        if failures < self.allowed:
            return None
        doublings = min(failures - self.allowed, 20)  # 2**20 minutes is past any max_hold
        return min(self.max_hold, self.first_hold * 2 ** doublings)

    def retry_after(self, failures, last_failure_at, now):
        """Whole seconds still to wait, or None when the key may try now."""
        hold = self.hold(failures)
        if hold is None or last_failure_at is None:
            return None
        seconds = math.ceil((as_utc(last_failure_at) + hold - now).total_seconds())
        return seconds if seconds > 0 else None


def client_key(client):
    """The caller's address as the gateway passed it (the CLI passes none)."""
    return (client or "unknown")[:64]


def failures(session, attempts, since, *key, after_last_success=False):
    """(count, time of the last) of the failed `attempts` rows of one key since `since`;
    with `after_last_success`, only those after the key's last success (failures "in a
    row")."""
    conditions = [*key, attempts.attempted_at >= since, attempts.succeeded.is_(False)]
    if after_last_success:
        last_success = (select(func.max(attempts.attempted_at))
                        .where(*key, attempts.succeeded.is_(True)).scalar_subquery())
        conditions.append(or_(last_success.is_(None), attempts.attempted_at > last_success))
    return tuple(session.execute(
        select(func.count(), func.max(attempts.attempted_at)).where(*conditions)).one())


def longest_wait(*waits):
    """The longest of several limits' waits (None when none holds the caller)."""
    return max((wait for wait in waits if wait is not None), default=None)
