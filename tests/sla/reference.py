"""A naive minute-by-minute reference for business calendars, independent of their arithmetic.

An instant is working time if its local wall-clock time, on its local date, falls in one
of that date's working intervals. Stepping minute by minute is exact when every interval
boundary and every instant is on a whole minute (time-zone offsets are whole minutes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicecore.sla import BusinessCalendar, DeadlineAt

MINUTE = timedelta(minutes=1)


def working(calendar: BusinessCalendar, instant: datetime) -> bool:
    """Reference answer to ``calendar.is_working(instant)``."""
    local = instant.astimezone(calendar.time_zone)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return any(h.start_seconds <= seconds < h.end_seconds for h in calendar.working_hours(local.date()))


def between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time from ``start`` to ``end`` (``start <= end``), counted a minute at a time."""
    instant, stop = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    while instant < stop:
        if working(calendar, instant):
            total += MINUTE
        instant += MINUTE
    return total


def add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` (whole minutes, >= 0) of business time after ``start``.

    With ``window_end`` the first instant at which that much has passed; with ``next_start``
    (or a zero duration) the last one, which is working time.
    """
    instant, left = start.astimezone(UTC), duration
    earliest = duration > timedelta(0) and calendar.deadline_at is DeadlineAt.WINDOW_END
    while left > timedelta(0) or not (earliest or working(calendar, instant)):
        if working(calendar, instant):
            left -= MINUTE
        instant += MINUTE
    return instant
