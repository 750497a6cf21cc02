"""Scheduled work that every replica of a service checks for on a timer, and that runs once.

Each replica's timer asks whether a job's occurrence (the monthly billing run of 2026-11,
the cancelling of overdue tickets on 2027-02-16) is due; the one that inserts the
occurrence's `scheduled_runs` row does the work, in the same transaction as the work's
first writes (the guard of the June 30 close, as a table any service can hold). Another
replica's insert finds the row and does nothing; a transaction that fails takes its row
back with it, so the next tick tries again.
"""
from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from nameko.timer import Timer

from services.common.database import insert_ignoring_duplicates

_metadata = MetaData()

scheduled_runs = Table(
    "scheduled_runs", _metadata,
    Column("job", String(80), primary_key=True),
    Column("occurrence", String(40), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)


def add_to(metadata):
    """Copy the table into the metadata of a service that schedules work."""
    scheduled_runs.to_metadata(metadata)


def has_run(session, job, occurrence):
    return session.execute(select(scheduled_runs.c.job).where(
        scheduled_runs.c.job == job, scheduled_runs.c.occurrence == str(occurrence))
    ).first() is not None


def claim(session, job, occurrence, now):
    """True for the one caller whose transaction takes this occurrence of the job."""
    return insert_ignoring_duplicates(session, scheduled_runs, [{
        "job": job, "occurrence": str(occurrence), "claimed_at": now}]) == 1


class ConfiguredTimer(Timer):
    """A nameko timer whose interval (seconds) is read from the config at `config_key`."""

    def __init__(self, config_key, default, **kwargs):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key) or self.default)
