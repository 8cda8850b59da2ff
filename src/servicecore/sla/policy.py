"""SLA policies: which clocks run in which states, their targets, warnings and escalation levels.

A policy is configuration, not state. It names clocks (``ClockSpec``): the statuses of an
aggregate that start, pause and stop each one, and a :class:`Target` per priority. It holds
the warning threshold, the escalation levels and the settings peers tend to get wrong
implicitly, each with a tested default:

=======================  ========================================================================
``hold_time``            ``BUSINESS`` (default): a pause gives back the business time it lasted.
                         ``WALL_CLOCK``: the due time moves by the pause's wall-clock length.
``on_reopen``            ``RESUME`` (default): the clock continues; the time it was closed counts
                         as a pause. ``RESTART``: a fresh clock. ``KEEP_STOPPED``: no change.
``paused_start``         ``START_PAUSED`` (default): a clock that starts in a pausing status
                         starts at once, paused. ``DEFER_START``: it starts when the pause ends.
priority / policy        Changing either mid-case keeps the clock's start and its pauses: the
change                   elapsed and paused time are replayed against the new target.
=======================  ========================================================================

>>> from datetime import timedelta
>>> policy = SlaPolicy(
...     name="standard",
...     clocks=[
...         ClockSpec(
...             name="first_response",
...             start_on={"received"},
...             stop_on={"acknowledged", "declined", "withdrawn"},
...             targets={"urgent": Target.business(timedelta(hours=1)), "*": Target.business(timedelta(hours=4))},
...         )
...     ],
... )
>>> policy.target("first_response", "normal")  # doctest: +ELLIPSIS
Target(unit=<TargetUnit.BUSINESS_TIME: 'business_time'>, amount=datetime.timedelta(seconds=14400), ...)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs

from servicecore.kernel.errors import ConfigurationError, ValidationError
from servicecore.kernel.validation import as_tuple, is_bool, non_empty, parse_decimal, parse_enum
from servicecore.sla.durations import format_duration, parse_duration

ANY_PRIORITY = "*"
"""The ``targets`` key used when a clock has no target for the case's own priority."""
RESERVED_LEVELS = frozenset({"warning", "breach"})
"""Checkpoint names taken by the warning and the breach; escalation levels use others."""


class TargetUnit(enum.StrEnum):
    """What a target counts."""

    BUSINESS_TIME = "business_time"
    """Business time on the calendar (first response in 4 business hours)."""
    BUSINESS_DAYS = "business_days"
    """Whole working days after the start date (rectify within 5 working days)."""
    CALENDAR_DAYS = "calendar_days"
    """Whole calendar days after the start date (appeal within 15 days)."""
    CALENDAR_MONTHS = "calendar_months"
    """Whole calendar months after the start date, clamped to the month's end (acceptance
    two months after go-live: 31 December + 2 months is 28 February, 29 in a leap year)."""

    @property
    def is_calendar(self) -> bool:
        """True for calendar days and months: elapsed time, whatever the working hours."""
        return self in (TargetUnit.CALENDAR_DAYS, TargetUnit.CALENDAR_MONTHS)


class HoldTime(enum.StrEnum):
    """How much a pause gives back to a clock."""

    BUSINESS = "business"
    """The business time the pause lasted (a weekend hold gives back nothing)."""
    WALL_CLOCK = "wall_clock"
    """The wall-clock length of the pause: the due time moves by that much, then to working time."""


class OnReopen(enum.StrEnum):
    """What a stopped clock does when the case leaves its stopping status again."""

    RESUME = "resume"
    """Continue; the time the case was closed counts as a pause."""
    RESTART = "restart"
    """Start a fresh clock at the reopening, with fresh warnings and escalations."""
    KEEP_STOPPED = "keep_stopped"
    """Keep the first verdict; the reopened case runs without this clock."""


