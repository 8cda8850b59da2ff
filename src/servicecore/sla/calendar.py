"""Business calendars: working hours in a time zone, holidays, make-up working days, 24×7.

A :class:`BusinessCalendar` answers four questions exactly, for instants in any
time zone: how much business time lies between two instants (:meth:`~BusinessCalendar.between`),
which instant is a business duration after or before another (:meth:`~BusinessCalendar.add`,
:meth:`~BusinessCalendar.subtract`), when working time next starts
(:meth:`~BusinessCalendar.next_working_instant`) and whether an instant is working time
(:meth:`~BusinessCalendar.is_working`).

Rules, in the calendar's own time zone (never the server's):

* Working hours are wall-clock intervals per weekday, start included, end excluded;
  several per day, ending at ``24:00`` if need be.
* A holiday has no working time; an extra working day (China's make-up working day, 调休)
  works ``extra_day_hours`` (by default the hours of the first working weekday).
* Business time is real elapsed time inside working hours: on a daylight-saving day the
  skipped hour is not worked and a repeated hour is worked twice.
* A result that falls exactly where working time stops — the close of a window — is
  reported as the calendar's ``deadline_at`` (:class:`DeadlineAt`) says: ``window_end``
  (the default, as ERPNext, Frappe Helpdesk and GLPI do) keeps it there, so 6 business
  hours from 12:00 on a 10:00–18:00 day end at 18:00 that day, "by close of business";
  ``next_start`` moves it to the start of the next working time (10:00 the next morning).
  The two instants hold the same business time; only the one reported differs.
  :meth:`~BusinessCalendar.add`, :meth:`~BusinessCalendar.subtract`,
  :meth:`~BusinessCalendar.add_working_days` and :meth:`~BusinessCalendar.settle` follow it.
* Calendar months (:meth:`~BusinessCalendar.add_months`) keep the day of the month and clamp
  to the month's end: 31 December + 2 months is 28 February (29 in a leap year).
* Naive datetimes are refused with :class:`~servicecore.ValidationError` naming the argument.
* Results are local wall time with a fixed UTC offset (see :func:`fixed_offset`):
  ``result.astimezone(calendar.time_zone)`` gives the zone-aware form.

>>> from datetime import datetime, timedelta
>>> cal = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"])
>>> friday = datetime(2025, 3, 7, 16, 0, tzinfo=cal.time_zone)
>>> cal.add(friday, timedelta(hours=3))
datetime.datetime(2025, 3, 10, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=28800)))
>>> cal.between(friday, cal.add(friday, timedelta(hours=3)))
datetime.timedelta(seconds=10800)
>>> cal.add(friday, timedelta(hours=2)).isoformat()  # exactly at Friday's close
'2025-03-07T18:00:00+08:00'
>>> attrs.evolve(cal, deadline_at="next_start").add(friday, timedelta(hours=2)).isoformat()
'2025-03-10T09:00:00+08:00'

The arithmetic works a day at a time on cached 64-day blocks with running totals,
so adding a year of business time costs a few block look-ups, not a walk over minutes.
"""

from __future__ import annotations

import bisect
import calendar as _gregorian
import enum
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from servicecore.kernel.errors import ValidationError
from servicecore.kernel.validation import check_aware, parse_enum

