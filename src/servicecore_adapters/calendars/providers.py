"""Business calendars built from the ``holidays`` package, and the option parsing of the providers.

:func:`holiday_calendar` turns a country's public holidays *and* its make-up working
days (``weekend_workdays`` in ``holidays``: China's 调休 Saturdays and Sundays) into a
:class:`~servicecore.sla.BusinessCalendar`. :func:`china_calendar` is the same with
mainland China's defaults: ``Asia/Shanghai``, 09:00–12:00 and 13:30–18:00, Monday to Friday.

Where the data ends: ``holidays`` carries China's official schedules (the State Council's
yearly notice, published around November for the next year) from 2001 up to the year
:func:`latest_make_up_year` reports — 2026 with ``holidays`` 0.109. For later years it
only *estimates* the statutory days and has no make-up days. Until a ``holidays``
release carries a new notice, pass its dates through ``extra_holidays``,
``extra_working_days`` and ``not_holidays``.

Every provider takes the option ``deadline_at``: ``"window_end"`` (the default) reports a
deadline that falls where working time stops at the close of that window (18:00, "by close
of business"); ``"next_start"`` reports it at the start of the next working time (09:00 the
next working morning). See :class:`~servicecore.sla.calendar.DeadlineAt`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import holidays as holidays_package

from servicecore.domain.errors import ConfigurationError, ValidationError
from servicecore.sla.calendar import WEEKDAY_NAMES, BusinessCalendar, DeadlineAt, WorkingHours, date_set, day_hours

CHINA_TIME_ZONE = "Asia/Shanghai"
"""Mainland China's time zone."""
CHINA_HOURS: tuple[str, ...] = ("09:00-12:00", "13:30-18:00")
"""Default working hours of the ``cn`` calendar: a morning and an afternoon with a lunch break."""
DEFAULT_YEARS = range(2001, 2051)
"""Years loaded when no ``years`` option is given."""
DEFAULT_HOURS: tuple[str, ...] = ("09:00-17:00",)
"""Default working hours of the generic ``holidays`` calendar."""

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-|–|\.\.)\s*(\d{4})\s*$")


def _load(country: str, subdivision: str | None, years: range | tuple[int, ...]) -> Any:
    try:
        return holidays_package.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as exc:
        raise ConfigurationError(f"calendar option 'country'/'subdivision': {exc}") from None


def _with_neighbours(years: Iterable[int]) -> tuple[int, ...]:
    # a make-up day can sit in the year before its holiday (29 Dec 2001 for New Year 2002)
    wanted = set(years)
    return tuple(sorted(wanted | {y - 1 for y in wanted} | {y + 1 for y in wanted}))


def holiday_calendar(
    country: str,
    *,
    time_zone: str,
    subdivision: str | None = None,
    years: Iterable[int] = DEFAULT_YEARS,
    hours: Iterable[str] = DEFAULT_HOURS,
    workdays: Iterable[int] | None = None,
    extra_holidays: Iterable[date | str] = (),
    extra_working_days: Iterable[date | str] = (),
    not_holidays: Iterable[date | str] = (),
    name: str = "",
    deadline_at: DeadlineAt | str = DeadlineAt.WINDOW_END,
) -> BusinessCalendar:
    """A calendar from ``holidays``: public holidays and make-up working days of ``country``.

    ``workdays`` defaults to the days that are not the country's weekend in ``holidays``
    (Sunday to Thursday for Saudi Arabia). The make-up working days work ``hours``.
    ``extra_holidays``, ``extra_working_days`` and ``not_holidays`` correct or extend the
    package's data (an announced schedule it does not carry yet). ``deadline_at`` is the
    calendar's :class:`~servicecore.sla.calendar.DeadlineAt` setting.
    """
    return _holiday_calendar(
        country,
        time_zone,
        subdivision,
        tuple(sorted(set(years))),
        day_hours(hours),
        None if workdays is None else tuple(sorted(set(workdays))),
        date_set("extra_holidays", extra_holidays),
        date_set("extra_working_days", extra_working_days),
        date_set("not_holidays", not_holidays),
        name or country.lower(),
        deadline_at,
    )


