"""Durations as ISO 8601 text (``PT8H30M``), for configuration files and stored clocks.

A day (``D``) is 24 hours and a week (``W``) 7 days, as in :class:`~datetime.timedelta`;
years and months are refused because their length depends on the date.

>>> format_duration(timedelta(hours=8, minutes=30))
'PT8H30M'
>>> parse_duration("P2DT4H")
datetime.timedelta(days=2, seconds=14400)
>>> format_duration(-timedelta(minutes=90))
'-PT1H30M'
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from servicecore.kernel.errors import ValidationError

_PATTERN = re.compile(
    r"^(?P<sign>[-+])?P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d{1,6})?)S)?)?$"
)
_US_PER_SECOND = 1_000_000


def format_duration(value: timedelta) -> str:
    """``value`` as an ISO 8601 duration: days, hours, minutes and (fractional) seconds."""
    if not isinstance(value, timedelta):
        raise ValidationError("duration", f"must be a timedelta, got {type(value).__name__}")
    sign = "-" if value < timedelta(0) else ""
    total = abs(value) // timedelta(microseconds=1)
    seconds, micros = divmod(total, _US_PER_SECOND)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    date_part = f"{days}D" if days else ""
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros:
        fraction = f".{micros:06d}".rstrip("0") if micros else ""
        time_part += f"{seconds}{fraction}S"
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


def parse_duration(value: object, field: str = "duration") -> timedelta:
    """An ISO 8601 duration (``PT4H``, ``P1DT2H``, ``-PT30M``) or a timedelta, as a timedelta.

    Anything else raises :class:`~servicecore.ValidationError` naming ``field``.
    """
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValidationError(field, f"must be an ISO 8601 duration like 'PT4H', got {value!r}")
    match = _PATTERN.match(value.strip().upper())
    if match is None:
        raise ValidationError(field, f"not an ISO 8601 duration (days, hours, minutes, seconds): {value!r}")
    parts = match.groupdict()
    try:
        seconds = Decimal((parts["seconds"] or "0").replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ValidationError(field, f"bad seconds in {value!r}") from None
    result = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        microseconds=int(seconds * _US_PER_SECOND),
    )
    return -result if parts["sign"] == "-" else result


__all__ = ["format_duration", "parse_duration"]
