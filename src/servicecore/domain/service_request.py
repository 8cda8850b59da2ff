"""ServiceRequest: a customer's need, from intake to closure (客户咨询与接待: enquiry and reception).

received → acknowledged (first response) → assessed (needs analysis) → agreed
→ in_service → completed → closed; declined or withdrawn from the early states.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import (
    SlaTrackedAggregate,
    event_fields,
    record,
    require_status,
    shared_fields_last,
    started,
)
from servicecore.domain.errors import BusinessRuleError, InvalidTransitionError
from servicecore.domain.fields import AsEnum
from servicecore.domain.values import (
    Actor,
    AgreementId,
    Customer,
    RequestId,
    WorkOrderId,
    as_tuple,
    aware,
    check_aware,
    check_text,
    identifier,
    instance_of,
    is_bool,
    non_empty,
    non_empty_line,
    optional_identifier,
    optional_text,
)


class Channel(enum.StrEnum):
    """How the request reached us."""

    PHONE = "phone"
    EMAIL = "email"
    ONLINE = "online"
    WALK_IN = "walk_in"
    HOTLINE = "hotline"
    OTHER = "other"


class Priority(enum.StrEnum):
    """How urgent the need is; SLA targets depend on it."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class RequestStatus(enum.StrEnum):
    """States of a :class:`ServiceRequest`."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSESSED = "assessed"
    AGREED = "agreed"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CLOSED = "closed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


EARLY_STATES = frozenset({RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, RequestStatus.ASSESSED})
TERMINAL_STATES = frozenset(
    {RequestStatus.CLOSED, RequestStatus.DECLINED, RequestStatus.WITHDRAWN, RequestStatus.CANCELLED}
)


@attrs.frozen
class FirstResponse:
    """What the customer was first told, by whom and when."""

    at: datetime = attrs.field(validator=aware)
    by: str = attrs.field(validator=non_empty_line)
    message: str = attrs.field(validator=non_empty)


def _departments(value: Iterable[str]) -> tuple[str, ...]:
    return as_tuple("departments", value, of=str)


@attrs.frozen
class Assessment:
    """Outcome of needs analysis (需求分析): feasible or not, and why."""

    feasible: bool = attrs.field(validator=is_bool)
    analysis: str = attrs.field(validator=non_empty)
    departments: tuple[str, ...] = attrs.field(default=(), converter=_departments)


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class ServiceRequest(SlaTrackedAggregate):
    """A customer's request for service. Create it with :meth:`receive`."""

    kind: ClassVar[str] = "ServiceRequest"
    id_kind: ClassVar[str] = "request"

    id: RequestId = attrs.field(validator=identifier)
    customer: Customer = attrs.field(validator=instance_of(Customer))
    channel: Channel = attrs.field(converter=AsEnum[Channel])
    category: str = attrs.field(validator=non_empty_line)
    priority: Priority = attrs.field(converter=AsEnum[Priority])
    description: str = attrs.field(validator=non_empty)
    received_at: datetime = attrs.field(validator=aware)
    status: RequestStatus = RequestStatus.RECEIVED
    first_response: FirstResponse | None = None
    assessment: Assessment | None = None
    agreement_id: AgreementId | None = attrs.field(default=None, validator=optional_identifier)
    work_order_ids: tuple[WorkOrderId, ...] = ()
    outcome_reason: str = attrs.field(default="", validator=optional_text)

    @classmethod
    def receive(
        cls,
        *,
        id: RequestId,
        customer: Customer,
        channel: Channel | str,
        category: str,
        priority: Priority | str,
        description: str,
        actor: Actor,
        at: datetime,
    ) -> ServiceRequest:
        """Record a new request as it arrives through ``channel``."""
        check_aware("at", at)
        request = cls(
            id=id,
            customer=customer,
            channel=channel,
            category=category,
            priority=priority,
            description=description,
            received_at=at,
        )
        return started(
            request,
            action="receive",
            actor=actor,
            at=at,
            event=ev.RequestReceived(
                **event_fields(request, at, actor),
                customer_id=customer.id,
                channel=request.channel.value,
                priority=request.priority.value,
            ),
        )

    @property
    def is_terminal(self) -> bool:
        """True once nothing more can happen to the request."""
        return self.status in TERMINAL_STATES

    def acknowledge(self, *, actor: Actor, at: datetime, message: str) -> ServiceRequest:
        """Give the first response; stops the first-response clock."""
        require_status(self, "acknowledge", {RequestStatus.RECEIVED}, at=at)
        text = check_text("message", message)
        return record(
            self,
            action="acknowledge",
            actor=actor,
            at=at,
            to=RequestStatus.ACKNOWLEDGED,
            note=text,
            first_response=FirstResponse(at=at, by=actor.id, message=text),
            events=[ev.RequestAcknowledged(**event_fields(self, at, actor), customer_id=self.customer.id)],
        )

    def assess(
        self,
        *,
        actor: Actor,
        at: datetime,
        feasible: bool,
        analysis: str,
        departments: Iterable[str] = (),
    ) -> ServiceRequest:
        """Record needs analysis. An infeasible request can then only be declined."""
        require_status(self, "assess", {RequestStatus.ACKNOWLEDGED, RequestStatus.ASSESSED}, at=at)
        assessment = Assessment(
            feasible=feasible,
            analysis=check_text("analysis", analysis),
            departments=as_tuple("departments", departments),
        )
        return record(
            self,
            action="assess",
            actor=actor,
            at=at,
            to=RequestStatus.ASSESSED,
            note=assessment.analysis,
            assessment=assessment,
            events=[ev.RequestAssessed(**event_fields(self, at, actor), feasible=feasible)],
        )

    def mark_agreed(self, *, actor: Actor, at: datetime, agreement_id: AgreementId) -> ServiceRequest:
        """The customer confirmed an agreement for this request."""
        require_status(self, "mark_agreed", {RequestStatus.ASSESSED}, at=at)
        agreement_id = AgreementId(check_text("agreement_id", agreement_id))
        self._require_feasible("mark_agreed")
        return record(
            self,
            action="mark_agreed",
            actor=actor,
            at=at,
            to=RequestStatus.AGREED,
            note=f"agreement {agreement_id}",
            agreement_id=agreement_id,
            events=[ev.RequestAgreed(**event_fields(self, at, actor), agreement_id=agreement_id)],
        )

    def start_service(self, *, actor: Actor, at: datetime, work_order_id: WorkOrderId) -> ServiceRequest:
        """A work order was created; the first one moves the request into service."""
        require_status(self, "start_service", {RequestStatus.AGREED, RequestStatus.IN_SERVICE}, at=at)
        work_order_id = WorkOrderId(check_text("work_order_id", work_order_id))
        if work_order_id in self.work_order_ids:
            raise BusinessRuleError("ServiceRequest", self.id, f"work order {work_order_id} is already linked")
        return record(
            self,
            action="start_service",
            actor=actor,
            at=at,
            to=RequestStatus.IN_SERVICE,
            note=f"work order {work_order_id}",
            work_order_ids=(*self.work_order_ids, work_order_id),
            events=[ev.RequestServiceStarted(**event_fields(self, at, actor), work_order_id=work_order_id)],
        )

    def complete(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceRequest:
        """The delivered service was accepted."""
        require_status(self, "complete", {RequestStatus.IN_SERVICE}, at=at)
        return record(
            self,
            action="complete",
            actor=actor,
            at=at,
            to=RequestStatus.COMPLETED,
            note=note,
            events=[ev.RequestCompleted(**event_fields(self, at, actor), customer_id=self.customer.id)],
        )

    def close(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceRequest:
        """Close a completed request (after follow-up)."""
        require_status(self, "close", {RequestStatus.COMPLETED}, at=at)
        return record(
            self,
            action="close",
            actor=actor,
            at=at,
            to=RequestStatus.CLOSED,
            note=note,
            events=[ev.RequestClosed(**event_fields(self, at, actor))],
        )

    def decline(self, *, actor: Actor, at: datetime, reason: str) -> ServiceRequest:
        """The provider declines the request (e.g. infeasible), with a reason."""
        require_status(self, "decline", EARLY_STATES, at=at)
        text = check_text("reason", reason)
        return record(
            self,
            action="decline",
            actor=actor,
            at=at,
            to=RequestStatus.DECLINED,
            note=text,
            outcome_reason=text,
            events=[ev.RequestDeclined(**event_fields(self, at, actor), customer_id=self.customer.id, reason=text)],
        )

    def withdraw(self, *, actor: Actor, at: datetime, reason: str) -> ServiceRequest:
        """The customer withdraws the request, with a reason."""
        require_status(self, "withdraw", EARLY_STATES, at=at)
        text = check_text("reason", reason)
        return record(
            self,
            action="withdraw",
            actor=actor,
            at=at,
            to=RequestStatus.WITHDRAWN,
            note=text,
            outcome_reason=text,
            events=[ev.RequestWithdrawn(**event_fields(self, at, actor), reason=text)],
        )

    def cancel(self, *, actor: Actor, at: datetime, reason: str) -> ServiceRequest:
        """The service stops after it was agreed (e.g. the agreement was terminated), with a reason."""
        require_status(self, "cancel", {RequestStatus.AGREED, RequestStatus.IN_SERVICE}, at=at)
        text = check_text("reason", reason)
        return record(
            self,
            action="cancel",
            actor=actor,
            at=at,
            to=RequestStatus.CANCELLED,
            note=text,
            outcome_reason=text,
            events=[ev.RequestCancelled(**event_fields(self, at, actor), customer_id=self.customer.id, reason=text)],
        )

    def raise_priority(self, *, actor: Actor, at: datetime, reason: str) -> ServiceRequest:
        """Raise the priority one step (low → normal → high → urgent), e.g. when an SLA escalation says so.

        Refused for a request already urgent (BusinessRuleError) or no longer open
        (InvalidTransitionError). The clocks take the new priority's targets at the
        next observation, keeping their start and pauses.
        """
        open_states = set(RequestStatus) - TERMINAL_STATES - {RequestStatus.COMPLETED}
        require_status(self, "raise_priority", open_states, at=at)
        text = check_text("reason", reason)
        order = list(Priority)
        if self.priority is order[-1]:
            raise BusinessRuleError("ServiceRequest", self.id, f"priority is already {self.priority.value!r}")
        raised = order[order.index(self.priority) + 1]
        return record(
            self,
            action="raise_priority",
            actor=actor,
            at=at,
            note=f"{self.priority.value} → {raised.value}: {text}",
            priority=raised,
        )

    def require_feasible(self, action: str) -> None:
        """Raise unless needs analysis found the request feasible (used before drafting)."""
        if self.status is not RequestStatus.ASSESSED:
            raise InvalidTransitionError("ServiceRequest", self.id, self.status.value, action, ["assessed"])
        self._require_feasible(action)

    def _require_feasible(self, action: str) -> None:
        if self.assessment is None or not self.assessment.feasible:
            raise BusinessRuleError(
                "ServiceRequest", self.id, f"{action} needs an assessment that found the request feasible"
            )


__all__ = [
    "Assessment",
    "Channel",
    "FirstResponse",
    "Priority",
    "RequestStatus",
    "ServiceRequest",
]