@functools.lru_cache(maxsize=32)  # loading decades of holidays takes a while; calendars are immutable
def _holiday_calendar(
    country: str,
    time_zone: str,
    subdivision: str | None,
    years: tuple[int, ...],
    hours: tuple[WorkingHours, ...],
    workdays: tuple[int, ...] | None,
    extra_holidays: frozenset[date],
    extra_working_days: frozenset[date],
    not_holidays: frozenset[date],
    name: str,
    deadline_at: DeadlineAt | str,
) -> BusinessCalendar:
    data = _load(country, subdivision, _with_neighbours(years))
    working = [d for d in range(7) if d not in data.weekend] if workdays is None else list(workdays)
    made_up = set(data.weekend_workdays) | extra_working_days
    off = (set(data.keys()) | extra_holidays) - not_holidays - made_up
    return BusinessCalendar(
        time_zone=time_zone,
        week={d: hours for d in working},
        holidays=off,
        extra_working_days=made_up,
        extra_day_hours=hours,
        name=name,
        deadline_at=deadline_at,
    )


def china_calendar(
    *,
    time_zone: str = CHINA_TIME_ZONE,
    years: Iterable[int] = DEFAULT_YEARS,
    hours: Iterable[str] = CHINA_HOURS,
    extra_holidays: Iterable[date | str] = (),
    extra_working_days: Iterable[date | str] = (),
    not_holidays: Iterable[date | str] = (),
    name: str = "cn",
    deadline_at: DeadlineAt | str = DeadlineAt.WINDOW_END,
) -> BusinessCalendar:
    """Mainland China: public holidays and 调休 make-up working days, Monday to Friday office hours.

    >>> cal = china_calendar(years=[2025])
    >>> cal.is_working_day(date(2025, 1, 26)), cal.is_working_day(date(2025, 1, 28))  # a make-up Sunday; Eve
    (True, False)
    """
    return holiday_calendar(
        "CN",
        time_zone=time_zone,
        years=years,
        hours=hours,
        workdays=range(5),
        extra_holidays=extra_holidays,
        extra_working_days=extra_working_days,
        not_holidays=not_holidays,
        name=name,
        deadline_at=deadline_at,
    )


@functools.cache
def latest_make_up_year(country: str = "CN") -> int | None:
    """The last year for which the installed ``holidays`` lists make-up working days of ``country``.

    For China that is the last official schedule it carries; later years are estimates.
    """
    data = _load(country, None, DEFAULT_YEARS)
    years = [d.year for d in data.weekend_workdays]
    return max(years) if years else None


# --- provider options -------------------------------------------------------------


def _check_options(provider: str, options: Mapping[str, Any], known: Iterable[str]) -> None:
    allowed = set(known)
    unknown = set(options) - allowed
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) for calendar {provider!r}: {sorted(unknown)}; known: {', '.join(sorted(allowed))}"
        )


def _years(provider: str, value: object) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str) and (match := _YEARS.match(value)):
        first, last = int(match[1]), int(match[2])
        if first <= last:
            return tuple(range(first, last + 1))
    if (
        isinstance(value, list | tuple | range)
        and value
        and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
    ):
        return tuple(value)
    raise ConfigurationError(
        f"calendar {provider!r} option 'years': give a year, a list of years or a span like '2020-2030', got {value!r}"
    )


def _string_list(provider: str, option: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"calendar {provider!r} option {option!r}: expected a list of strings, got {value!r}")
    return tuple(value)


