"""The limits on failed sign-ins, and pruning the attempts they no longer read.

docs/DECISIONS.md, "Throttles": slow the guesser (a client failing on an email, a client
failing on many), never lock the owner out.
"""
from datetime import timedelta

from sqlalchemy import delete

from services.access.attempt_limits import BackOff, failures, longest_wait
from services.access.models import SignInAttempt
from services.common import scheduled
from services.common.errors import TooManyAttempts

# An email from one client: 5 failures in a row, then 1, 2, 4 ... minutes up to an hour.
SIGN_IN_PER_EMAIL_AND_CLIENT = BackOff(allowed=5, window=timedelta(hours=24))
# One client, any emails (a flood of unknown emails, or one guess at many accounts).
SIGN_IN_PER_CLIENT = BackOff(allowed=50, window=timedelta(hours=1))
# One email from many clients: past 10 failures, each client that has failed on it 3 times
# in a row waits. A client with fewer (the owner's typo, then an old password) is not held
# by the others' count; a guesser's client gets those 2 guesses per email at most.
SIGN_IN_PER_EMAIL = BackOff(allowed=10, window=timedelta(hours=24))
HELD_BY_EMAIL_FROM = 3  # failures in a row of one client on the email
SIGN_IN_ATTEMPTS_KEPT = max(SIGN_IN_PER_EMAIL_AND_CLIENT.window, SIGN_IN_PER_CLIENT.window,
                            SIGN_IN_PER_EMAIL.window)
PRUNE_JOB = "prune_sign_in_attempts"


def check_sign_in_limits(session, clock, email, client):
    """429 (with Retry-After) while any limit holds this client off for this email."""
    now = clock.now()
    attempts = SignInAttempt
    in_a_row, last = failures(session, attempts, now - SIGN_IN_PER_EMAIL_AND_CLIENT.window,
                              attempts.email == email, attempts.client == client,
                              after_last_success=True)
    from_client, last_from_client = failures(session, attempts,
                                             now - SIGN_IN_PER_CLIENT.window,
                                             attempts.client == client)
    waits = [SIGN_IN_PER_EMAIL_AND_CLIENT.retry_after(in_a_row, last, now),
             SIGN_IN_PER_CLIENT.retry_after(from_client, last_from_client, now)]
    if in_a_row >= HELD_BY_EMAIL_FROM:
        # an email under attack holds off the clients failing on it again and again,
        # never the owner who mistyped once or twice
        for_email, _ = failures(session, attempts, now - SIGN_IN_PER_EMAIL.window,
                                attempts.email == email)
        waits.append(SIGN_IN_PER_EMAIL.retry_after(for_email, last, now))
    wait = longest_wait(*waits)
    if wait is not None:
        raise TooManyAttempts("too_many_sign_in_attempts",
                              "Too many failed sign-ins; try again later.", retry_after=wait)


def prune_sign_in_attempts(work, clock):
    """Delete the sign-in attempts no limit reads any more (older than the longest
    window), once a day: the day's `scheduled_runs` row, claimed in the same transaction,
    makes replicas and operations never do it twice."""
    day = clock.today().isoformat()
    if not scheduled.claim(work.session, PRUNE_JOB, day):  # a replica got there first
        return {"day": day, "deleted": 0, "already_done": True}
    deleted = work.session.execute(delete(SignInAttempt).where(
        SignInAttempt.attempted_at < clock.now() - SIGN_IN_ATTEMPTS_KEPT)).rowcount
    scheduled.finish(work.session, PRUNE_JOB, day)
    return {"day": day, "deleted": deleted, "already_done": False}


def pruned_today(session, clock):
    return scheduled.is_settled(session, PRUNE_JOB, clock.today().isoformat())