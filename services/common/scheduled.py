"""Scheduled work that every replica of a service checks for on a timer, and that runs once.

Each replica's timer asks whether a job's occurrence (the monthly billing run of 2026-11,
the cancelling of overdue tickets on 2027-02-16) is due; the one that inserts the
occurrence's `scheduled_runs` row does the work, in the same transaction as the work's
first writes (the guard of the June 30 close, as a table any service can hold). Another
replica's insert finds the row and does nothing; a transaction that fails takes its row
back with it, so the next tick tries again.

Work of several transactions (a billing run) marks its row finished at the end. A row left
unfinished longer than the job's `stale_after` belongs to a process that died mid-work:
the next replica to claim it takes it over (the work must be safe to run again). Claims
are timed by the real clock, never the program's (which tests and demos freeze): they are
about processes, not dates.
"""
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, MetaData, String, Table, select, update
from nameko.timer import Timer

from services.common.clock import as_utc
from services.common.database import insert_ignoring_duplicates

_metadata = MetaData()

scheduled_runs = Table(
    "scheduled_runs", _metadata,
    Column("job", String(80), primary_key=True),
    Column("occurrence", String(40), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)


def add_to(metadata):
    """Copy the table into the metadata of a service that schedules work."""
    scheduled_runs.to_metadata(metadata)


def _wall_now():
    return datetime.now(timezone.utc)


def _this(job, occurrence):
    return (scheduled_runs.c.job == job, scheduled_runs.c.occurrence == str(occurrence))


def is_settled(session, job, occurrence, stale_after=None):
    """True when the occurrence is done, or claimed by a replica that may still be at it."""
    row = session.execute(select(scheduled_runs.c.claimed_at, scheduled_runs.c.finished_at)
                          .where(*_this(job, occurrence))).first()
    if row is None:
        return False
    if row.finished_at is not None or stale_after is None:
        return True
    return as_utc(row.claimed_at) > _wall_now() - stale_after


def claim(session, job, occurrence, stale_after=None):
    """True for the one caller whose transaction takes this occurrence of the job (or
    takes over a claim left unfinished for longer than `stale_after`)."""
    now = _wall_now()
    if insert_ignoring_duplicates(session, scheduled_runs, [{
            "job": job, "occurrence": str(occurrence), "claimed_at": now}]) == 1:
        return True
    if stale_after is None:
        return False
    return session.execute(update(scheduled_runs).where(
        *_this(job, occurrence), scheduled_runs.c.finished_at.is_(None),
        scheduled_runs.c.claimed_at <= now - stale_after).values(claimed_at=now)).rowcount == 1


def finish(session, job, occurrence):
    """Mark the occurrence done (in the transaction of the work's last writes)."""
    session.execute(update(scheduled_runs).where(*_this(job, occurrence))
                    .values(finished_at=_wall_now()))


class ConfiguredTimer(Timer):
    """A nameko timer whose interval (seconds) is read from the config at `config_key`."""

    def __init__(self, config_key, default, **kwargs):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key) or self.default)
