"""SLA clocks driven by an aggregate's status: start, pause, resume, stop, warn, breach, escalate.

An aggregate keeps one immutable :class:`Clocks` value. After every command the
application calls :meth:`Clocks.observe` with the aggregate's new status; the policy's
:class:`~servicecore.sla.policy.ClockSpec` entries decide which clocks start, pause,
resume or stop, so domain methods need not know about SLAs. A periodic
:meth:`Clocks.scan` records each warning, breach and escalation level exactly once and
returns them as :class:`Alert` values to notify. :attr:`Clocks.next_check_at` is the
earliest instant at which a scan would record something: index it in storage and scan
only the aggregates whose instant has come.

Semantics, all in business time on the calendar passed in:

* ``due_at`` is the instant the clock runs out. A clock still running at ``due_at`` is
  breached; a clock stopped before it is met. ``due_at`` is stored and recomputed when
  the clock resumes, the priority or the policy changes: the start and every pause are
  replayed against the current target. While paused, ``due_at`` is provisional (it is
  the due time had the pause not begun).
* A pause gives back the business time it lasted (or its wall-clock length with
  :attr:`~servicecore.sla.policy.HoldTime.WALL_CLOCK`), also after the due time, so
  :meth:`SlaClock.failed_by` counts only the time the clock actually ran late.
* Checkpoints (warning, breach, escalation levels) are computed when the clock is
  (re)scheduled and stored with the roles to notify; they always fall inside working
  time, or at the close of a working window with the calendar's ``window_end`` setting
  (:class:`~servicecore.sla.calendar.DeadlineAt`). A recorded checkpoint stays recorded when the clock is
  rescheduled; only a restart (:attr:`~servicecore.sla.policy.OnReopen.RESTART`) re-arms them.
* Scans only record checkpoints of running clocks: a paused or stopped clock sends
  nothing (its state still tells whether it was late).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import attrs

from servicecore.kernel.errors import ConfigurationError, ValidationError
from servicecore.kernel.validation import aware, check_aware, non_empty, optional_aware
from servicecore.sla.calendar import BusinessCalendar, add_months_to_date, fixed_offset
from servicecore.sla.policy import (
    ClockSpec,
    HoldTime,
    OnReopen,
    PausedStart,
    ServiceLevel,
    SlaPolicy,
    Target,
    TargetUnit,
)

_US = timedelta(microseconds=1)


class ClockState(enum.StrEnum):
    """Where a clock stands at an instant."""

    RUNNING = "running"
    WARNING = "warning"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class AlertKind(enum.StrEnum):
    """What a checkpoint announces."""

    WARNING = "warning"
    BREACH = "breach"
    ESCALATION = "escalation"


@attrs.frozen(kw_only=True)
class Pause:
    """One interval during which a clock did not run; ``ended_at`` is ``None`` while it lasts."""

    started_at: datetime = attrs.field(validator=aware)
    ended_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    status: str = ""

    def __attrs_post_init__(self) -> None:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValidationError("ended_at", "a pause cannot end before it starts")


@attrs.frozen(kw_only=True)
class Checkpoint:
    """A scheduled warning, breach or escalation level, and when a scan recorded it."""

    kind: AlertKind
    level: str = attrs.field(validator=non_empty)
    at: datetime = attrs.field(validator=aware)
    notify: tuple[str, ...] = ()
    recorded_at: datetime | None = attrs.field(default=None, validator=optional_aware)


@attrs.frozen(kw_only=True)
class Alert:
    """A checkpoint a scan has just recorded: which clock, what, when, and whom to tell.

    ``at`` is when the checkpoint was reached, ``detected_at`` the scan that found it.
    ``notify`` holds role names (``"assignee"``, ``"supervisor"``) for the application
    to resolve into recipients.
    """

    clock: str
    kind: AlertKind
    level: str
    due_at: datetime
    at: datetime
    detected_at: datetime
    notify: tuple[str, ...]


def _wall_between(start: datetime, end: datetime) -> timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


def _measure(calendar: BusinessCalendar, unit: TargetUnit, start: datetime, end: datetime) -> timedelta:
    """Time from ``start`` to ``end`` as ``unit`` counts it: elapsed for calendar days and months."""
    if unit.is_calendar:
        return _wall_between(start, end)
    return calendar.between(start, end)


def _shift(calendar: BusinessCalendar, unit: TargetUnit, instant: datetime, amount: timedelta) -> datetime:
    """``instant`` moved by ``amount`` as ``unit`` counts time (see :func:`_measure`)."""
    if unit.is_calendar:
        return fixed_offset((instant.astimezone(UTC) + amount).astimezone(calendar.time_zone))
    return calendar.add(instant, amount)


def _fraction_of(amount: timedelta, fraction: Decimal) -> timedelta:
    micros = (Decimal(amount // _US) * fraction).to_integral_value(rounding=ROUND_HALF_UP)
    return int(micros) * _US


def initial_due(calendar: BusinessCalendar, target: Target, start: datetime) -> datetime:
    """When a clock started at ``start`` runs out if it never pauses (before ``start`` if counted back).

    Business time: :meth:`BusinessCalendar.add`. Working days with ``end_of_day``:
    :meth:`BusinessCalendar.add_working_days` (the close of the last working day, as the
    calendar's ``deadline_at`` says); without it, the time of day of ``start`` on the last
    working day, or, if that is outside working hours, :meth:`BusinessCalendar.settle` of
    it (20:00 becomes that day's close). Calendar days and months: the last day is the
    start date moved by the days or (clamped) months, rolled to the next working day if
    ``roll_forward`` and it is not one (to the previous one when counting back); the
    target ends at the midnight that ends it (:meth:`BusinessCalendar.end_of_day`), or at
    the time of day of ``start`` on it.

    Months are counted like calendar days everywhere else: remaining and paused time of a
    month clock is elapsed time, and a pause moves its due time by the pause's length.
    """
    check_aware("start", start)
    unit = target.unit
    if unit is TargetUnit.BUSINESS_TIME:
        return calendar.add(start, target.amount)
    if unit is TargetUnit.BUSINESS_DAYS and target.end_of_day:
        return calendar.add_working_days(start, target.days)
    local = start.astimezone(calendar.time_zone)
    wall = local.timetz().replace(tzinfo=None)
    if unit is TargetUnit.BUSINESS_DAYS:  # a time of day outside working hours settles like any deadline
        kept = calendar.at_wall_time(calendar.working_day(local.date(), target.days), wall)
        return kept if calendar.is_working(kept) else calendar.settle(kept)
    if unit is TargetUnit.CALENDAR_MONTHS:
        last, back = add_months_to_date(local.date(), target.months), target.months < 0
    else:
        last, back = local.date() + timedelta(days=target.days), target.days < 0
    step = timedelta(days=-1 if back else 1)
    while target.roll_forward and not calendar.is_working_day(last):
        last += step
    if target.end_of_day:
        return calendar.end_of_day(last)
    return calendar.at_wall_time(last, wall)


def _replay(
    calendar: BusinessCalendar,
    unit: TargetUnit,
    hold: HoldTime,
    point: datetime,
    pauses: Iterable[Pause],
    *,
    signed: bool,
) -> datetime:
    """Move ``point`` later by the closed pauses before it (all closed pauses if ``signed``)."""
    for pause in pauses:
        if pause.ended_at is None or (not signed and pause.started_at >= point):
            break
        if hold is HoldTime.WALL_CLOCK or unit.is_calendar:
            point = _shift(calendar, TargetUnit.CALENDAR_DAYS, point, _wall_between(pause.started_at, pause.ended_at))
            if not unit.is_calendar:
                point = calendar.next_working_instant(point)
        else:  # the business time left at the pause's start is what is left at its end
            point = calendar.add(pause.ended_at, calendar.between(pause.started_at, point))
    return point


@attrs.frozen(kw_only=True)
class SlaClock:
    """One SLA clock: its start, pauses, stop, current due time and checkpoints. Immutable.

    Queries take the instant to answer for (``at``), which should not be earlier than
    the last observation; the ones that measure business time take the calendar too.
    """

    name: str = attrs.field(validator=non_empty)
    target: Target
    started_at: datetime = attrs.field(validator=aware)
    due_at: datetime = attrs.field(validator=aware)
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    checkpoints: tuple[Checkpoint, ...] = ()
    deadline: datetime | None = attrs.field(default=None, validator=optional_aware)
    """A due time the case itself set (a rectification order's deadline); it overrides the target."""
    policy: str = ""
    """The name of the policy in force when the clock was last scheduled."""
    target_key: str = ""
    """The ``targets`` key applied (``"urgent"``, ``"*"``...); ``"deadline"`` when :attr:`deadline` governs."""
    calendar: str = ""
    """The name of the business calendar the clock counts on."""
    internal: bool = False
    """An internal target (OLA): reported apart from the customer's targets, never notifying the customer."""
    measured: timedelta | None = None
    """Once stopped: how long the clock ran, net of pauses, counted as the target counts (business time
    for business-time and working-day targets). The first-response or resolution time of the case."""
    measured_elapsed: timedelta | None = None
    """Once stopped: the wall-clock time the clock ran, net of pauses."""

    # --- status -----------------------------------------------------------------

    @property
    def is_stopped(self) -> bool:
        """True once the clock has stopped (until a reopening resumes it)."""
        return self.stopped_at is not None

    @property
    def is_paused(self) -> bool:
        """True while a pause is open."""
        return self.stopped_at is None and bool(self.pauses) and self.pauses[-1].ended_at is None

    def is_paused_at(self, at: datetime) -> bool:
        """True if ``at`` lies in a pause: from its first instant (included) to its end (excluded).

        A clock that starts in a pausing status is paused from its start. For ``at`` not
        earlier than the last observation this is :attr:`is_paused` once its pause has begun.
        """
        check_aware("at", at)
        if self.stopped_at is not None and self.stopped_at <= at:
            return False
        return any(p.started_at <= at and (p.ended_at is None or at < p.ended_at) for p in self.pauses)

    @property
    def is_running(self) -> bool:
        """True if the clock is neither stopped nor paused."""
        return self.stopped_at is None and not self.is_paused

    @functools.cached_property
    def next_check_at(self) -> datetime | None:
        """The earliest unrecorded checkpoint of a running clock; ``None`` if paused, stopped or done."""
        if not self.is_running:
            return None
        pending = [cp.at for cp in self.checkpoints if cp.recorded_at is None]
        return min(pending) if pending else None

    def checkpoint(self, level: str) -> Checkpoint | None:
        """The checkpoint named ``level`` (``"warning"``, ``"breach"`` or an escalation level)."""
        for checkpoint in self.checkpoints:
            if checkpoint.level == level:
                return checkpoint
        return None

    # --- questions at an instant ---------------------------------------------------

    def _reference(self, at: datetime) -> datetime:
        """The instant the clock's running time is measured to: ``at``, or its stop or the pause around ``at``."""
        check_aware("at", at)
        if self.stopped_at is not None and self.stopped_at <= at:
            return self.stopped_at
        for pause in reversed(self.pauses):
            if pause.started_at <= at and (pause.ended_at is None or at < pause.ended_at):
                return pause.started_at
        return at

    def state(self, at: datetime) -> ClockState:
        """Running, warning, paused, met or breached at ``at``.

        Met means stopped before ``due_at``; a clock running at ``due_at`` or later, or
        paused or stopped after it, is breached; a paused clock that is not late is paused,
        from the instant its pause begins (:meth:`is_paused_at`).
        """
        reference = self._reference(at)
        if self.stopped_at is not None and self.stopped_at <= at:
            return ClockState.MET if self.stopped_at < self.due_at else ClockState.BREACHED
        if reference >= self.due_at:
            return ClockState.BREACHED
        if self.is_paused_at(at):
            return ClockState.PAUSED
        warning = self.checkpoint("warning")
        if warning is not None and at >= warning.at:
            return ClockState.WARNING
        return ClockState.RUNNING

    def remaining(self, at: datetime, calendar: BusinessCalendar) -> timedelta:
        """Time left before ``due_at`` (negative when late), measured as the target counts.

        Business time for business-time and working-day targets, elapsed time for
        calendar days; frozen while paused and once stopped.
        """
        return _measure(calendar, self.target.unit, self._reference(at), self.due_at)

    def failed_by(self, at: datetime, calendar: BusinessCalendar) -> timedelta:
        """How far past due the clock ran, in business time; zero if it is not late."""
        late = calendar.between(self.due_at, self._reference(at))
        return max(late, timedelta(0))

    def paused_time(self, at: datetime, calendar: BusinessCalendar) -> timedelta:
        """Time spent paused up to ``at``, measured as the target counts."""
        check_aware("at", at)
        total = timedelta(0)
        for pause in self.pauses:
            if pause.started_at >= at:
                break
            end = at if pause.ended_at is None or pause.ended_at > at else pause.ended_at
            total += _measure(calendar, self.target.unit, pause.started_at, end)
        return total


def _status(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("status", f"must be a non-empty status name, got {value!r}")
    return str(value)  # a StrEnum member becomes its plain value


def schedule(clock: SlaClock, calendar: BusinessCalendar, policy: SlaPolicy) -> SlaClock:
    """``clock`` with ``due_at`` and checkpoints recomputed from its start, pauses and target.

    A clock with a :attr:`~SlaClock.deadline` is due then (moved by its pauses like any
    due time); its warning and escalation levels are fractions of the time from its
    start to the deadline. Recorded checkpoints stay recorded. :meth:`Clocks.observe`
    calls this; call it yourself to reschedule a clock outside an observation (after a
    calendar changed, say).
    """
    unit = clock.target.unit
    hold = policy.hold_time
    start = clock.started_at
    first_due = initial_due(calendar, clock.target, start) if clock.deadline is None else clock.deadline
    business = unit is TargetUnit.BUSINESS_TIME
    budget = clock.target.amount if business and clock.deadline is None else _measure(calendar, unit, start, first_due)
    due = _replay(calendar, unit, hold, first_due, clock.pauses, signed=True)

    def reached(amount: timedelta) -> datetime:
        amount = max(amount, timedelta(0))
        point = first_due if amount == budget else _shift(calendar, unit, start, amount)
        point = _replay(calendar, unit, hold, point, clock.pauses, signed=False)
        if unit.is_calendar:  # business arithmetic already lands on working time
            point = calendar.next_working_instant(point)
        return max(point, start)

    planned: list[tuple[AlertKind, str, datetime, tuple[str, ...]]] = []
    if policy.warning_at is not None:
        planned.append(
            (AlertKind.WARNING, "warning", reached(_fraction_of(budget, policy.warning_at)), policy.warning_notify)
        )
    planned.append((AlertKind.BREACH, "breach", reached(budget), policy.breach_notify))
    for level in policy.levels(clock.name):
        if level.elapsed is not None:
            at = reached(_fraction_of(budget, level.elapsed))
        elif unit.is_calendar:  # offsets are business time even on a calendar-day clock
            raw_due = _replay(calendar, unit, hold, first_due, clock.pauses, signed=False)
            at = max(calendar.add(raw_due, level.after_due), start)
        else:
            at = reached(budget + level.after_due)
        planned.append((AlertKind.ESCALATION, level.name, at, level.notify))
    recorded = {(cp.kind, cp.level): cp.recorded_at for cp in clock.checkpoints}
    checkpoints = tuple(
        Checkpoint(kind=kind, level=name, at=at, notify=notify, recorded_at=recorded.get((kind, name)))
        for kind, name, at, notify in planned
    )
    return attrs.evolve(clock, due_at=due, checkpoints=checkpoints)


def _start(spec: ClockSpec, status: str, at: datetime, target: Target, anchor: datetime | None) -> SlaClock:
    start = at if anchor is None else anchor
    pauses = (Pause(started_at=start, status=status),) if status in spec.pause_on else ()
    return SlaClock(name=spec.name, target=target, started_at=start, due_at=start, pauses=pauses)


def _stopped(clock: SlaClock, at: datetime, calendar: BusinessCalendar) -> SlaClock:
    """``clock`` stopped at ``at``, with its running time measured net of its pauses."""
    start = clock.started_at
    stop = max(at, start)  # stopped before its anchor instant came: it never ran
    running = _measure(calendar, clock.target.unit, start, stop) - clock.paused_time(stop, calendar)
    held = timedelta(0)
    for pause in clock.pauses:
        end = stop if pause.ended_at is None or pause.ended_at > stop else pause.ended_at
        if pause.started_at < end:
            held += _wall_between(pause.started_at, end)
    elapsed = _wall_between(start, stop) - held
    return attrs.evolve(
        clock, stopped_at=at, measured=max(running, timedelta(0)), measured_elapsed=max(elapsed, timedelta(0))
    )


def _close_pause(clock: SlaClock, at: datetime, *, defer_start: bool) -> SlaClock:
    pauses = clock.pauses
    if defer_start and len(pauses) == 1 and pauses[0].started_at == clock.started_at:
        return attrs.evolve(clock, started_at=at, pauses=())  # it never ran: it starts now
    return attrs.evolve(clock, pauses=(*pauses[:-1], attrs.evolve(pauses[-1], ended_at=at)))


def _step(
    clock: SlaClock | None,
    spec: ClockSpec,
    status: str,
    at: datetime,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    priority: str,
    instants: Mapping[str, datetime],
) -> SlaClock | None:
    """The clock after the case moved to ``status`` at ``at`` (``None``: not started)."""
    key = spec.target_key(priority)
    anchor = instants.get(spec.start_at) if spec.start_at is not None else None
    deadline = instants.get(spec.deadline) if spec.deadline is not None else None

    def settled(clock: SlaClock) -> SlaClock:
        clock = attrs.evolve(
            clock,
            target=spec.target(priority),
            deadline=deadline,
            policy=policy.name,
            target_key=key if deadline is None else "deadline",
            calendar=calendar.name,
            internal=spec.internal,
        )
        return schedule(clock, calendar, policy)

    if clock is None:
        if status not in spec.start_on or status in spec.stop_on:
            return None
        if spec.start_at is not None and anchor is None:  # it starts on an event that has not happened
            return None
        return settled(_start(spec, status, at, spec.target(priority), anchor))
    if clock.stopped_at is not None:
        if status in spec.stop_on or policy.on_reopen is OnReopen.KEEP_STOPPED:
            return clock
        if policy.on_reopen is OnReopen.RESTART:
            return settled(_start(spec, status, at, spec.target(priority), anchor))
        closed = Pause(started_at=clock.stopped_at, ended_at=at, status="closed")
        reopened = (Pause(started_at=at, status=status),) if status in spec.pause_on else ()
        clock = attrs.evolve(
            clock,
            stopped_at=None,
            measured=None,
            measured_elapsed=None,
            pauses=(*clock.pauses, closed, *reopened),
        )
    elif status in spec.stop_on:
        if clock.is_paused:
            clock = _close_pause(clock, at, defer_start=False)
        clock = _stopped(clock, at, calendar)
    elif clock.started_at > at:  # not begun yet: it follows its anchor instant and cannot pause
        if anchor is not None and not clock.pauses:
            clock = attrs.evolve(clock, started_at=anchor)
    elif status in spec.pause_on:
        if not clock.is_paused:
            clock = attrs.evolve(clock, pauses=(*clock.pauses, Pause(started_at=at, status=status)))
    elif clock.is_paused:
        clock = _close_pause(clock, at, defer_start=policy.paused_start is PausedStart.DEFER_START)
    return settled(clock)


def calendar_of(
    spec: ClockSpec,
    policy: SlaPolicy,
    default: BusinessCalendar,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> BusinessCalendar:
    """The calendar ``spec``'s clock counts on: the spec's, else the policy's, else ``default``."""
    name = spec.calendar or policy.calendar
    if name is None or name == default.name:
        return default
    found = (calendars or {}).get(name)
    if found is None:
        known = sorted({default.name, *(calendars or {})} - {""})
        raise ConfigurationError(
            f"SLA clock {spec.name!r} of policy {policy.name!r} names calendar {name!r}; known: {known}"
        )
    return found


@attrs.frozen
class StatusOverride:
    """While the case is in ``status``, its clocks see ``seen_as`` instead (the customer holds the ball)."""

    status: str
    seen_as: str


def _by_name(clocks: tuple[SlaClock, ...]) -> dict[str, SlaClock]:
    return {clock.name: clock for clock in clocks}


@attrs.frozen(kw_only=True)
class Clocks:
    """The SLA clocks of one case, with the last status and instant observed. Immutable.

    >>> from datetime import datetime, timedelta
    >>> from servicecore.sla.policy import ClockSpec, SlaPolicy, Target
    >>> cal = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"])
    >>> policy = SlaPolicy(name="p", clocks=[ClockSpec(
    ...     name="first_response", start_on={"received"}, stop_on={"acknowledged"},
    ...     targets={"*": Target.business(timedelta(hours=2))})])
    >>> clocks = Clocks().observe("received", datetime(2025, 9, 30, 17, 0, tzinfo=cal.time_zone),
    ...                           calendar=cal, policy=policy, priority="normal")
    >>> clocks.get("first_response").due_at  # 1 h on Tuesday evening, 1 h on Wednesday morning
    datetime.datetime(2025, 10, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=28800)))
    >>> clocks.next_check_at.isoformat()  # the warning, at 80 % of the 2 hours
    '2025-10-01T09:36:00+08:00'
    """

    clocks: tuple[SlaClock, ...] = ()
    status: str | None = None
    observed_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    override: StatusOverride | None = None
    """While the case is in the override's status, the application shows the clocks another one."""
    standards: tuple[ServiceLevel, ...] = ()
    """The service levels the case's agreement states: they replace the policy's targets for its clocks."""
    standards_from: str = ""
    """Where :attr:`standards` come from (``"agreement AGR-1"``), recorded in the policy name on each clock."""
    anchors: tuple[tuple[str, datetime], ...] = ()
    """Named instants another case's event set on this one (``"work_completed"``: the agreement's
    last work order completed), for specs whose ``start_at`` or ``deadline`` names them."""

    def anchor(self, name: str) -> datetime | None:
        """The instant recorded under ``name`` in :attr:`anchors`, if any."""
        return dict(self.anchors).get(name)

    def get(self, name: str) -> SlaClock | None:
        """The clock named ``name``, or ``None`` if it has not started."""
        for clock in self.clocks:
            if clock.name == name:
                return clock
        return None

    @functools.cached_property
    def next_check_at(self) -> datetime | None:
        """Earliest instant a :meth:`scan` would record something; ``None`` if nothing is pending.

        Exact: a scan before it records nothing, a scan at it records at least one
        checkpoint. It changes only through :meth:`observe` and :meth:`scan`, so
        storage can index the stored value.
        """
        pending = [at for clock in self.clocks if (at := clock.next_check_at) is not None]
        return min(pending) if pending else None

    @property
    def earliest_due_at(self) -> datetime | None:
        """The earliest ``due_at`` among running clocks (``None`` if none is running)."""
        dues = [clock.due_at for clock in self.clocks if clock.is_running]
        return min(dues) if dues else None

    def states(self, at: datetime) -> dict[str, ClockState]:
        """Each clock's :meth:`SlaClock.state` at ``at``, by name."""
        return {clock.name: clock.state(at) for clock in self.clocks}

    def observe(
        self,
        status: str,
        at: datetime,
        *,
        calendar: BusinessCalendar,
        policy: SlaPolicy,
        priority: str,
        instants: Mapping[str, datetime] | None = None,
        calendars: Mapping[str, BusinessCalendar] | None = None,
    ) -> Clocks:
        """The clocks after the case is seen in ``status`` at ``at`` with ``priority``.

        Call it after every command (and after a priority or policy change, with the
        same status): it starts, pauses, resumes, stops, reopens and reschedules the
        policy's clocks as their :class:`~servicecore.sla.policy.ClockSpec` says. ``at``
        may not be earlier than the previous observation. Clocks the policy no longer
        names are kept as they are.

        ``instants`` are the case's named instants a spec's ``start_at`` and
        ``deadline`` refer to. ``calendar`` is the default calendar; a policy or spec
        that names another finds it in ``calendars`` (ConfigurationError if missing).
        """
        status = _status(status)
        at = fixed_offset(check_aware("at", at))
        if self.observed_at is not None and at < self.observed_at:
            raise ValidationError(
                "at", f"{at.isoformat()} is earlier than the last observation ({self.observed_at.isoformat()})"
            )
        current = _by_name(self.clocks)
        order = [clock.name for clock in self.clocks]
        named = {} if instants is None else {name: fixed_offset(instant) for name, instant in instants.items()}
        for spec in policy.clocks:
            on = calendar_of(spec, policy, calendar, calendars)
            updated = _step(current.get(spec.name), spec, status, at, on, policy, str(priority), named)
            if updated is None:
                continue
            if spec.name not in current:
                order.append(spec.name)
            current[spec.name] = updated
        return attrs.evolve(self, clocks=tuple(current[name] for name in order), status=status, observed_at=at)

    def scan(self, now: datetime) -> tuple[Clocks, tuple[Alert, ...]]:
        """Record every checkpoint of a running clock reached by ``now``; return the new alerts.

        Idempotent: each checkpoint is recorded once, so scanning again returns no alert
        and the same clocks. Nothing is recorded for paused or stopped clocks.
        """
        now = fixed_offset(check_aware("now", now))
        next_check = self.next_check_at
        if next_check is None or now < next_check:
            return self, ()
        alerts: list[Alert] = []
        clocks: list[SlaClock] = []
        for clock in self.clocks:
            if clock.is_running and any(cp.recorded_at is None and cp.at <= now for cp in clock.checkpoints):
                checkpoints = []
                for cp in clock.checkpoints:
                    if cp.recorded_at is None and cp.at <= now:
                        alerts.append(
                            Alert(
                                clock=clock.name,
                                kind=cp.kind,
                                level=cp.level,
                                due_at=clock.due_at,
                                at=cp.at,
                                detected_at=now,
                                notify=cp.notify,
                            )
                        )
                        cp = attrs.evolve(cp, recorded_at=now)
                    checkpoints.append(cp)
                clock = attrs.evolve(clock, checkpoints=tuple(checkpoints))
            clocks.append(clock)
        alerts.sort(key=lambda alert: (alert.at, alert.clock))
        return attrs.evolve(self, clocks=tuple(clocks)), tuple(alerts)


class SlaTracked:
    """Mixin of aggregates that carry SLA :class:`Clocks` in a ``clocks`` field."""

    __slots__ = ()
    clocks: Clocks

    @property
    def sla_check_at(self) -> datetime | None:
        """When the SLA scan must next look at this case (:attr:`Clocks.next_check_at`); storage indexes it."""
        return self.clocks.next_check_at


__all__ = [
    "Alert",
    "AlertKind",
    "Checkpoint",
    "ClockState",
    "Clocks",
    "Pause",
    "SlaClock",
    "SlaTracked",
    "StatusOverride",
    "calendar_of",
    "initial_due",
    "schedule",
]
