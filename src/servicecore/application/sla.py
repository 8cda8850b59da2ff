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
* ``"customer"`` → the case's customer, as ``customer:<id>``;
* any other name → ``role:<name>`` (``"supervisor"`` → ``role:supervisor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.errors import ConfigurationError
from servicecore.domain.values import ActorId, ActorRef
from servicecore.ports.storage import aggregate_kind, index_fields
from servicecore.sla.calendar import BusinessCalendar
from servicecore.sla.clocks import Alert, SlaTracked
from servicecore.sla.policy import ClockSpec, EscalationLevel, SlaPolicy, Target

A = TypeVar("A")

SLA_ACTOR = ActorRef(ActorId("system:sla"), "SLA scan")
"""Who records SLA checkpoints in history and events."""

UNASSIGNED_ROLE = "agent"
"""Who hears an ``"assignee"`` checkpoint of a case with no assignee: the front desk."""

CUSTOMER_CAUSED_HOLDS = frozenset({"customer_unavailable"})
"""Work order hold reasons caused by the customer: they pause the completion clock."""


def sla_status(aggregate: Any) -> str:
    """The status an aggregate's clocks see: its own, with customer-caused holds told apart.

    A work order on hold for a customer-caused reason is seen as ``"on_hold_by_customer"``,
    so a policy can pause the completion clock for it and not for other holds.
    """
    status = str(aggregate.status.value)
    hold = getattr(aggregate, "current_hold", None)
    if status == "on_hold" and hold is not None and str(hold.reason.value) in CUSTOMER_CAUSED_HOLDS:
        return "on_hold_by_customer"
    return status


def sla_priority(aggregate: Any) -> str:
    """The key for a policy's targets: a request's priority, a complaint's severity, else ``"*"``."""
    for name in ("priority", "severity"):
        value = getattr(aggregate, name, None)
        if value is not None:
            return str(getattr(value, "value", value))
    return "*"


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


def default_policies() -> dict[str, SlaPolicy]:
    """The built-in service levels by aggregate kind (business time on the desk's calendar).

    ============================  ======================================================
    ``ServiceRequest``            first response: urgent 1 h, high 2 h, else 4 h;
                                  resolution: urgent 2 business days (16 h), else 40 h
    ``WorkOrder``                 completion within 16 business hours of being scheduled,
                                  paused while on hold for a customer-caused reason
    ``Acceptance``                rectification within 5 business days of the order
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

    def policy(name: str, *clocks: ClockSpec, warn: Decimal | None = Decimal("0.8")) -> SlaPolicy:
        return SlaPolicy(name=name, clocks=clocks, warning_at=warn, escalations=escalations)

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
                targets={"urgent": Target.business(_hours(16)), "*": Target.business(_hours(40))},
            ),
        ),
        "WorkOrder": policy(
            "work-order",
            ClockSpec(
                name="completion",
                start_on={"scheduled"},
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
                stop_on={"rectified", "passed", "accepted"},
                targets={"*": Target.business_days(5)},
            ),
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


@attrs.frozen
class SlaScanResult:
    """What one :meth:`ServiceDesk.scan_sla` run recorded."""

    scanned: int
    """Cases whose clocks had a checkpoint due."""
    alerts: tuple[Alert, ...]
    """Every checkpoint recorded, in the order found (:class:`SlaAlert` values, naming their case)."""
    conflicts: int = 0
    """Cases changed by a concurrent command during the scan; the next scan picks them up."""


class SlaService:
    """Applies SLA policies to aggregates on one business calendar.

    ``policies`` maps an aggregate kind's storage name (``"ServiceRequest"``,
    ``"Complaint"``...) to its policy; kinds without one carry no clocks.
    """

    def __init__(self, calendar: BusinessCalendar, policies: Mapping[str, SlaPolicy] | None = None) -> None:
        if not isinstance(calendar, BusinessCalendar):
            raise ConfigurationError(f"the SLA calendar must be a BusinessCalendar, got {type(calendar).__name__}")
        self.calendar = calendar
        self.policies: Mapping[str, SlaPolicy] = dict(default_policies() if policies is None else policies)
        for kind, policy in self.policies.items():
            if not isinstance(policy, SlaPolicy):
                raise ConfigurationError(f"the SLA policy for {kind!r} must be an SlaPolicy")

    def policy_for(self, aggregate: object) -> SlaPolicy | None:
        """The policy that governs ``aggregate``'s clocks, if any."""
        if not isinstance(aggregate, SlaTracked):
            return None
        return self.policies.get(aggregate_kind(type(aggregate)).name)

    def observe(self, aggregate: A, at: datetime) -> A:
        """``aggregate`` with its clocks brought in step with its status at ``at``.

        An ``at`` earlier than the clocks' last observation (another host's clock a
        little ahead of this one) counts as that observation's instant: commits are
        ordered by the aggregate's version, so its clocks never run backwards.
        """
        policy = self.policy_for(aggregate)
        if policy is None or not isinstance(aggregate, SlaTracked):
            return aggregate
        clocks = aggregate.clocks
        if clocks.observed_at is not None and at < clocks.observed_at:
            at = clocks.observed_at
        observed = clocks.observe(
            sla_status(aggregate), at, calendar=self.calendar, policy=policy, priority=sla_priority(aggregate)
        )
        if observed == clocks:
            return aggregate
        return attrs.evolve(aggregate, clocks=observed)  # type: ignore[misc]

    def scan(self, aggregate: A, now: datetime) -> tuple[A, tuple[SlaAlert, ...]]:
        """``aggregate`` with every checkpoint reached by ``now`` recorded, and one event per alert."""
        if not isinstance(aggregate, SlaTracked):
            return aggregate, ()
        scanned, found = aggregate.clocks.scan(now)
        if not found:
            return aggregate, ()
        alerts = tuple(self._case_alert(aggregate, alert) for alert in found)
        events = tuple(self._event(aggregate, alert) for alert in alerts)
        previous: tuple[ev.DomainEvent, ...] = aggregate.events  # type: ignore[attr-defined]
        return attrs.evolve(aggregate, clocks=scanned, events=previous + events), alerts  # type: ignore[misc]

    def _case_alert(self, aggregate: Any, alert: Alert) -> SlaAlert:
        fields = index_fields(aggregate)
        recipients: list[str] = []
        for role in alert.notify:
            if role == "assignee":
                assigned = [f"actor:{a}" for a in fields.assignee_ids]
                recipients.extend(assigned or [f"role:{UNASSIGNED_ROLE}"])
            elif role == "customer":
                if fields.customer_id is not None:
                    recipients.append(f"customer:{fields.customer_id}")
            else:
                recipients.append(f"role:{role}")
        return SlaAlert(
            **attrs.asdict(alert, recurse=False),
            case_type=aggregate_kind(type(aggregate)).name,
            case_id=str(aggregate.id),
            recipients=tuple(dict.fromkeys(recipients)),
        )

    def _event(self, aggregate: Any, alert: SlaAlert) -> ev.SlaCheckpointReached:
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
    "CUSTOMER_CAUSED_HOLDS",
    "SLA_ACTOR",
    "UNASSIGNED_ROLE",
    "SlaAlert",
    "SlaScanResult",
    "SlaService",
    "default_policies",
    "sla_priority",
    "sla_status",
]
