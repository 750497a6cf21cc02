"""The injectable clock: every rule asks it for "now" and "today" in program time."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

from services.common.academic_year import AcademicYear


class Clock:
    """Now in UTC, today in the program's time zone; frozen when `frozen_at` is given."""

    def __init__(self, time_zone="America/New_York", frozen_at=None):
        self.zone = ZoneInfo(time_zone)
        self.frozen_at = frozen_at

    @classmethod
    def from_config(cls, config):
        frozen = config.get("CLOCK_NOW")
        if isinstance(frozen, str) and frozen:
            frozen = datetime.fromisoformat(frozen)
        if isinstance(frozen, datetime) and frozen.tzinfo is None:
            frozen = frozen.replace(tzinfo=timezone.utc)
        return cls(config.get("TIME_ZONE") or "America/New_York", frozen or None)

    def now(self):
        """Aware UTC datetime; what gets stored."""
        if self.frozen_at:
            return self.frozen_at.astimezone(timezone.utc)
        return datetime.now(timezone.utc)

    def local_now(self):
        return self.now().astimezone(self.zone)

    def today(self):
        """The date in the program's time zone; what every date rule reads."""
        return self.local_now().date()

    def academic_year(self):
        return AcademicYear.containing(self.today())


class ClockProvider(DependencyProvider):
    def setup(self):
        self.clock = Clock.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.clock


def as_utc(moment):
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