class PausedStart(enum.StrEnum):
    """What a clock does when it starts in a status that pauses it."""

    START_PAUSED = "start_paused"
    """It starts at once and is paused from its first instant."""
    DEFER_START = "defer_start"
    """Its start is the instant the pause ends."""


def _unit(value: TargetUnit | str) -> TargetUnit:
    return parse_enum(TargetUnit, "unit", value)


def _hold_time(value: HoldTime | str) -> HoldTime:
    return parse_enum(HoldTime, "hold_time", value)


def _on_reopen(value: OnReopen | str) -> OnReopen:
    return parse_enum(OnReopen, "on_reopen", value)


def _paused_start(value: PausedStart | str) -> PausedStart:
    return parse_enum(PausedStart, "paused_start", value)


def _amount(value: object, unit: TargetUnit) -> timedelta:
    if unit is TargetUnit.BUSINESS_TIME:
        if isinstance(value, timedelta | str):
            return parse_duration(value, "amount")
        raise ValidationError(
            "amount", f"a business_time target is a duration: a timedelta or ISO 8601 text like 'PT4H', got {value!r}"
        )
    if unit is TargetUnit.CALENDAR_MONTHS:
        if isinstance(value, timedelta) and not value:
            return value
        raise ValidationError(
            "amount",
            f"a calendar_months target counts months in 'months', not 'amount': "
            f"Target.calendar_months(2) or Target('calendar_months', months=2), got amount {value!r}",
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(days=value)
    if isinstance(value, timedelta | str):
        try:
            return parse_duration(value, "amount")
        except ValidationError:
            pass
    raise ValidationError(
        "amount", f"a {unit.value} target counts whole days: give a number of days like 15 (or 'P15D'), got {value!r}"
    )


def _months(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("months", f"must be a whole number of months (negative counts back), got {value!r}")
    return value


@attrs.frozen(init=False)
class Target:
    """How long a clock may run: business time, working days, calendar days or calendar months.

    Days are counted from the day after the start (the start date itself is not counted);
    a negative number counts back from the start (to be due before an anchor, "two working
    days before the visit"). Months keep the day of the month, clamped to the month's end.

    ``end_of_day`` (default) makes a day or month target due when its last day ends, as an
    agreement that says "within five days" or "two months after go-live" means it: for
    calendar units the midnight that ends the last day (24:00 local time, written as 00:00
    of the next day — read it "by the end of 28 February"); for working days the close of
    that day's last working window (or the next start, with a ``next_start`` calendar).
    Without it, the target keeps the time of day of the start: 14:00 + 2 working days is
    14:00 on the second working day.

    With ``roll_forward`` (calendar units, on by default) a last day that is not a working
    day moves to the next working day, as Chinese procedural law counts periods ending on
    a holiday; counting back, it moves to the working day before, so a notice is never
    shorter. Business-time targets ignore both settings.

    >>> Target.business_days(5).days
    5
    >>> Target("calendar_days", 61).amount
    datetime.timedelta(days=61)
    >>> Target.calendar_months(2).months
    2
    """

    unit: TargetUnit
    amount: timedelta = timedelta(0)
    roll_forward: bool = attrs.field(default=True, validator=is_bool)
    end_of_day: bool = attrs.field(default=True, validator=is_bool)
    months: int = 0

    def __init__(
        self,
        unit: TargetUnit | str,
        amount: timedelta | str | int = timedelta(0),
        roll_forward: bool = True,
        end_of_day: bool = True,
        months: int = 0,
    ) -> None:
        """A target of ``amount`` (or ``months``) in ``unit``; the amount is read as the unit counts."""
        checked = _unit(unit)
        self.__attrs_init__(checked, _amount(amount, checked), roll_forward, end_of_day, _months(months))

    def __attrs_post_init__(self) -> None:
        if self.unit is TargetUnit.BUSINESS_TIME:
            if self.amount <= timedelta(0):
                raise ValidationError(
                    "amount", f"a business_time target must be a positive duration like 'PT4H', got {self.amount}"
                )
            if not self.end_of_day:
                raise ValidationError("end_of_day", "a business_time target ends when its time is used up")
        elif self.amount % timedelta(days=1):
            raise ValidationError(
                "amount", f"a {self.unit.value} target counts whole days, got {format_duration(self.amount)}"
            )
        if self.months and self.unit is not TargetUnit.CALENDAR_MONTHS:
            raise ValidationError("months", f"only a calendar_months target counts months, not {self.unit.value}")

    @classmethod
    def business(cls, amount: timedelta | str) -> Target:
        """A business-time target (``timedelta`` or ISO 8601 text like ``"PT4H"``)."""
        return cls(TargetUnit.BUSINESS_TIME, amount)

    @classmethod
    def business_days(cls, days: int, *, end_of_day: bool = True) -> Target:
        """A target of whole working days after the start date (before it, if negative)."""
        return cls(TargetUnit.BUSINESS_DAYS, timedelta(days=_days(days)), end_of_day=end_of_day)

    @classmethod
    def calendar_days(cls, days: int, *, roll_forward: bool = True, end_of_day: bool = True) -> Target:
        """A target of whole calendar days after the start date (before it, if negative)."""
        return cls(TargetUnit.CALENDAR_DAYS, timedelta(days=_days(days)), roll_forward, end_of_day)

    @classmethod
    def calendar_months(cls, months: int, *, roll_forward: bool = True, end_of_day: bool = True) -> Target:
        """A target of whole calendar months after the start date (before it, if negative).

        31 December + 2 months ends with 28 February (29 in a leap year); with
        ``roll_forward`` a last day that is not a working day moves to the next one.
        """
        return cls(TargetUnit.CALENDAR_MONTHS, roll_forward=roll_forward, end_of_day=end_of_day, months=_months(months))

    @property
    def days(self) -> int:
        """Whole days of a day-based target (``amount`` in days; 0 for a month target)."""
        return self.amount.days


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("days", f"must be a whole number of days (negative counts back), got {value!r}")
    return value


def _fraction(field: str, value: object) -> Decimal:
    fraction = parse_decimal(field, value)
    if not Decimal(0) <= fraction <= Decimal(1):
        raise ValidationError(field, f"must be a fraction between 0 and 1 (0.8 is 80 %), got {value!r}")
    return fraction


def _optional_fraction(value: object) -> Decimal | None:
    return None if value is None else _fraction("elapsed", value)


def _roles(value: Iterable[str]) -> tuple[str, ...]:
    roles = as_tuple("notify", value, of=str)
    if not roles or not all(role.strip() for role in roles):
        raise ValidationError("notify", "name at least one role to notify, e.g. ('assignee', 'supervisor')")
    return roles


def _after_due(value: object) -> timedelta:
    return parse_duration(value, "after_due")


def _optional_name(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(attribute.name, f"must be a non-empty name or None, got {value!r}")


@attrs.frozen(kw_only=True)
class EscalationLevel:
    """A checkpoint relative to the due time, with the roles to notify when it is reached.

    Either ``elapsed`` — a fraction of the target used up (``0.75`` fires at 75 %) — or
    ``after_due`` — business time after the due time, negative for before it, zero for at
    it. Both are counted in business time, so a level never fires at night or on a holiday.

    A level may also act when the scan reaches it, recorded in the case's history by the
    SLA scan: ``reassign_to`` (a person's id) becomes the case's assignee (work orders),
    and ``raise_priority`` raises a request's priority one step. A case the action does
    not apply to is only notified.

    >>> EscalationLevel.after("supervisor", timedelta(hours=2), notify=["supervisor"]).after_due
    datetime.timedelta(seconds=7200)
    """

    name: str = attrs.field(validator=non_empty)
    notify: tuple[str, ...] = attrs.field(converter=_roles)
    elapsed: Decimal | None = attrs.field(default=None, converter=_optional_fraction)
    after_due: timedelta = attrs.field(default=timedelta(0), converter=_after_due)
    reassign_to: str | None = attrs.field(default=None, validator=_optional_name)
    raise_priority: bool = attrs.field(default=False, validator=is_bool)

    def __attrs_post_init__(self) -> None:
        if self.name in RESERVED_LEVELS:
            raise ValidationError("name", f"{self.name!r} is reserved; name escalation levels otherwise")
        if self.elapsed is not None and self.after_due:
            raise ValidationError("after_due", "give either elapsed or after_due, not both")

    @classmethod
    def at_elapsed(cls, name: str, fraction: Decimal | str | int, *, notify: Iterable[str]) -> EscalationLevel:
        """A level reached when ``fraction`` of the target is used up (``"0.75"``)."""
        return cls(name=name, notify=notify, elapsed=fraction)

    @classmethod
    def at_due(cls, name: str, *, notify: Iterable[str]) -> EscalationLevel:
        """A level reached at the due time."""
        return cls(name=name, notify=notify)

    @classmethod
    def after(cls, name: str, offset: timedelta, *, notify: Iterable[str]) -> EscalationLevel:
        """A level ``offset`` business time after the due time (negative: before it)."""
        return cls(name=name, notify=notify, after_due=offset)


def _statuses(field: str, value: Iterable[str]) -> frozenset[str]:
    items = as_tuple(field, value, of=str)
    return frozenset(str(item) for item in items)  # a StrEnum member becomes its plain value


def _start_on(value: Iterable[str]) -> frozenset[str]:
    return _statuses("start_on", value)


def _stop_on(value: Iterable[str]) -> frozenset[str]:
    return _statuses("stop_on", value)


def _pause_on(value: Iterable[str]) -> frozenset[str]:
    return _statuses("pause_on", value)


def _targets(value: Mapping[str, Target] | Iterable[tuple[str, Target]]) -> tuple[tuple[str, Target], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if isinstance(pairs, str) or not isinstance(pairs, Iterable):
        raise ValidationError("targets", "must map priorities to targets")
    result: dict[str, Target] = {}
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValidationError("targets", f"must map priorities to targets, got {pair!r}")
        priority, target = pair
        if not isinstance(target, Target):
            raise ValidationError(f"targets[{priority!r}]", f"must be a Target, got {target!r}")
        result[str(priority)] = target
    if not result:
        raise ValidationError("targets", "a clock needs at least one target (use '*' for every priority)")
    return tuple(sorted(result.items()))


def _levels(value: Iterable[EscalationLevel] | None) -> tuple[EscalationLevel, ...] | None:
    if value is None:
        return None
    levels = as_tuple("escalations", value, of=EscalationLevel)
    names = [level.name for level in levels]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValidationError("escalations", f"level names must be unique, repeated: {repeated}")
    return levels


def _policy_levels(value: Iterable[EscalationLevel]) -> tuple[EscalationLevel, ...]:
    levels = _levels(value)
    return () if levels is None else levels


@attrs.frozen(kw_only=True)
class ClockSpec:
    """One named clock: the statuses that start, pause and stop it, and its targets by priority.

    Statuses are compared as strings, so :class:`enum.StrEnum` members work. A status in
    ``stop_on`` wins over ``pause_on``. ``escalations`` replaces the policy's levels for
    this clock when given.

    Instants taken from the case (the application names them, e.g. ``"window_start"``
    of a work order, ``"rectification_deadline"`` of an acceptance):

    * ``start_at``: the clock starts at that instant instead of the instant the case
      entered a ``start_on`` status (completion measured from the agreed visit, an
      acceptance due after the agreement's last work order completed); while the case
      has no such instant the clock does not start. Until that instant the clock
      neither pauses nor sends anything, and it follows the instant if it moves.
    * ``deadline``: that instant *is* the due time (a rectification order's deadline);
      the target applies only to a case without one.

    ``calendar`` names the business calendar of this clock (overriding the policy's).
    ``internal`` marks an internal target (an OLA between teams): it is reported apart
    from the customer's targets and its checkpoints never notify the customer.
    """

    name: str = attrs.field(validator=non_empty)
    start_on: frozenset[str] = attrs.field(converter=_start_on)
    stop_on: frozenset[str] = attrs.field(converter=_stop_on)
    pause_on: frozenset[str] = attrs.field(default=frozenset(), converter=_pause_on)
    targets: tuple[tuple[str, Target], ...] = attrs.field(converter=_targets)
    escalations: tuple[EscalationLevel, ...] | None = attrs.field(default=None, converter=_levels)
    start_at: str | None = attrs.field(default=None, validator=_optional_name)
    deadline: str | None = attrs.field(default=None, validator=_optional_name)
    calendar: str | None = attrs.field(default=None, validator=_optional_name)
    internal: bool = attrs.field(default=False, validator=is_bool)

    def __attrs_post_init__(self) -> None:
        if not self.start_on:
            raise ValidationError("start_on", f"clock {self.name!r} needs at least one starting status")
        if not self.stop_on:
            raise ValidationError("stop_on", f"clock {self.name!r} needs at least one stopping status")

    def target(self, priority: str) -> Target:
        """The target for ``priority``, else the ``"*"`` target; ConfigurationError if neither exists."""
        return dict(self.targets)[self.target_key(priority)]

    def target_key(self, priority: str) -> str:
        """The ``targets`` key that applies to ``priority``: the priority itself, else ``"*"``."""
        found = dict(self.targets)
        key = str(priority)
        if key in found:
            return key
        if ANY_PRIORITY in found:
            return ANY_PRIORITY
        listed = ", ".join(found)
        raise ConfigurationError(f"clock {self.name!r} has no target for priority {key!r} (targets: {listed})")


def _clock_specs(value: Iterable[ClockSpec]) -> tuple[ClockSpec, ...]:
    specs = as_tuple("clocks", value, of=ClockSpec)
    names = [spec.name for spec in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValidationError("clocks", f"clock names must be unique, repeated: {repeated}")
    return specs


def _warning(value: object) -> Decimal | None:
    return None if value is None else _fraction("warning_at", value)


def _named_roles(field: str, value: Iterable[str]) -> tuple[str, ...]:
    try:
        return _roles(value)
    except ValidationError as exc:
        raise ValidationError(field, exc.message) from None


def _warning_notify(value: Iterable[str]) -> tuple[str, ...]:
    return _named_roles("warning_notify", value)


def _breach_notify(value: Iterable[str]) -> tuple[str, ...]:
    return _named_roles("breach_notify", value)


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """A service-level policy: clocks, targets, warning threshold, escalations and settings.

    ``warning_at`` is the fraction of the target after which a clock is in warning
    (default 0.8; ``None`` for no warning). See the module documentation for the settings.
    ``calendar`` names the business calendar its clocks count on (``None``: the
    application's default calendar); a :class:`ClockSpec` may name its own.
    """

    name: str = attrs.field(validator=non_empty)
    clocks: tuple[ClockSpec, ...] = attrs.field(converter=_clock_specs)
    warning_at: Decimal | None = attrs.field(default=Decimal("0.8"), converter=_warning)
    warning_notify: tuple[str, ...] = attrs.field(default=("assignee",), converter=_warning_notify)
    breach_notify: tuple[str, ...] = attrs.field(default=("assignee", "supervisor"), converter=_breach_notify)
    escalations: tuple[EscalationLevel, ...] = attrs.field(default=(), converter=_policy_levels)
    hold_time: HoldTime = attrs.field(default=HoldTime.BUSINESS, converter=_hold_time)
    on_reopen: OnReopen = attrs.field(default=OnReopen.RESUME, converter=_on_reopen)
    paused_start: PausedStart = attrs.field(default=PausedStart.START_PAUSED, converter=_paused_start)
    calendar: str | None = attrs.field(default=None, validator=_optional_name)

    @property
    def clock_names(self) -> frozenset[str]:
        """The names of the policy's clocks."""
        return frozenset(spec.name for spec in self.clocks)

    def spec(self, clock: str) -> ClockSpec:
        """The :class:`ClockSpec` named ``clock``; ConfigurationError if the policy has none."""
        for spec in self.clocks:
            if spec.name == clock:
                return spec
        raise ConfigurationError(f"SLA policy {self.name!r} has no clock {clock!r}")

    def target(self, clock: str, priority: str) -> Target:
        """The target of ``clock`` for ``priority`` (see :meth:`ClockSpec.target`)."""
        return self.spec(clock).target(priority)

    def levels(self, clock: str) -> tuple[EscalationLevel, ...]:
        """The escalation levels that apply to ``clock``."""
        spec = self.spec(clock)
        return self.escalations if spec.escalations is None else spec.escalations

    def level(self, clock: str, name: str) -> EscalationLevel | None:
        """The escalation level ``name`` of ``clock``, if it has one."""
        for level in self.levels(clock):
            if level.name == name:
                return level
        return None


def _kind(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in SERVICE_LEVEL_KINDS:
        raise ValidationError(attribute.name, f"must be one of {sorted(SERVICE_LEVEL_KINDS)}, got {value!r}")


def _target(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Target):
        raise ValidationError(attribute.name, f"must be a Target, got {value!r}")


SERVICE_LEVEL_KINDS = frozenset({"ServiceRequest", "WorkOrder", "Acceptance"})
"""The cases an agreement's service levels apply to: its request, its work orders and its acceptance."""


@attrs.frozen(kw_only=True)
class ServiceLevel:
    """One service standard an agreement states: a target for one clock of one kind of case.

    ``kind`` is ``"ServiceRequest"``, ``"WorkOrder"`` or ``"Acceptance"``; ``clock`` a
    clock of the desk's policy for that kind; ``priority`` the targets key it replaces
    (``"urgent"``, or ``"*"`` for every priority without its own). "First response within
    two hours, urgent needs within thirty minutes" is two levels.

    >>> ServiceLevel(kind="WorkOrder", clock="completion", target=Target.business("PT8H")).priority
    '*'
    """

    kind: str = attrs.field(validator=_kind)
    clock: str = attrs.field(validator=non_empty)
    target: Target = attrs.field(validator=_target)
    priority: str = attrs.field(default=ANY_PRIORITY, validator=non_empty)


def with_service_levels(policy: SlaPolicy, levels: Iterable[ServiceLevel], source: str) -> SlaPolicy:
    """``policy`` with the targets ``levels`` state (for its clocks) replacing its own, named after ``source``.

    A level for a clock the policy does not have is a ConfigurationError naming it.
    """
    replaced: dict[str, dict[str, Target]] = {}
    for level in levels:
        policy.spec(level.clock)  # refuses an unknown clock
        replaced.setdefault(level.clock, {})[level.priority] = level.target
    if not replaced:
        return policy
    clocks = [
        attrs.evolve(spec, targets={**dict(spec.targets), **replaced[spec.name]}) if spec.name in replaced else spec
        for spec in policy.clocks
    ]
    return attrs.evolve(policy, name=f"{policy.name} + {source}", clocks=clocks)


__all__ = [
    "ANY_PRIORITY",
    "RESERVED_LEVELS",
    "SERVICE_LEVEL_KINDS",
    "ClockSpec",
    "EscalationLevel",
    "HoldTime",
    "OnReopen",
    "PausedStart",
    "ServiceLevel",
    "SlaPolicy",
    "Target",
    "TargetUnit",
    "with_service_levels",
]