_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND = 1_000_000
_DAY_SECONDS = 86_400
_BLOCK = 64  # days per cached block of running totals
_MAX_CACHED_BLOCKS = 4096
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys accepted in a ``week`` mapping (as are ``0``–``6``, Monday first)."""


class DeadlineAt(enum.StrEnum):
    """Which instant a calendar reports for a result that falls where working time stops.

    Between the close of one working window and the start of the next no business time
    passes, so both instants hold the same amount of it; this setting picks the one a
    person is shown and a clock is due at.
    """

    WINDOW_END = "window_end"
    """The close of the window: 6 business hours from 12:00 on a 10:00–18:00 day end at 18:00
    that day ("by close of business"). The default, as in ERPNext, Frappe Helpdesk and GLPI."""
    NEXT_START = "next_start"
    """The start of the next working time: the same example ends at 10:00 the next working morning."""


def _deadline_at(value: DeadlineAt | str) -> DeadlineAt:
    return parse_enum(DeadlineAt, "deadline_at", value)


def add_months_to_date(day: date, months: int) -> date:
    """``day`` moved by whole calendar ``months`` (negative: back), clamped to the month's last day.

    >>> add_months_to_date(date(2026, 12, 31), 2), add_months_to_date(date(2027, 12, 31), 2)
    (datetime.date(2027, 2, 28), datetime.date(2028, 2, 29))
    """
    day = _check_date("day", day)
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValidationError("months", f"must be a whole number of months (negative counts back), got {months!r}")
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValidationError("months", f"moving {day.isoformat()} by {months} months leaves the years 1-9999")
    return date(year, month + 1, min(day.day, _gregorian.monthrange(year, month + 1)[1]))


# --- working hours --------------------------------------------------------------


def _clock_seconds(field: str, value: object, *, end: bool) -> int:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValidationError(field, "working hours are wall-clock times; give a time without a time zone")
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        if value.microsecond:
            raise ValidationError(field, f"working hours are whole seconds, got {value.isoformat()}")
    elif isinstance(value, str) and (match := _TIME.match(value.strip())):
        hours, minutes, secs = int(match[1]), int(match[2]), int(match[3] or 0)
        if minutes > 59 or secs > 59 or hours > 24 or (hours == 24 and (minutes or secs)):
            raise ValidationError(field, f"not a time of day: {value!r}")
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValidationError(field, f"must be a time like '09:00' (or '24:00' for an end), got {value!r}")
    if seconds == _DAY_SECONDS and not end:
        raise ValidationError(field, "24:00 can only end an interval")
    return seconds


def _format_seconds(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _start_text(value: object) -> str:
    return _format_seconds(_clock_seconds("start", value, end=False))


def _end_text(value: object) -> str:
    return _format_seconds(_clock_seconds("end", value, end=True))


@attrs.frozen
class WorkingHours:
    """One working interval of a day, in wall-clock time: ``start`` included, ``end`` excluded.

    Times are ``"HH:MM"`` (or ``"HH:MM:SS"``, or :class:`datetime.time`); an interval may end
    at ``"24:00"``, the midnight that ends the day.

    >>> WorkingHours.parse("13:30-18:00")
    WorkingHours(start='13:30', end='18:00')
    >>> WorkingHours("22:00", "24:00").duration
    datetime.timedelta(seconds=7200)
    """

    start: str = attrs.field(converter=_start_text)
    end: str = attrs.field(converter=_end_text)

    def __attrs_post_init__(self) -> None:
        if self.start_seconds >= self.end_seconds:
            raise ValidationError("end", f"must be later than start, got {self.start}-{self.end}")

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """``"09:00-12:00"`` (a hyphen, en dash or ``~`` between the times) as working hours."""
        if not isinstance(text, str):
            raise ValidationError("hours", f"must be a string like '09:00-12:00', got {text!r}")
        parts = re.split(r"\s*[-–~]\s*", text.strip())
        if len(parts) != 2:
            raise ValidationError("hours", f"must look like '09:00-12:00', got {text!r}")
        return cls(parts[0], parts[1])

    @property
    def start_seconds(self) -> int:
        """Seconds after midnight at which the interval starts."""
        return _clock_seconds("start", self.start, end=False)

    @property
    def end_seconds(self) -> int:
        """Seconds after midnight at which the interval ends (86400 for ``24:00``)."""
        return _clock_seconds("end", self.end, end=True)

    @property
    def duration(self) -> timedelta:
        """Wall-clock length of the interval."""
        return timedelta(seconds=self.end_seconds - self.start_seconds)


def _one_interval(field: str, value: object) -> WorkingHours:
    if isinstance(value, WorkingHours):
        return value
    if isinstance(value, str):
        try:
            return WorkingHours.parse(value)
        except ValidationError as exc:
            raise ValidationError(field, exc.message) from None
    if isinstance(value, Sequence) and len(value) == 2:
        try:
            return WorkingHours(value[0], value[1])
        except ValidationError as exc:
            raise ValidationError(field, exc.message) from None
    raise ValidationError(field, f"must be working hours like '09:00-12:00', got {value!r}")


def day_hours(value: Iterable[WorkingHours | str | Sequence[Any]], field: str = "hours") -> tuple[WorkingHours, ...]:
    """One day's working intervals, sorted; overlapping intervals raise naming ``field``.

    >>> day_hours(["13:30-18:00", "09:00-12:00"])
    (WorkingHours(start='09:00', end='12:00'), WorkingHours(start='13:30', end='18:00'))
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list of intervals like ['09:00-12:00'], got {value!r}")
    hours = sorted((_one_interval(f"{field}[{i}]", item) for i, item in enumerate(value)), key=_seconds_key)
    for before, after in itertools.pairwise(hours):
        if after.start_seconds < before.end_seconds:
            raise ValidationError(
                field, f"intervals overlap: {before.start}-{before.end} and {after.start}-{after.end}"
            )
    return tuple(hours)


