"""Service levels, pure: business calendars, SLA policies and clocks. No I/O, no clock reads.

* :class:`BusinessCalendar` — working hours in a time zone with holidays and make-up
  working days; business-time arithmetic (:mod:`servicecore.sla.calendar`).
* :class:`SlaPolicy`, :class:`ClockSpec`, :class:`Target`, :class:`EscalationLevel` —
  what is measured, against which targets, with which settings (:mod:`servicecore.sla.policy`).
* :class:`Clocks` — the clocks of one case, driven by its status; :meth:`Clocks.scan`
  records warnings, breaches and escalations exactly once (:mod:`servicecore.sla.clocks`).

Calendars with public holidays come from calendar providers (the ``servicecore_calendars``
hook; ``Plugins().calendar("cn")`` for mainland China).
"""

from servicecore.sla.calendar import WEEKDAY_NAMES, BusinessCalendar, DeadlineAt, WorkingHours, day_hours
from servicecore.sla.clocks import (
    Alert,
    AlertKind,
    Checkpoint,
    Clocks,
    ClockState,
    Pause,
    SlaClock,
    initial_due,
    schedule,
)
from servicecore.sla.durations import format_duration, parse_duration
from servicecore.sla.policy import (
    ANY_PRIORITY,
    RESERVED_LEVELS,
    ClockSpec,
    EscalationLevel,
    HoldTime,
    OnReopen,
    PausedStart,
    ServiceLevel,
    SlaPolicy,
    Target,
    TargetUnit,
)

__all__ = [
    "ANY_PRIORITY",
    "RESERVED_LEVELS",
    "WEEKDAY_NAMES",
    "Alert",
    "AlertKind",
    "BusinessCalendar",
    "Checkpoint",
    "ClockSpec",
    "ClockState",
    "Clocks",
    "DeadlineAt",
    "EscalationLevel",
    "HoldTime",
    "OnReopen",
    "Pause",
    "PausedStart",
    "ServiceLevel",
    "SlaClock",
    "SlaPolicy",
    "Target",
    "TargetUnit",
    "WorkingHours",
    "day_hours",
    "format_duration",
    "initial_due",
    "parse_duration",
    "schedule",
]
