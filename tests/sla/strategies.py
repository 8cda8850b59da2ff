"""Hypothesis strategies for business calendars, instants and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from servicecore.sla import BusinessCalendar, DeadlineAt, WorkingHours
from servicecore_adapters.calendars import china_calendar

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC")
"""Zones without DST, with an hour of DST in either hemisphere, Lord Howe's half hour, Santiago's at midnight."""
FIRST = datetime(2024, 12, 1, tzinfo=UTC)
LAST = datetime(2027, 1, 31, tzinfo=UTC)
CHINA = china_calendar(years=range(2024, 2028))


def _fixed() -> list[BusinessCalendar]:
    both = [(cal, attrs.evolve(cal, deadline_at=DeadlineAt.NEXT_START)) for cal in _fixed_window_end()]
    return [cal for pair in both for cal in pair]


def _fixed_window_end() -> list[BusinessCalendar]:
    return [
        CHINA,
        BusinessCalendar.always_open("Europe/Berlin"),
        # shifts across midnight and through the DST hours, with an interval ending at 24:00
        BusinessCalendar(
            time_zone="Europe/Berlin",
            week={
                "mon": ["08:00-12:00", "13:00-17:00"],
                "fri": ["08:00-12:00", "22:00-24:00"],
                "sat": ["00:00-03:30", "22:00-24:00"],
                "sun": ["00:00-06:00"],
            },
            holidays=[date(2025, 12, 25), date(2026, 1, 1)],
        ),
        BusinessCalendar(
            time_zone="America/New_York",
            week={"sun": ["00:00-24:00"], "tue": ["01:00-03:00", "09:00-17:00"], "thu": ["00:30-02:30"]},
        ),
    ]


@st.composite
def _day(draw: st.DrawFn) -> list[WorkingHours]:
    points = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))  # quarter hours, 96 = 24:00
    if len(points) % 2:
        points = points[:-1]
    return [
        WorkingHours(f"{a // 4:02d}:{a % 4 * 15:02d}", f"{b // 4:02d}:{b % 4 * 15:02d}")
        for a, b in zip(points[::2], points[1::2], strict=True)
    ]


@st.composite
def random_calendars(draw: st.DrawFn) -> BusinessCalendar:
    """A calendar with random weekly hours (at least one working day) in a random zone."""
    week = draw(st.lists(_day(), min_size=7, max_size=7).filter(any))
    holidays = draw(st.sets(st.dates(date(2025, 1, 1), date(2026, 12, 31)), max_size=30))
    extra = draw(st.sets(st.dates(date(2025, 1, 1), date(2026, 12, 31)), max_size=5)) - holidays
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        week=week,
        holidays=holidays,
        extra_working_days=extra,
        deadline_at=draw(st.sampled_from(DeadlineAt)),
    )


calendars = st.one_of(st.sampled_from(_fixed()), random_calendars())
"""Hand-built calendars (China, 24×7, DST shifts, 24:00 intervals) and random ones, with either ``deadline_at``."""


@st.composite
def instants(draw: st.DrawFn, *, minutes: bool = False) -> datetime:
    """Aware instants from late 2024 to early 2027, in one of :data:`ZONES`; on whole minutes if asked."""
    span = int((LAST - FIRST).total_seconds() // 60) if minutes else (LAST - FIRST) // timedelta(microseconds=1)
    step = draw(st.integers(0, span))
    moment = FIRST + (timedelta(minutes=step) if minutes else timedelta(microseconds=step))
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


durations = st.integers(0, 2_000 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us))
"""Business durations up to 2000 hours (more than a year of office hours)."""


def weekly(calendar: BusinessCalendar) -> timedelta:
    """Business time in a normal week of ``calendar``."""
    return sum((hours.duration for day in calendar.week for hours in day), timedelta(0))


@st.composite
def calendar_and_durations(draw: st.DrawFn, count: int = 1) -> tuple[BusinessCalendar, list[timedelta]]:
    """A calendar and durations of up to about a year (60 normal weeks) of its business time."""
    calendar = draw(calendars)
    limit = min(weekly(calendar) * 60, timedelta(hours=2_000)) // timedelta(microseconds=1)
    found = draw(st.lists(st.integers(0, limit), min_size=count, max_size=count))
    return calendar, [timedelta(microseconds=us) for us in found]