def _seconds_key(hours: WorkingHours) -> int:
    return hours.start_seconds


def _weekday_index(key: object) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str) and key.strip().lower()[:3] in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(key.strip().lower()[:3])
    raise ValidationError("week", f"weekday keys are 0-6 (Monday first) or 'mon'..'sun', got {key!r}")


def _week(value: object) -> tuple[tuple[WorkingHours, ...], ...]:
    if isinstance(value, Mapping):
        days: list[tuple[WorkingHours, ...]] = [()] * 7
        for key, hours in value.items():
            index = _weekday_index(key)
            days[index] = day_hours(hours, f"week[{WEEKDAY_NAMES[index]}]")
        week = tuple(days)
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 7:
        week = tuple(day_hours(hours, f"week[{WEEKDAY_NAMES[i]}]") for i, hours in enumerate(value))
    else:
        raise ValidationError("week", "must map weekdays to working hours, or list 7 days from Monday")
    if not any(week):
        raise ValidationError("week", "needs working hours on at least one weekday")
    return week


def _optional_hours(value: Iterable[WorkingHours | str | Sequence[Any]] | None) -> tuple[WorkingHours, ...] | None:
    if value is None:
        return None
    hours = day_hours(value, "extra_day_hours")
    if not hours:
        raise ValidationError("extra_day_hours", "an extra working day needs working hours")
    return hours


def _zone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("time_zone", f"must be an IANA time zone name like 'Asia/Shanghai', got {value!r}")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("time_zone", f"unknown time zone {value!r}") from None


