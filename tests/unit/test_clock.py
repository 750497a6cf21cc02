"""The program clock: "now" in UTC (what is stored), "today" in the program's time zone
(what every date rule reads)."""
from datetime import date, datetime, timedelta, timezone

from services.common.clock import Clock, as_utc
from services.common.config import load_config

# 23:30 on June 30 in New York (EDT, UTC-4), already July 1 in UTC.
LATE_JUNE_30_NY = datetime(2027, 7, 1, 3, 30, tzinfo=timezone.utc)


def test_late_evening_june_30_in_new_york_is_still_june_30():
    clock = Clock("America/New_York", frozen_at=LATE_JUNE_30_NY)
    assert clock.today() == date(2027, 6, 30)
    assert str(clock.academic_year()) == "2026-27"


def test_midnight_in_new_york_starts_the_new_academic_year():
    clock = Clock("America/New_York", frozen_at=datetime(2027, 7, 1, 4, 0, tzinfo=timezone.utc))
    assert clock.today() == date(2027, 7, 1)
    assert str(clock.academic_year()) == "2027-28"


def test_now_is_aware_utc_even_when_frozen_in_another_zone():
    eastern = timezone(timedelta(hours=-5))
    clock = Clock(frozen_at=datetime(2026, 12, 1, 10, 0, tzinfo=eastern))
    now = clock.now()
    assert now.utcoffset() == timedelta(0)
    assert now == datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)


def test_local_now_is_in_the_program_zone():
    clock = Clock("America/New_York", frozen_at=LATE_JUNE_30_NY)
    local = clock.local_now()
    assert (local.date(), local.hour, local.minute) == (date(2027, 6, 30), 23, 30)


def test_unfrozen_clock_follows_real_time():
    before = datetime.now(timezone.utc)
    now = Clock().now()
    assert now.tzinfo is not None
    assert before <= now <= datetime.now(timezone.utc)


def test_frozen_clock_from_config_string():
    clock = Clock.from_config({"CLOCK_NOW": "2027-07-01T03:30:00+00:00"})
    assert clock.now() == LATE_JUNE_30_NY
    assert clock.today() == date(2027, 6, 30)


def test_naive_clock_now_in_config_is_read_as_utc():
    clock = Clock.from_config({"CLOCK_NOW": "2027-07-01T03:30:00"})
    assert clock.now() == LATE_JUNE_30_NY
    assert clock.today() == date(2027, 6, 30)


def test_naive_datetime_in_config_is_read_as_utc():
    # config.yaml goes through YAML, which turns a timestamp into a datetime itself
    clock = Clock.from_config({"CLOCK_NOW": datetime(2027, 7, 1, 3, 30)})
    assert clock.now() == LATE_JUNE_30_NY


def test_empty_or_missing_clock_now_means_the_real_clock():
    for config in ({}, {"CLOCK_NOW": ""}, {"CLOCK_NOW": None}):
        clock = Clock.from_config(config)
        assert clock.frozen_at is None
        assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_default_time_zone_is_new_york():
    for config in ({}, {"TIME_ZONE": ""}, {"TIME_ZONE": None}):
        assert Clock.from_config(config).zone.key == "America/New_York"


def test_time_zone_override_moves_the_date_line():
    # 06:30 UTC on July 1: already July 1 in New York, still June 30 in Los Angeles.
    moment = "2027-07-01T06:30:00+00:00"
    new_york = Clock.from_config({"CLOCK_NOW": moment})
    pacific = Clock.from_config({"CLOCK_NOW": moment, "TIME_ZONE": "America/Los_Angeles"})
    assert new_york.today() == date(2027, 7, 1)
    assert pacific.today() == date(2027, 6, 30)
    assert str(pacific.academic_year()) == "2026-27"


def test_config_yaml_reads_clep_clock_now_and_clep_time_zone(monkeypatch):
    monkeypatch.setenv("CLEP_CLOCK_NOW", "2027-07-01T03:30:00Z")
    monkeypatch.setenv("CLEP_TIME_ZONE", "America/Chicago")
    clock = Clock.from_config(load_config())
    assert clock.now() == LATE_JUNE_30_NY
    assert clock.zone.key == "America/Chicago"
    assert clock.today() == date(2027, 6, 30)


def test_config_yaml_naive_clep_clock_now_is_utc(monkeypatch):
    monkeypatch.setenv("CLEP_CLOCK_NOW", "2027-07-01T03:30:00")
    monkeypatch.delenv("CLEP_TIME_ZONE", raising=False)
    assert Clock.from_config(load_config()).now() == LATE_JUNE_30_NY


def test_as_utc_marks_naive_datetimes_as_utc():
    assert as_utc(datetime(2027, 7, 1, 3, 30)) == LATE_JUNE_30_NY
    assert as_utc(datetime(2027, 7, 1, 3, 30)).tzinfo is timezone.utc


def test_as_utc_leaves_aware_datetimes_and_none_alone():
    eastern = timezone(timedelta(hours=-4))
    aware = datetime(2027, 6, 30, 23, 30, tzinfo=eastern)
    assert as_utc(aware) is aware
    assert as_utc(None) is None
