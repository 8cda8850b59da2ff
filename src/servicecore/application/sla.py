"""Service levels in the application: keep each case's clocks in step, scan for warnings and breaches.

The pure engine lives in :mod:`servicecore.sla`. Here, :class:`SlaService` applies
it to aggregates: after every command the facade calls :meth:`SlaService.observe`,
which feeds the aggregate's SLA status to its :class:`~servicecore.sla.clocks.Clocks`
under the policy for its kind; :meth:`SlaService.scan` records reached checkpoints
and raises :class:`~servicecore.domain.events.SlaCheckpointReached` events, whose
``recipients`` are resolved here from the policy's role names:

* ``"assignee"`` → every assignee of the case (work order assignees, the
  designated inspector, a complaint's investigator), as ``actor:<id>``; a case
  nobody is assigned to yet (a new request or complaint) goes to
  ``role:agent`` instead (:data:`UNASSIGNED_ROLE`), so no warning goes unheard;
* ``"customer"`` → the case's customer, as ``customer:<id>`` (never for an
  internal clock);
* ``"responsible"`` → whoever must act by the deadline: the party responsible for
  the current rectification order of an acceptance, as ``party:<name>``;
* any other name → ``role:<name>`` (``"supervisor"`` → ``role:supervisor``).

The facade may name the parties of a case itself (an acceptance's ``"assignee"``
are the assignees of the work inspected, not its inspector).

Settings of :class:`SlaService`, with their defaults:

=====================  ===============================================================
``calendar``           the default business calendar (the desk's: ``"24x7"`` in UTC)
``calendars``          further calendars by name, for policies and clocks that name one
``policies``           :func:`default_policies`
``scan_tolerance``     :data:`SCAN_TOLERANCE` (5 minutes): how far past the desk clock
                       ``scan_sla(now=...)`` may look without ``simulate=True``
=====================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import Aggregate, SlaTrackedAggregate, check_time, record
from servicecore.domain.errors import ConfigurationError, ServiceCoreError, ValidationError
from servicecore.domain.values import Actor, ActorId, ActorRef
from servicecore.sla.calendar import BusinessCalendar, fixed_offset
from servicecore.sla.clocks import Alert, AlertKind, Clocks, SlaClock, StatusOverride, calendar_of, schedule
from servicecore.sla.policy import (
    ClockSpec,
    EscalationLevel,
    OnReopen,
    ServiceLevel,
    SlaPolicy,
    Target,
    with_service_levels,
)
from servicecore.storage_kinds import aggregate_kind, index_fields

A = TypeVar("A", bound=Aggregate)

SLA_ACTOR = ActorRef(ActorId("system:sla"), "SLA scan")
"""Who records SLA checkpoints in history and events."""

SLA_SYSTEM = Actor(ActorId("system:sla"), "SLA scan", ["system"])
"""Who acts for an escalation level (reassigns, raises the priority), as recorded in history."""

UNASSIGNED_ROLE = "agent"
"""Who hears an ``"assignee"`` checkpoint of a case with no assignee: the front desk."""

CUSTOMER_CAUSED_HOLDS = frozenset({"customer_unavailable"})
"""Work order hold reasons caused by the customer: they pause the completion clock."""

AWAITING_CUSTOMER = "awaiting_customer"
"""The status a request's clocks see while the customer holds the ball: an offered agreement
awaits their answer, or their acceptance inspection (or signature) is pending."""

RESPONSIBLE = "responsible"
"""The role name of whoever must act by a case's deadline (an acceptance's rectification party)."""

SCAN_TOLERANCE = timedelta(minutes=5)
"""How far past the desk clock ``scan_sla(now=...)`` may look without ``simulate=True``
(hosts' clocks differ by seconds; a breach recorded ahead of time would be false)."""


def sla_status(aggregate: Aggregate) -> str:
    """The status an aggregate's clocks see: its own, with customer-caused holds told apart.

    A work order on hold for a customer-caused reason is seen as ``"on_hold_by_customer"``,
    so a policy can pause the completion clock for it and not for other holds. A case
    whose clocks carry a :class:`~servicecore.sla.clocks.StatusOverride` for its current
    status is seen as the override says (a request awaiting the customer's answer is
    seen as :data:`AWAITING_CUSTOMER`).
    """
    status = str(aggregate.status.value)
    hold = getattr(aggregate, "current_hold", None)
    if status == "on_hold" and hold is not None and str(hold.reason.value) in CUSTOMER_CAUSED_HOLDS:
        return "on_hold_by_customer"
    override = aggregate.clocks.override if isinstance(aggregate, SlaTrackedAggregate) else None
    if override is not None and override.status == status:
        return override.seen_as
    return status


STEP_CLOCK_PREFIX = "step:"
"""Clocks named ``step:<key>`` chase a checklist step due before the visit (``StepTemplate.due_before_start``)."""


def working_days_before(calendar: BusinessCalendar, instant: datetime, days: int) -> datetime:
    """The same time of day ``days`` working days before ``instant``'s date, on ``calendar``."""
    local = instant.astimezone(calendar.time_zone)
    day = local.date()
    left = days
    while left > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return fixed_offset(naive.replace(tzinfo=calendar.time_zone))


def _step_policy(key: str, calendar: str | None) -> SlaPolicy:
    """The clock of one checklist step due before the visit: a breach at its due time, told to the assignees."""
    return SlaPolicy(
        name="checklist",
        calendar=calendar,
        warning_at=None,
        breach_notify=("assignee",),
        clocks=[
            ClockSpec(
                name=f"{STEP_CLOCK_PREFIX}{key}",
                start_on={"pending"},
                stop_on={"done"},
                deadline=f"{STEP_CLOCK_PREFIX}{key}",
                targets={"*": Target.business_days(0)},
            )
        ],
    )


def sla_instants(aggregate: Aggregate) -> dict[str, datetime]:
    """The named instants of a case that a :class:`~servicecore.sla.policy.ClockSpec` can refer to.

    ========================================  ===============================================
    ``"window_start"``, ``"window_end"``      a work order's scheduled window (the agreed visit)
    ``"rectification_deadline"``              an acceptance's current rectification deadline
    ``"work_completed"``                      a request's: when the last live work order of its
                                              agreement completed (set by the facade, see
                                              :meth:`SlaService.mark`)
    ========================================  ===============================================

    Instants another case's event recorded on the case's clocks (``Clocks.anchors``)
    are included.
    """
    instants: dict[str, datetime] = dict(aggregate.clocks.anchors) if isinstance(aggregate, SlaTrackedAggregate) else {}
    window = getattr(aggregate, "window", None)
    if window is not None:
        instants["window_start"] = window.start
        instants["window_end"] = window.end
    rectifications = getattr(aggregate, "rectifications", ())
    if rectifications:
        instants["rectification_deadline"] = rectifications[-1].deadline
    return instants


def sla_priority(aggregate: Aggregate) -> str:
    """The key for a policy's targets: a request's priority, a complaint's severity, else ``"*"``."""
    for name in ("priority", "severity"):
        value = getattr(aggregate, name, None)
        if value is not None:
            return str(getattr(value, "value", value))
    return "*"


_FIELDS: dict[type[Any], tuple[Any, ...]] = {}


def _with_clocks(aggregate: A, clocks: Clocks) -> A:
    """``aggregate`` keeping ``clocks`` instead of its own, every other field as it is.

    Like ``attrs.evolve(aggregate, clocks=clocks)``, without running again the
    validators of the other fields: the domain command that produced
    ``aggregate`` has just checked them. Only the ``clocks`` field's rule runs.
    """
    cls: Any = type(aggregate)
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = attrs.fields(cls)
    copy: Any = object.__new__(cls)
    for field in fields:
        if field.name == "clocks":
            if field.validator is not None:
                field.validator(aggregate, field, clocks)
            object.__setattr__(copy, "clocks", clocks)
        else:
            object.__setattr__(copy, field.name, getattr(aggregate, field.name))
    result: A = copy
    return result


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


def default_policies() -> dict[str, SlaPolicy]:
    """The built-in service levels by aggregate kind (business time on the desk's calendar).

    ============================  ======================================================
    ``ServiceRequest``            first response: urgent 1 h, high 2 h, else 4 h;
                                  resolution: urgent 2 business days (16 h), else 40 h,
                                  paused while the customer holds the ball
                                  (:data:`AWAITING_CUSTOMER`: an offered agreement, an
                                  acceptance being inspected or signed)
    ``WorkOrder``                 completion within 16 business hours of the scheduled
                                  window's start (the agreed visit, ``start_at=
                                  "window_start"``), paused while on hold for a
                                  customer-caused reason; besides, each checklist step
                                  with ``due_before_start`` is chased by a
                                  ``step:<key>`` clock (a breach at its due time to the
                                  assignees), whatever the policy
    ``Acceptance``                rectification by the order's deadline (``deadline=
                                  "rectification_deadline"``; 5 business days if an
                                  order had none), a fresh clock for each order; its
                                  warning goes to the responsible party and the
                                  assignees of the work inspected, its breach to them
                                  and the supervisor
    ``Complaint``                 acknowledgement: critical 2 h, else 8 h (one working day);
                                  resolution: critical 16 h, major 24 h, else 40 h
    ``Violation``                 appeal window: 15 calendar days from the decision
    ============================  ======================================================

    Each warns the assignee at 80 % of the target, tells the assignee and the
    ``supervisor`` at the breach (the due time) and escalates to ``manager``
    (level ``"overdue"``) 4 business hours after it.
    """
    # the breach itself notifies the supervisor: a level at the due time would send it twice
    escalations = (EscalationLevel.after("overdue", _hours(4), notify=("manager",)),)

    def policy(name: str, *clocks: ClockSpec, warn: Decimal | None = Decimal("0.8"), **settings: Any) -> SlaPolicy:
        return SlaPolicy(name=name, clocks=clocks, warning_at=warn, escalations=escalations, **settings)

    return {
        "ServiceRequest": policy(
            "service-request",
            ClockSpec(
                name="first_response",
                start_on={"received"},
                stop_on={"acknowledged", "assessed", "agreed", "in_service", "completed", "closed"}
                | {"declined", "withdrawn", "cancelled"},
                targets={
                    "urgent": Target.business(_hours(1)),
                    "high": Target.business(_hours(2)),
                    "*": Target.business(_hours(4)),
                },
            ),
            ClockSpec(
                name="resolution",
                start_on={"received"},
                stop_on={"completed", "closed", "declined", "withdrawn", "cancelled"},
                pause_on={AWAITING_CUSTOMER},
                targets={"urgent": Target.business(_hours(16)), "*": Target.business(_hours(40))},
            ),
        ),
        "WorkOrder": policy(
            "work-order",
            ClockSpec(
                name="completion",
                start_on={"scheduled"},
                start_at="window_start",
                pause_on={"on_hold_by_customer"},
                stop_on={"completed", "cancelled"},
                targets={"*": Target.business(_hours(16))},
            ),
        ),
        "Acceptance": policy(
            "acceptance",
            ClockSpec(
                name="rectification",
                start_on={"rectification_ordered"},
                deadline="rectification_deadline",
                stop_on={"rectified", "failed", "passed", "accepted"},
                targets={"*": Target.business_days(5)},
            ),
            on_reopen=OnReopen.RESTART,
            warning_notify=(RESPONSIBLE, "assignee"),
            breach_notify=(RESPONSIBLE, "assignee", "supervisor"),
        ),
        "Complaint": policy(
            "complaint",
            ClockSpec(
                name="acknowledgement",
                start_on={"received"},
                stop_on={"acknowledged", "investigating", "resolved", "closed", "withdrawn"},
                targets={"critical": Target.business(_hours(2)), "*": Target.business(_hours(8))},
            ),
            ClockSpec(
                name="resolution",
                start_on={"received", "investigating"},
                stop_on={"resolved", "closed", "withdrawn"},
                targets={
                    "critical": Target.business(_hours(16)),
                    "major": Target.business(_hours(24)),
                    "*": Target.business(_hours(40)),
                },
            ),
        ),
        "Violation": policy(
            "violation",
            ClockSpec(
                name="appeal_window",
                start_on={"decided"},
                stop_on={"final", "dismissed"},
                targets={"*": Target.calendar_days(15)},
                escalations=(),
            ),
            warn=None,
        ),
    }


@attrs.frozen(kw_only=True)
class SlaAlert(Alert):
    """An :class:`~servicecore.sla.clocks.Alert` recorded on a case: which case, and who is told."""

    case_type: str
    """The case's kind, by storage name (``"ServiceRequest"``, ``"Complaint"``...)."""
    case_id: str
    """The case's id."""
    recipients: tuple[str, ...]
    """Notification addresses resolved from the checkpoint's role names."""
    internal: bool = False
    """True for an internal target (OLA), reported apart from the customer's targets."""


@attrs.frozen
class SlaScanResult:
    """What one :meth:`ServiceDesk.scan_sla` run recorded."""

    scanned: int
    """Cases whose clocks had a checkpoint due."""
    alerts: tuple[Alert, ...]
    """Every checkpoint recorded, in the order found (:class:`SlaAlert` values, naming their case)."""
    conflicts: int = 0
    """Cases changed by a concurrent command during the scan; the next scan picks them up."""
    simulated: bool = False
    """True if nothing was recorded: the scan only showed what it would record (``simulate=True``)."""

    @property
    def customer_alerts(self) -> tuple[Alert, ...]:
        """The alerts of the customer's targets (the agreement's service levels)."""
        return tuple(a for a in self.alerts if not (isinstance(a, SlaAlert) and a.internal))

    @property
    def internal_alerts(self) -> tuple[Alert, ...]:
        """The alerts of internal targets (OLAs between teams), reported apart."""
        return tuple(a for a in self.alerts if isinstance(a, SlaAlert) and a.internal)


@attrs.frozen
class SlaMove:
    """One clock whose due time or next check moved when :meth:`ServiceDesk.recompute_sla` ran."""

    case_type: str
    """The case's kind (``"ServiceRequest"``...)."""
    case_id: str
    """The case's id."""
    clock: str
    """The clock's name."""
    calendar: str
    """The calendar the clock counts on."""
    old_due: datetime
    """The due time stored before."""
    new_due: datetime
    """The due time recomputed on the calendar as it is now."""
    old_check_at: datetime | None
    """The clock's next unrecorded checkpoint before."""
    new_check_at: datetime | None
    """The clock's next unrecorded checkpoint now."""


@attrs.frozen
class SlaRecomputeResult:
    """What one :meth:`ServiceDesk.recompute_sla` run changed."""

    examined: int
    """Cases with at least one open clock on the calendars recomputed."""
    moves: tuple[SlaMove, ...]
    """Every clock whose due time or next check moved, case by case."""
    conflicts: int = 0
    """Cases changed by a concurrent command meanwhile: run it again for them."""


def _calendars(
    default: BusinessCalendar, more: Mapping[str, BusinessCalendar] | Iterable[BusinessCalendar] | None
) -> dict[str, BusinessCalendar]:
    found: dict[str, BusinessCalendar] = {default.name: default} if default.name else {}
    pairs = more.items() if isinstance(more, Mapping) else ((c.name, c) for c in (more or ()))
    for name, calendar in pairs:
        if not isinstance(calendar, BusinessCalendar):
            raise ConfigurationError(
                f"the SLA calendar {name!r} must be a BusinessCalendar, got {type(calendar).__name__}"
            )
        if not isinstance(name, str) or not name:
            raise ConfigurationError("every further SLA calendar needs a name (BusinessCalendar(name=...))")
        found[name] = calendar
    return found


class SlaService:
    """Applies SLA policies to aggregates on their business calendars.

    ``calendar`` is the default calendar; ``calendars`` (a mapping by name, or calendars
    carrying their own ``name``) are the further ones a policy or a clock may name,
    such as a ``"24x7"`` calendar for urgent work. ``policies`` maps an aggregate kind's
    storage name (``"ServiceRequest"``, ``"Complaint"``...) to its policy (default:
    :func:`default_policies`); kinds without one carry no clocks. A policy naming an
    unknown calendar is a ConfigurationError here, not at the first command.
    ``scan_tolerance`` (default :data:`SCAN_TOLERANCE`) is how far past the desk clock
    a scan may be asked to look without ``simulate=True``.
    """

    def __init__(
        self,
        calendar: BusinessCalendar,
        policies: Mapping[str, SlaPolicy] | None = None,
        *,
        calendars: Mapping[str, BusinessCalendar] | Iterable[BusinessCalendar] | None = None,
        scan_tolerance: timedelta = SCAN_TOLERANCE,
    ) -> None:
        if not isinstance(calendar, BusinessCalendar):
            raise ConfigurationError(f"the SLA calendar must be a BusinessCalendar, got {type(calendar).__name__}")
        if not isinstance(scan_tolerance, timedelta) or scan_tolerance < timedelta(0):
            raise ConfigurationError(f"scan_tolerance must be a timedelta of 0 or more, got {scan_tolerance!r}")
        self.calendar = calendar
        self.calendars: Mapping[str, BusinessCalendar] = _calendars(calendar, calendars)
        self.scan_tolerance = scan_tolerance
        self.policies: Mapping[str, SlaPolicy] = dict(default_policies() if policies is None else policies)
        for kind, policy in self.policies.items():
            if not isinstance(policy, SlaPolicy):
                raise ConfigurationError(f"the SLA policy for {kind!r} must be an SlaPolicy")
            for spec in policy.clocks:
                calendar_of(spec, policy, calendar, self.calendars)

    def policy_for(self, aggregate: object) -> SlaPolicy | None:
        """The policy that governs ``aggregate``'s clocks, if any.

        The policy for its kind, with the targets of the service levels its agreement
        states (adopted by :meth:`adopt`) in place of the policy's own.
        """
        if not isinstance(aggregate, SlaTrackedAggregate):
            return None
        kind = aggregate_kind(type(aggregate)).name
        policy = self.policies.get(kind)
        clocks = aggregate.clocks
        if policy is None or not clocks.standards:
            return policy
        levels = [level for level in clocks.standards if level.kind == kind and level.clock in policy.clock_names]
        return with_service_levels(policy, levels, clocks.standards_from) if levels else policy

    def check_service_levels(self, levels: Iterable[ServiceLevel]) -> None:
        """Refuse (ValidationError naming ``service_levels``) a level for a clock the desk's policies lack."""
        for number, level in enumerate(levels):
            policy = self.policies.get(level.kind)
            if policy is None or level.clock not in policy.clock_names:
                known = [] if policy is None else sorted(policy.clock_names)
                raise ValidationError(
                    f"service_levels[{number}]",
                    f"this desk runs no {level.clock!r} clock for {level.kind} (its clocks: {known})",
                )

    def adopt(self, aggregate: A, levels: Iterable[ServiceLevel], source: str) -> A:
        """``aggregate`` whose clocks follow the service levels ``levels`` (those for its kind) from now on.

        The facade calls it when an agreement binds a case: the confirmed agreement's
        request, and each work order and the acceptance created under it. Clocks
        already running keep their start and pauses; their targets change.
        """
        if not isinstance(aggregate, SlaTrackedAggregate):
            return aggregate
        kind = aggregate_kind(type(aggregate)).name
        mine = tuple(level for level in levels if level.kind == kind)
        if not mine or aggregate.clocks.standards == mine:
            return aggregate
        clocks = attrs.evolve(aggregate.clocks, standards=mine, standards_from=source)
        return _with_clocks(aggregate, clocks)

    def calendar_for(self, clock: SlaClock) -> BusinessCalendar:
        """The calendar ``clock`` counts on (recorded on it by name), for its ``remaining`` and ``failed_by``."""
        return self.calendars.get(clock.calendar, self.calendar)

    def observe(self, aggregate: A, at: datetime) -> A:
        """``aggregate`` with its clocks brought in step with its status at ``at``.

        An ``at`` earlier than the clocks' last observation (another host's clock a
        little ahead of this one) counts as that observation's instant: commits are
        ordered by the aggregate's version, so its clocks never run backwards.
        """
        policy = self.policy_for(aggregate)
        if policy is None or not isinstance(aggregate, SlaTrackedAggregate):
            return aggregate
        clocks = aggregate.clocks
        if clocks.observed_at is not None and at < clocks.observed_at:
            at = clocks.observed_at
        observed = self._observe_steps(aggregate, clocks, policy, at).observe(
            sla_status(aggregate),
            at,
            calendar=self.calendar,
            policy=policy,
            priority=sla_priority(aggregate),
            instants=sla_instants(aggregate),
            calendars=self.calendars,
        )
        if observed == clocks:
            return aggregate
        return _with_clocks(aggregate, observed)

    def _observe_steps(self, aggregate: Aggregate, clocks: Clocks, policy: SlaPolicy, at: datetime) -> Clocks:
        """``clocks`` with a ``step:<key>`` clock per checklist step due before the scheduled visit.

        A step's clock stops when the step is done or skipped, or the order ends. One
        whose due time had passed when the order was created is not armed: the visit
        was booked too late for it, and chasing it would only be noise.
        """
        window = getattr(aggregate, "window", None)
        steps = getattr(aggregate, "steps", ())
        if window is None or not any(getattr(step, "due_before_start", None) is not None for step in steps):
            return clocks
        calendar = self.calendars.get(policy.calendar or "", self.calendar)
        created = aggregate.history[0].at
        ended = str(aggregate.status.value) in {"completed", "cancelled"}
        for step in steps:
            if step.due_before_start is None:
                continue
            name = f"{STEP_CLOCK_PREFIX}{step.key}"
            due = working_days_before(calendar, window.start, step.due_before_start)
            if clocks.get(name) is None and due <= created:
                continue
            done = ended or str(step.status.value) != "pending"
            clocks = clocks.observe(
                "done" if done else "pending",
                at,
                calendar=calendar,
                policy=_step_policy(step.key, None),
                priority="*",
                instants={name: due},
            )
        return clocks

    def needs_instant(self, aggregate: object, name: str) -> bool:
        """True if a clock of ``aggregate``'s policy starts at, or is due at, the instant ``name``."""
        policy = self.policy_for(aggregate)
        return policy is not None and any(name in (spec.start_at, spec.deadline) for spec in policy.clocks)

    def mark(self, aggregate: A, name: str, instant: datetime, *, actor: Actor, at: datetime, note: str) -> A:
        """``aggregate`` with the instant ``name`` another case's event set on it, recorded in its history.

        The next observation starts (or reschedules) the clocks whose spec names it.
        Unchanged if the instant is already recorded.
        """
        if not isinstance(aggregate, SlaTrackedAggregate) or aggregate.clocks.anchor(name) == instant:
            return aggregate
        anchors = (*((n, i) for n, i in aggregate.clocks.anchors if n != name), (name, instant))
        clocks = attrs.evolve(aggregate.clocks, anchors=anchors)
        check_time(aggregate, at)
        return record(aggregate, action=name, actor=actor, at=at, note=note, clocks=clocks)

    def awaiting_customer(self, aggregate: A, waiting: bool, *, actor: Actor, at: datetime, note: str = "") -> A:
        """``aggregate`` seen as :data:`AWAITING_CUSTOMER` while it stays in its current status (or no longer).

        The facade calls it when the ball passes to the customer (an agreement offered,
        an acceptance inspected) and back; it is recorded in the case's history
        (``"awaiting_customer"`` / ``"customer_acted"``) and the next observation pauses
        or resumes the clocks whose policy pauses on :data:`AWAITING_CUSTOMER`.
        Unchanged if the case already stands so.
        """
        if not isinstance(aggregate, SlaTrackedAggregate):
            return aggregate
        status = str(aggregate.status.value)
        override = StatusOverride(status, AWAITING_CUSTOMER) if waiting else None
        current = aggregate.clocks.override
        if current == override or (override is None and (current is None or current.status != status)):
            return aggregate
        clocks = attrs.evolve(aggregate.clocks, override=override)
        check_time(aggregate, at)
        action = "awaiting_customer" if waiting else "customer_acted"
        return record(aggregate, action=action, actor=actor, at=at, note=note, clocks=clocks)

    def scan(
        self, aggregate: A, now: datetime, *, parties: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[A, tuple[SlaAlert, ...]]:
        """``aggregate`` with every checkpoint reached by ``now`` recorded, and one event per alert.

        ``parties`` names the recipients of a role for this case, overriding how the
        role is resolved otherwise (an acceptance's ``"assignee"``: the work's assignees).
        """
        if not isinstance(aggregate, SlaTrackedAggregate):
            return aggregate, ()
        scanned, found = aggregate.clocks.scan(now)
        if not found:
            return aggregate, ()
        alerts = tuple(self._case_alert(aggregate, alert, parties or {}) for alert in found)
        events = tuple(self._event(aggregate, alert) for alert in alerts)
        return attrs.evolve(aggregate, clocks=scanned, events=aggregate.events + events), alerts

    def act(self, aggregate: A, alerts: Sequence[Alert], *, at: datetime) -> tuple[A, tuple[str, ...]]:
        """``aggregate`` after the actions of the escalation levels in ``alerts``, and what was done.

        ``reassign_to`` makes that person a work order's assignee (``WorkOrder.reassign``);
        ``raise_priority`` raises a request's priority one step
        (``ServiceRequest.raise_priority``). Each is the aggregate's own command, run by
        :data:`SLA_SYSTEM` at ``at`` and recorded in its history with the level's name.
        An action the case refuses (a closed case, a request already urgent) is left
        out: the level is still notified.
        """
        policy = self.policy_for(aggregate)
        if policy is None:
            return aggregate, ()
        names = {spec.name for spec in policy.clocks}
        done: list[str] = []
        for alert in alerts:
            if alert.kind is not AlertKind.ESCALATION or alert.clock not in names:
                continue
            level = policy.level(alert.clock, alert.level)
            if level is None:
                continue
            why = f"SLA escalation {level.name!r} of {alert.clock} (due {alert.due_at.isoformat()})"
            case: Any = aggregate
            try:
                if level.reassign_to is not None and hasattr(case, "reassign"):
                    case = case.reassign(actor=SLA_SYSTEM, at=at, assignees=[ActorId(level.reassign_to)], note=why)
                    done.append(f"{alert.level}: reassigned to {level.reassign_to}")
                if level.raise_priority and hasattr(case, "raise_priority"):
                    case = case.raise_priority(actor=SLA_SYSTEM, at=at, reason=why)
                    done.append(f"{alert.level}: priority raised to {case.priority.value}")
            except ServiceCoreError:
                continue
            aggregate = case
        return aggregate, tuple(done)

    def recompute(self, aggregate: A, *, calendar: str | None = None) -> tuple[A, tuple[SlaMove, ...]]:
        """``aggregate`` with the due times and checkpoints of its open clocks recomputed.

        For after a calendar changed (holidays announced, working hours moved): each
        clock that has not stopped is rescheduled on its calendar as the service now
        holds it (only on the calendar named ``calendar``, if given). Recorded
        checkpoints stay recorded; a stopped clock keeps its verdict.
        """
        policy = self.policy_for(aggregate)
        if policy is None or not isinstance(aggregate, SlaTrackedAggregate):
            return aggregate, ()
        names = {spec.name for spec in policy.clocks}
        moves: list[SlaMove] = []
        updated: list[SlaClock] = []
        for clock in aggregate.clocks.clocks:
            on = self.calendar_for(clock)
            if clock.is_stopped or clock.name not in names or (calendar is not None and on.name != calendar):
                updated.append(clock)
                continue
            rescheduled = schedule(clock, on, policy)
            if rescheduled.due_at != clock.due_at or rescheduled.next_check_at != clock.next_check_at:
                moves.append(
                    SlaMove(
                        case_type=aggregate_kind(type(aggregate)).name,
                        case_id=str(aggregate.id),
                        clock=clock.name,
                        calendar=on.name,
                        old_due=clock.due_at,
                        new_due=rescheduled.due_at,
                        old_check_at=clock.next_check_at,
                        new_check_at=rescheduled.next_check_at,
                    )
                )
            updated.append(rescheduled)
        if not moves:
            return aggregate, ()
        clocks = attrs.evolve(aggregate.clocks, clocks=tuple(updated))
        return _with_clocks(aggregate, clocks), tuple(moves)

    def _case_alert(
        self, aggregate: SlaTrackedAggregate, alert: Alert, parties: Mapping[str, Sequence[str]]
    ) -> SlaAlert:
        fields = index_fields(aggregate)
        clock = aggregate.clocks.get(alert.clock)
        internal = clock is not None and clock.internal
        recipients: list[str] = []
        for role in alert.notify:
            if role in parties:
                recipients.extend(parties[role])
            elif role == "assignee":
                assigned = [f"actor:{a}" for a in fields.assignee_ids]
                recipients.extend(assigned or [f"role:{UNASSIGNED_ROLE}"])
            elif role == "customer":
                if fields.customer_id is not None and not internal:
                    recipients.append(f"customer:{fields.customer_id}")
            elif role == RESPONSIBLE:
                rectifications = getattr(aggregate, "rectifications", ())
                if rectifications:
                    recipients.append(f"party:{rectifications[-1].responsible_party}")
            else:
                recipients.append(f"role:{role}")
        return SlaAlert(
            **attrs.asdict(alert, recurse=False),
            case_type=aggregate_kind(type(aggregate)).name,
            case_id=str(aggregate.id),
            recipients=tuple(dict.fromkeys(recipients)),
            internal=internal,
        )

    def _event(self, aggregate: Aggregate, alert: SlaAlert) -> ev.SlaCheckpointReached:
        return ev.SlaCheckpointReached(
            aggregate_id=aggregate.id,
            case_type=alert.case_type,
            occurred_at=alert.detected_at,
            actor=SLA_ACTOR,
            clock=alert.clock,
            kind=str(alert.kind.value),
            level=alert.level,
            due_at=alert.due_at,
            reached_at=alert.at,
            recipients=alert.recipients,
        )


__all__ = [
    "AWAITING_CUSTOMER",
    "CUSTOMER_CAUSED_HOLDS",
    "RESPONSIBLE",
    "SCAN_TOLERANCE",
    "SLA_ACTOR",
    "SLA_SYSTEM",
    "STEP_CLOCK_PREFIX",
    "UNASSIGNED_ROLE",
    "SlaAlert",
    "SlaMove",
    "SlaRecomputeResult",
    "SlaScanResult",
    "SlaService",
    "default_policies",
    "sla_instants",
    "sla_priority",
    "sla_status",
    "working_days_before",
]