def _workdays(provider: str, value: object) -> tuple[int, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ConfigurationError(f"calendar {provider!r} option 'workdays': expected a list like ['mon', 'tue']")
    days: list[int] = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            days.append(item)
        elif isinstance(item, str) and item.strip().lower()[:3] in WEEKDAY_NAMES:
            days.append(WEEKDAY_NAMES.index(item.strip().lower()[:3]))
        else:
            raise ConfigurationError(
                f"calendar {provider!r} option 'workdays': {item!r} is not a weekday (0-6 or 'mon'..'sun')"
            )
    return tuple(days)


def _build(provider: str, build: Any, **kwargs: Any) -> BusinessCalendar:
    try:
        calendar: BusinessCalendar = build(**kwargs)
    except ValidationError as exc:
        raise ConfigurationError(f"calendar {provider!r} option {exc.field!r}: {exc.message}") from None
    return calendar


_COMMON = (
    "years",
    "hours",
    "extra_holidays",
    "extra_working_days",
    "not_holidays",
    "name",
    "time_zone",
    "deadline_at",
)


def _deadline_at(provider: str, options: Mapping[str, Any]) -> dict[str, Any]:
    if "deadline_at" not in options:
        return {}
    value = options["deadline_at"]
    if not isinstance(value, str) or value not in {m.value for m in DeadlineAt}:
        choices = ", ".join(repr(m.value) for m in DeadlineAt)
        raise ConfigurationError(f"calendar {provider!r} option 'deadline_at': must be one of {choices}, got {value!r}")
    return {"deadline_at": DeadlineAt(value)}


def _common(provider: str, options: Mapping[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "years" in options:
        kwargs["years"] = _years(provider, options["years"])
    for option in ("hours", "extra_holidays", "extra_working_days", "not_holidays"):
        if option in options:
            kwargs[option] = _string_list(provider, option, options[option])
    for option in ("name", "time_zone"):
        if option in options:
            if not isinstance(options[option], str):
                raise ConfigurationError(f"calendar {provider!r} option {option!r}: expected a string")
            kwargs[option] = options[option]
    kwargs.update(_deadline_at(provider, options))
    return kwargs


def china_from_options(options: Mapping[str, Any]) -> BusinessCalendar:
    """The ``cn`` provider: :func:`china_calendar` with options ``time_zone``, ``years``, ``hours``,
    ``extra_holidays``, ``extra_working_days``, ``not_holidays``, ``name`` and ``deadline_at``
    (``"window_end"``, the default, or ``"next_start"``)."""
    _check_options("cn", options, _COMMON)
    return _build("cn", china_calendar, **_common("cn", options))


def holidays_from_options(options: Mapping[str, Any]) -> BusinessCalendar:
    """The ``holidays`` provider: :func:`holiday_calendar` for any country ``holidays`` supports.

    Options: ``country`` and ``time_zone`` (required), ``subdivision``, ``workdays``
    (``["mon", ...]``) and those of ``cn``.
    """
    _check_options("holidays", options, (*_COMMON, "country", "subdivision", "workdays"))
    for required in ("country", "time_zone"):
        if not isinstance(options.get(required), str) or not options[required].strip():
            raise ConfigurationError(f"calendar 'holidays' needs the option {required!r} (a string)")
    kwargs = _common("holidays", options)
    if "subdivision" in options:
        if not isinstance(options["subdivision"], str):
            raise ConfigurationError("calendar 'holidays' option 'subdivision': expected a string")
        kwargs["subdivision"] = options["subdivision"]
    if "workdays" in options:
        kwargs["workdays"] = _workdays("holidays", options["workdays"])
    return _build("holidays", holiday_calendar, country=options["country"].strip().upper(), **kwargs)


def always_open_from_options(options: Mapping[str, Any]) -> BusinessCalendar:
    """The ``24x7`` provider: every instant is working time. Options: ``time_zone`` (default UTC), ``name``.

    ``deadline_at`` is accepted for uniformity; a calendar that never stops has no window ends.
    """
    _check_options("24x7", options, ("time_zone", "name", "deadline_at"))
    kwargs = _common("24x7", options)
    return _build("24x7", BusinessCalendar.always_open, **kwargs)


def weekly_from_options(options: Mapping[str, Any]) -> BusinessCalendar:
    """The ``weekly`` provider: your own hours and dates, no public-holiday data.

    Options: ``time_zone`` (required), ``week`` (``{"mon": ["09:00-18:00"], ...}``) or
    ``hours`` with ``workdays`` (default Monday to Friday), ``holidays``,
    ``extra_working_days``, ``name``, ``deadline_at`` (``"window_end"`` or ``"next_start"``).
    """
    provider = "weekly"
    _check_options(
        provider,
        options,
        ("time_zone", "week", "hours", "workdays", "holidays", "extra_working_days", "name", "deadline_at"),
    )
    if not isinstance(options.get("time_zone"), str):
        raise ConfigurationError("calendar 'weekly' needs the option 'time_zone' (a string)")
    if "week" in options and ("hours" in options or "workdays" in options):
        raise ConfigurationError("calendar 'weekly': give either 'week' or 'hours'/'workdays', not both")
    if "week" in options:
        week = options["week"]
    else:
        hours = _string_list(provider, "hours", options.get("hours", list(DEFAULT_HOURS)))
        workdays = _workdays(provider, options.get("workdays", [0, 1, 2, 3, 4]))
        week = {d: hours for d in workdays}
    dates = {o: _string_list(provider, o, options[o]) for o in ("holidays", "extra_working_days") if o in options}
    return _build(
        provider,
        BusinessCalendar,
        time_zone=options["time_zone"],
        week=week,
        name=str(options.get("name", provider)),
        **dates,
        **_deadline_at(provider, options),
    )


__all__ = [
    "CHINA_HOURS",
    "CHINA_TIME_ZONE",
    "DEFAULT_HOURS",
    "DEFAULT_YEARS",
    "always_open_from_options",
    "china_calendar",
    "china_from_options",
    "holiday_calendar",
    "holidays_from_options",
    "latest_make_up_year",
    "weekly_from_options",
]
