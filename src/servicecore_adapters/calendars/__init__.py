"""Built-in calendar providers, registered through the ``servicecore_calendars`` hook.

========  =====================================================================================
name      calendar
========  =====================================================================================
cn        Mainland China: public holidays and 调休 make-up working days from ``holidays``,
          ``Asia/Shanghai``, 09:00–12:00 and 13:30–18:00 Monday to Friday.
holidays  Any country (and subdivision) ``holidays`` supports; ``country`` and ``time_zone``.
weekly    Your own weekly hours, holidays and extra working days; no public-holiday data.
24x7      Every instant is working time.
========  =====================================================================================

``Plugins().calendar("cn", {"years": "2024-2030"})`` builds one; see
:mod:`servicecore_adapters.calendars.providers` for every option.
"""

from __future__ import annotations

from servicecore.hookspecs import CalendarFactory, hookimpl
from servicecore_adapters.calendars.providers import (
    always_open_from_options,
    china_calendar,
    china_from_options,
    holiday_calendar,
    holidays_from_options,
    latest_make_up_year,
    weekly_from_options,
)


@hookimpl
def servicecore_calendars() -> dict[str, CalendarFactory]:
    """Provide the ``cn``, ``holidays``, ``weekly`` and ``24x7`` calendars."""
    return {
        "cn": china_from_options,
        "holidays": holidays_from_options,
        "weekly": weekly_from_options,
        "24x7": always_open_from_options,
    }


__all__ = ["china_calendar", "holiday_calendar", "latest_make_up_year"]