def date_set(field: str, value: object) -> frozenset[date]:
    """A collection of dates (or ISO date strings) as a frozenset; anything else raises naming ``field``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a collection of dates, got {value!r}")
    days: set[date] = set()
    for item in value:
        if isinstance(item, datetime) or not isinstance(item, date | str):
            raise ValidationError(field, f"must hold dates, got {item!r}")
        if isinstance(item, str):
            try:
                item = date.fromisoformat(item.strip())
            except ValueError:
                raise ValidationError(field, f"not an ISO date: {item!r}") from None
        days.add(item)
    return frozenset(days)


def _holidays(value: object) -> frozenset[date]:
    return date_set("holidays", value)


def _extra_days(value: object) -> frozenset[date]:
    return date_set("extra_working_days", value)


# --- the calendar ----------------------------------------------------------------


def _to_us(value: datetime) -> int:
    return (value - _EPOCH) // _US


_OFFSETS: dict[timedelta, timezone] = {}


def fixed_offset(instant: datetime) -> datetime:
    """``instant`` with its zone replaced by its fixed UTC offset: same wall time, same instant.

    Two datetimes sharing a ``ZoneInfo`` compare by wall-clock time, so in a repeated
    daylight-saving hour the later instant can compare as earlier or equal; fixed
    offsets always compare as instants. Every datetime the SLA engine returns or stores
    is made this way.
    """
    offset = check_aware("instant", instant).utcoffset()
    assert offset is not None
    zone = _fixed_zone(offset)
    if instant.tzinfo is zone:
        return instant
    return instant.replace(tzinfo=zone, fold=0)


def _fixed_zone(offset: timedelta) -> timezone:
    zone = _OFFSETS.get(offset)
    if zone is None:
        zone = _OFFSETS.setdefault(offset, timezone(offset))
    return zone


Span = tuple[int, int, int]  # start and end in UTC microseconds, and the UTC offset in force


@attrs.frozen
class _Block:
    """Working spans (UTC microseconds) of 64 consecutive local dates, with running totals."""

    spans: tuple[tuple[Span, ...], ...]
    cum: tuple[int, ...]  # cum[i]: business time before day i; cum[-1]: the block's total
    bounds: tuple[int, ...]  # bounds[i]: the instant day i starts (local midnight)

    @property
    def total(self) -> int:
        return self.cum[-1]


def _in_day(spans: tuple[Span, ...], u: int) -> int:
    """Business time of one day's spans before instant ``u``."""
    worked = 0
    for start, end, _ in spans:
        if u <= start:
            break
        worked += min(u, end) - start
    return worked


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """Working time in a time zone: weekly hours, holidays and extra working days. Immutable.

    ``week`` maps weekdays (``0``–``6`` or ``"mon"``–``"sun"``) to lists of intervals
    (``"09:00-12:00"``), or lists seven days from Monday. ``holidays`` are dates with no
    working time; ``extra_working_days`` are dates worked despite the weekly pattern, on
    ``extra_day_hours`` (default: the hours of the first weekday that has any). Results of
    the arithmetic are in the calendar's ``time_zone``. ``deadline_at`` (:class:`DeadlineAt`,
    default ``window_end``) says whether a result at the close of a working window stays
    there or moves to the next start.

    >>> cal = BusinessCalendar(time_zone="Europe/Berlin", week={"mon": ["08:00-16:00"]})
    >>> cal.is_working_day(date(2025, 3, 3)), cal.is_working_day(date(2025, 3, 4))
    (True, False)
    """

    time_zone: ZoneInfo = attrs.field(converter=_zone)
    week: tuple[tuple[WorkingHours, ...], ...] = attrs.field(converter=_week)
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_holidays)
    extra_working_days: frozenset[date] = attrs.field(default=frozenset(), converter=_extra_days)
    extra_day_hours: tuple[WorkingHours, ...] | None = attrs.field(default=None, converter=_optional_hours)
    name: str = ""
    deadline_at: DeadlineAt = attrs.field(default=DeadlineAt.WINDOW_END, converter=_deadline_at)
    _week_s: tuple[tuple[tuple[int, int], ...], ...] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _extra_s: tuple[tuple[int, int], ...] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _always: bool = attrs.field(init=False, repr=False, eq=False, hash=False)
    _blocks: dict[int, _Block] = attrs.field(init=False, repr=False, eq=False, hash=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        both = self.holidays & self.extra_working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValidationError("extra_working_days", f"dates cannot be holidays and working days: {listed}")
        week_s = tuple(tuple((h.start_seconds, h.end_seconds) for h in day) for day in self.week)
        extra = self.extra_day_hours if self.extra_day_hours is not None else next(day for day in self.week if day)
        object.__setattr__(self, "_week_s", week_s)
        object.__setattr__(self, "_extra_s", tuple((h.start_seconds, h.end_seconds) for h in extra))
        object.__setattr__(self, "_always", not self.holidays and all(d == ((0, _DAY_SECONDS),) for d in week_s))

    # --- constructors ---------------------------------------------------------

    @classmethod
    def always_open(
        cls,
        time_zone: str | ZoneInfo = "UTC",
        name: str = "24x7",
        *,
        deadline_at: DeadlineAt | str = DeadlineAt.WINDOW_END,
    ) -> BusinessCalendar:
        """The 24×7 calendar: every instant is working time; business time is elapsed time."""
        return cls(time_zone=time_zone, week=[["00:00-24:00"]] * 7, name=name, deadline_at=deadline_at)

    @classmethod
    def weekdays(
        cls,
        time_zone: str | ZoneInfo,
        hours: Iterable[WorkingHours | str | Sequence[Any]],
        *,
        holidays: Iterable[date | str] = (),
        extra_working_days: Iterable[date | str] = (),
        name: str = "",
        deadline_at: DeadlineAt | str = DeadlineAt.WINDOW_END,
    ) -> BusinessCalendar:
        """Monday to Friday on the same ``hours``, with optional holidays and extra working days."""
        day = day_hours(hours)
        return cls(
            time_zone=time_zone,
            week=[day] * 5 + [(), ()],
            holidays=holidays,
            extra_working_days=extra_working_days,
            name=name,
            deadline_at=deadline_at,
        )

    # --- questions about days ---------------------------------------------------

    def working_hours(self, day: date) -> tuple[WorkingHours, ...]:
        """The working intervals of a local date: none on holidays, ``extra_day_hours`` on extra days."""
        day = _check_date("day", day)
        if day in self.holidays:
            return ()
        if day in self.extra_working_days:
            return self.extra_day_hours if self.extra_day_hours is not None else next(d for d in self.week if d)
        return self.week[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        """True if the local date has any working time."""
        return bool(self._spans_of(_check_date("day", day).toordinal()))

    def start_of_day(self, day: date) -> datetime:
        """The instant a local date begins (its first instant; after a gap if midnight is skipped)."""
        return self._from_us(self._day_start(_check_date("day", day).toordinal()))

    def end_of_day(self, day: date) -> datetime:
        """The instant a local date ends: 24:00 that day, which is 00:00 of the next.

        A deadline "by the end of 28 February" is this instant for 28 February; it is
        written ``…-03-01T00:00``, and anything done before it is on time.
        """
        return self._from_us(self._day_start(_check_date("day", day).toordinal() + 1))

    def working_day(self, day: date, days: int) -> date:
        """The local date ``days`` working days after ``day`` (before it, if negative).

        ``day`` itself is not counted: the first working day after (or before) it is
        number one. ``days=0`` gives ``day`` itself, working day or not.
        """
        ordinal = _check_date("day", day).toordinal()
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError("days", f"must be a whole number of days (negative counts back), got {days!r}")
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        while remaining:
            ordinal += step
            if self._spans_of(ordinal):
                remaining -= 1
        return date.fromordinal(ordinal)

    # --- questions about instants -------------------------------------------------

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end``; negative if ``end`` is earlier."""
        a = _to_us(check_aware("start", start))
        b = _to_us(check_aware("end", end))
        if b < a:
            return -self._between_us(b, a) * _US
        return self._between_us(a, b) * _US

    def add(self, instant: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of business time after ``instant`` (before it, if negative).

        ``between(instant, add(instant, d)) == d``. The result is inside working time or,
        when it falls where working time stops, at the close of that window
        (``deadline_at="window_end"``) or the start of the next working time
        (``"next_start"``). ``add(instant, timedelta(0))`` is :meth:`next_working_instant`.
        """
        u = _to_us(check_aware("instant", instant))
        if not isinstance(duration, timedelta):
            raise ValidationError("duration", f"must be a timedelta, got {type(duration).__name__}")
        return self._result(*self._add_us(u, duration // _US))

    def subtract(self, instant: datetime, duration: timedelta) -> datetime:
        """The instant with ``duration`` of business time between it and ``instant``.

        Where several instants qualify (a gap without working time), ``deadline_at`` picks
        the close of the earlier window (``window_end``) or the start of the later one
        (``next_start``): 1 business hour before Monday 10:00 on a 09:00–18:00 week is
        Friday 18:00 or Monday 09:00.
        """
        if not isinstance(duration, timedelta):
            raise ValidationError("duration", f"must be a timedelta, got {type(duration).__name__}")
        return self.add(instant, -duration)

    def next_working_instant(self, instant: datetime) -> datetime:
        """``instant`` itself if it is working time, else the start of the next working interval."""
        return self._result(*self._add_us(_to_us(check_aware("instant", instant)), 0))

    def settle(self, instant: datetime) -> datetime:
        """The instant this calendar reports for the place of ``instant`` in business time.

        Inside a working window it is ``instant``. Between windows (and at a window's
        start, which holds the same business time as the previous close) it is the close
        of the last window before it with ``window_end``, and the next working instant
        with ``next_start``. ``add(subtract(t, d), d)`` and ``subtract(add(t, d), d)``
        both give ``settle(t)`` for any positive ``d``.
        """
        u = _to_us(check_aware("instant", instant))
        if self._always or self.deadline_at is DeadlineAt.NEXT_START:
            return self._result(*self._add_us(u, 0))
        number, need = self._position(u)
        return self._result(*self._at(number, need, earliest=True))

    def add_months(self, instant: datetime, months: int, *, end_of_day: bool = False) -> datetime:
        """``instant`` moved by whole calendar ``months`` in the calendar's zone (negative: back).

        The day of the month is kept and clamped to the month's end (31 January + 1 month
        is 28 or 29 February); the local time of day is kept, or with ``end_of_day`` the
        result is the end of that date (:meth:`end_of_day`). Working time plays no part:
        this is calendar arithmetic. A wall time skipped by a daylight-saving change is
        read with the offset in force before it.
        """
        local = check_aware("instant", instant).astimezone(self.time_zone)
        day = add_months_to_date(local.date(), months)
        if end_of_day:
            return self.end_of_day(day)
        return self.at_wall_time(day, local.timetz().replace(tzinfo=None))

    def at_wall_time(self, day: date, wall: time) -> datetime:
        """The instant of wall-clock time ``wall`` on the local date ``day`` (fold 0 when ambiguous)."""
        local = datetime.combine(_check_date("day", day), wall).replace(tzinfo=self.time_zone)
        return fixed_offset(local.astimezone(UTC).astimezone(self.time_zone))

    def is_working(self, instant: datetime) -> bool:
        """True if ``instant`` falls inside a working interval (start included, end excluded)."""
        u = _to_us(check_aware("instant", instant))
        _, index, block = self._locate(u)
        return any(start <= u < end for start, end, _ in block.spans[index])

    def add_working_days(self, instant: datetime, days: int) -> datetime:
        """When the working day ``days`` working days after the local date of ``instant`` is over.

        The date of ``instant`` is not counted (a period starts the next day); a negative
        ``days`` counts back the same way, so ``-2`` from a Thursday visit is the end of
        Tuesday ("contact the customer two working days before"). ``days=0`` means the end
        of the date of ``instant``. The end of a working day is the close of its last
        window with ``deadline_at="window_end"`` and the start of the next working time
        with ``"next_start"``, so, like :meth:`add`, a result never falls at night or on a
        holiday. From an instant with no working time left that day, ``days=0`` is
        :meth:`next_working_instant`.
        """
        u = _to_us(check_aware("instant", instant))
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError("days", f"must be a whole number of days (negative counts back), got {days!r}")
        number, index, _ = self._locate(u)
        last = self.working_day(date.fromordinal(number * _BLOCK + index), days)
        boundary = self._day_start(last.toordinal() + 1)
        nothing_left = days == 0 and self._between_us(u, boundary) == 0
        if self._always or self.deadline_at is DeadlineAt.NEXT_START or nothing_left:
            return self._result(*self._add_us(boundary, 0))
        block_number, need = self._position(boundary)
        return self._result(*self._at(block_number, need, earliest=True))

    # --- internals ------------------------------------------------------------------

    def _from_us(self, u: int) -> datetime:
        return fixed_offset((_EPOCH + u * _US).astimezone(self.time_zone))

    def _result(self, u: int, offset: int | None) -> datetime:
        if offset is None:
            return self._from_us(u)
        return (_EPOCH + u * _US).astimezone(_fixed_zone(offset * _US))

    def _offset(self, u: int) -> int:
        offset = (_EPOCH + u * _US).astimezone(self.time_zone).utcoffset()
        assert offset is not None
        return offset // _US

    def _day_start(self, ordinal: int) -> int:
        day = date.fromordinal(ordinal)
        offset = self.time_zone.utcoffset(datetime(day.year, day.month, day.day))  # fold=0: after a gap
        assert offset is not None
        return (ordinal - _EPOCH_ORDINAL) * _DAY_SECONDS * _SECOND - offset // _US

    def _hours_s(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        day = date.fromordinal(ordinal)
        if day in self.holidays:
            return ()
        if day in self.extra_working_days:
            return self._extra_s
        return self._week_s[day.weekday()]

    def _transition(self, low: int, high: int, offset: int) -> int:
        """First instant in (low, high] whose UTC offset differs from ``offset``."""
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset(middle) == offset:
                low = middle
            else:
                high = middle
        return high

    def _compute_spans(self, ordinal: int, start: int, end: int) -> tuple[Span, ...]:
        hours = self._hours_s(ordinal)
        if not hours:
            return ()
        wall = (ordinal - _EPOCH_ORDINAL) * _DAY_SECONDS * _SECOND  # local midnight read as if UTC
        day = _DAY_SECONDS * _SECOND
        if wall - start == wall + day - end:  # both midnights have one offset: no transition today
            segments: tuple[Span, ...] = ((start, end, wall - start),)
        else:
            first, last = self._offset(start), self._offset(end - 1)
            switch = self._transition(start, end - 1, first) if first != last else end
            segments = ((start, switch, first), (switch, end, last))
        spans: list[Span] = []
        for begin, finish in hours:
            for low, high, offset in segments:
                lo = max(low, wall + begin * _SECOND - offset)
                hi = min(high, wall + finish * _SECOND - offset)
                if lo < hi:
                    spans.append((lo, hi, offset))
        spans.sort()  # touching spans stay apart: each keeps its own offset
        return tuple(spans)

    def _block(self, number: int) -> _Block:
        block = self._blocks.get(number)
        if block is None:
            first = number * _BLOCK
            if first < 1 or first + _BLOCK >= date.max.toordinal():
                raise ValidationError("instant", "business time arithmetic left the supported years 1-9999")
            bounds = tuple(self._day_start(first + i) for i in range(_BLOCK + 1))
            spans = tuple(self._compute_spans(first + i, bounds[i], bounds[i + 1]) for i in range(_BLOCK))
            cum = [0]
            for day in spans:
                cum.append(cum[-1] + sum(end - start for start, end, _ in day))
            block = _Block(spans, tuple(cum), bounds)
            if len(self._blocks) >= _MAX_CACHED_BLOCKS:
                self._blocks.clear()
            self._blocks[number] = block
        return block

    def _spans_of(self, ordinal: int) -> tuple[Span, ...]:
        number, index = divmod(ordinal, _BLOCK)
        return self._block(number).spans[index]

    def _locate(self, u: int) -> tuple[int, int, _Block]:
        """Block number, index in the block and block of the local date containing instant ``u``."""
        # the UTC date is the local date give or take one; the day bounds settle it
        number, index = divmod(_EPOCH_ORDINAL + u // (_DAY_SECONDS * _SECOND), _BLOCK)
        block = self._block(number)
        while u < block.bounds[index]:
            number, index = divmod(number * _BLOCK + index - 1, _BLOCK)
            block = self._block(number)
        while u >= block.bounds[index + 1]:
            number, index = divmod(number * _BLOCK + index + 1, _BLOCK)
            block = self._block(number)
        return number, index, block

    def _position(self, u: int) -> tuple[int, int]:
        """Block number of ``u`` and the business time from that block's start to ``u``."""
        number, index, block = self._locate(u)
        return number, block.cum[index] + _in_day(block.spans[index], u)

    def _between_us(self, a: int, b: int) -> int:
        if self._always:
            return b - a
        block_a, at_a = self._position(a)
        block_b, at_b = self._position(b)
        if block_a == block_b:
            return at_b - at_a
        total = self._block(block_a).total - at_a + at_b
        for number in range(block_a + 1, block_b):
            total += self._block(number).total
        return total

    def _add_us(self, u: int, duration: int) -> tuple[int, int | None]:
        """The result instant and its UTC offset (``None``: ask the zone)."""
        if self._always:
            return u + duration, None
        number, need = self._position(u)
        return self._at(number, need + duration, earliest=duration != 0 and self.deadline_at is DeadlineAt.WINDOW_END)

    def _at(self, number: int, need: int, *, earliest: bool) -> tuple[int, int | None]:
        """The earliest or latest instant ``need`` business time after the start of block ``number``."""
        block = self._block(number)
        if earliest:  # the instant the last microsecond is used up: inside a window or at its close
            while need <= 0:
                number -= 1
                block = self._block(number)
                need += block.total
            while need > block.total:
                need -= block.total
                number += 1
                block = self._block(number)
            index = bisect.bisect_left(block.cum, need) - 1
            rest = need - block.cum[index]
            for start, end, offset in block.spans[index]:
                if rest <= end - start:
                    return start + rest, offset
                rest -= end - start
            raise AssertionError("unreachable: the day holds the business time left")  # pragma: no cover
        while need < 0:
            number -= 1
            block = self._block(number)
            need += block.total
        while need >= block.total:  # the latest instant: skip days (and blocks) with nothing left
            need -= block.total
            number += 1
            block = self._block(number)
        index = bisect.bisect_right(block.cum, need) - 1
        rest = need - block.cum[index]
        for start, end, offset in block.spans[index]:
            if rest < end - start:
                return start + rest, offset
            rest -= end - start
        raise AssertionError("unreachable: the day holds more business time than is left")  # pragma: no cover


def _check_date(field: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(field, f"must be a date, got {value!r}")
    return value


__all__ = [
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "DeadlineAt",
    "WorkingHours",
    "add_months_to_date",
    "date_set",
    "day_hours",
    "fixed_offset",
]
