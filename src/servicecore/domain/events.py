"""Domain events: facts, named in the past tense, raised by aggregate methods.

The application layer turns them into notifications written to the outbox in
the same unit of work as the state change. Every event carries the aggregate id,
when it happened and who did it (an aggregate fills these with
:func:`~servicecore.domain.aggregate.event_fields`); subclasses add what a
listener needs. Each kind of aggregate has one event base (:class:`RequestEvent`,
:class:`WorkOrderEvent`...) naming the kind in ``aggregate_type``: an event
says which aggregate raises it by the base it derives from.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from servicecore.domain.values import ActorId, ActorRef, CustomerId


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of all events."""

    aggregate_type: ClassVar[str] = ""
    """The :attr:`~servicecore.domain.aggregate.Aggregate.kind` of the aggregate that raises this event.

    Set once per kind, on its event base (e.g. :class:`WorkOrderEvent`).
    """

    aggregate_id: str
    occurred_at: datetime
    actor: ActorRef

    @property
    def name(self) -> str:
        """The event's class name, e.g. ``"RequestAcknowledged"``."""
        return type(self).__name__


@attrs.frozen(kw_only=True)
class CustomerFacing(DomainEvent):
    """An event the customer is told about."""

    customer_id: CustomerId


# --- service requests -------------------------------------------------------


@attrs.frozen(kw_only=True)
class RequestEvent(DomainEvent):
    """Base of the events raised by a service request."""

    aggregate_type: ClassVar[str] = "ServiceRequest"


@attrs.frozen(kw_only=True)
class RequestReceived(RequestEvent, CustomerFacing):
    """A service request was recorded."""

    channel: str
    priority: str


@attrs.frozen(kw_only=True)
class RequestAcknowledged(RequestEvent, CustomerFacing):
    """The customer got a first response."""


@attrs.frozen(kw_only=True)
class RequestAssessed(RequestEvent):
    """Needs analysis finished; ``feasible`` records the verdict."""

    feasible: bool


@attrs.frozen(kw_only=True)
class RequestDeclined(RequestEvent, CustomerFacing):
    """The provider declined the request."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestWithdrawn(RequestEvent):
    """The customer withdrew the request."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestCancelled(RequestEvent, CustomerFacing):
    """The service stopped after it was agreed."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestAgreed(RequestEvent):
    """A service agreement for the request was confirmed by the customer."""

    agreement_id: str


@attrs.frozen(kw_only=True)
class RequestServiceStarted(RequestEvent):
    """Work on the request began (a work order exists)."""

    work_order_id: str


@attrs.frozen(kw_only=True)
class RequestCompleted(RequestEvent, CustomerFacing):
    """The service was accepted; the request is complete."""


@attrs.frozen(kw_only=True)
class RequestClosed(RequestEvent):
    """The request was closed; nothing further happens on it."""


# --- agreements -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AgreementEvent(DomainEvent):
    """Base of the events raised by a service agreement."""

    aggregate_type: ClassVar[str] = "ServiceAgreement"


@attrs.frozen(kw_only=True)
class AgreementDrafted(AgreementEvent):
    """A proposal (revision 1) was drafted for a request."""

    request_id: str


@attrs.frozen(kw_only=True)
class AgreementRevised(AgreementEvent):
    """The current draft revision's content was replaced."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementSubmittedForReview(AgreementEvent):
    """The author asked for internal review."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementApproved(AgreementEvent):
    """The internal reviewer approved the revision."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementReturned(AgreementEvent):
    """The internal reviewer sent the revision back to its author."""

    revision: int
    author_id: ActorId
    comments: str


@attrs.frozen(kw_only=True)
class AgreementOffered(AgreementEvent, CustomerFacing):
    """The approved revision was sent to the customer."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementConfirmed(AgreementEvent):
    """The customer confirmed the revision; it can never change again."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementDeclined(AgreementEvent):
    """The customer declined the offer."""

    revision: int
    reason: str


@attrs.frozen(kw_only=True)
class AgreementChangeRequested(AgreementEvent):
    """The customer asked for changes; a new draft revision was opened."""

    revision: int
    new_revision: int
    comments: str


@attrs.frozen(kw_only=True)
class AgreementActivated(AgreementEvent):
    """The confirmed agreement became active; work orders may be created."""


@attrs.frozen(kw_only=True)
class AgreementFulfilled(AgreementEvent):
    """Everything agreed was delivered and accepted."""


@attrs.frozen(kw_only=True)
class AgreementTerminated(AgreementEvent):
    """The agreement ended early."""

    reason: str


# --- work orders ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkOrderEvent(DomainEvent):
    """Base of the events raised by a work order."""

    aggregate_type: ClassVar[str] = "WorkOrder"


@attrs.frozen(kw_only=True)
class WorkOrderCreated(WorkOrderEvent):
    """A work order was created and assigned."""

    assignees: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class WorkOrderReassigned(WorkOrderEvent):
    """The work order was given to other people."""

    assignees: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class WorkOrderStarted(WorkOrderEvent):
    """Execution began."""


@attrs.frozen(kw_only=True)
class StepCompleted(WorkOrderEvent):
    """A checklist step was done."""

    step_key: str


@attrs.frozen(kw_only=True)
class StepSkipped(WorkOrderEvent):
    """An optional checklist step was skipped, with a reason."""

    step_key: str
    reason: str


@attrs.frozen(kw_only=True)
class WorkOrderHeld(WorkOrderEvent):
    """An exception paused the work order."""

    reason: str
    description: str


@attrs.frozen(kw_only=True)
class HoldReportedToSupervisor(WorkOrderEvent):
    """The exception was reported to a supervisor."""

    supervisor_id: ActorId


@attrs.frozen(kw_only=True)
class HoldCoordinated(WorkOrderEvent):
    """The supervisor coordinated a way forward."""

    plan: str


@attrs.frozen(kw_only=True)
class CustomerInformedOfHold(WorkOrderEvent):
    """The customer was told about the exception and the plan."""


@attrs.frozen(kw_only=True)
class WorkOrderResumed(WorkOrderEvent):
    """Execution continued after an exception."""


@attrs.frozen(kw_only=True)
class WorkOrderCompleted(WorkOrderEvent):
    """All required steps done and signed off on site."""

    signed_by: str


@attrs.frozen(kw_only=True)
class WorkOrderCancelled(WorkOrderEvent):
    """The work order was cancelled."""

    reason: str


# --- acceptance -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AcceptanceEvent(DomainEvent):
    """Base of the events raised by an acceptance."""

    aggregate_type: ClassVar[str] = "Acceptance"


@attrs.frozen(kw_only=True)
class AcceptanceOpened(AcceptanceEvent):
    """Acceptance was opened for an agreement."""

    agreement_id: str


@attrs.frozen(kw_only=True)
class InspectionRecorded(AcceptanceEvent):
    """An inspection round was recorded."""

    round: int
    passed: bool


@attrs.frozen(kw_only=True)
class RectificationOrdered(AcceptanceEvent):
    """Failed criteria must be rectified by ``deadline``."""

    round: int
    responsible_party: str
    deadline: datetime
    failed_criteria: tuple[str, ...]


@attrs.frozen(kw_only=True)
class RectificationCompleted(AcceptanceEvent):
    """The responsible party reported the failed points rectified."""

    round: int


@attrs.frozen(kw_only=True)
class AcceptanceSigned(AcceptanceEvent):
    """All required criteria passed and the acceptance report was signed."""

    round: int
    signed_by: str


# --- complaints -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ComplaintEvent(DomainEvent):
    """Base of the events raised by a complaint."""

    aggregate_type: ClassVar[str] = "Complaint"


@attrs.frozen(kw_only=True)
class ComplaintReceived(ComplaintEvent, CustomerFacing):
    """A complaint was recorded."""

    channel: str
    category: str
    severity: str


@attrs.frozen(kw_only=True)
class ComplaintAcknowledged(ComplaintEvent, CustomerFacing):
    """The complainant was told the complaint is being handled."""


@attrs.frozen(kw_only=True)
class ComplaintInvestigationStarted(ComplaintEvent):
    """Someone began investigating the complaint."""

    investigator_id: ActorId


@attrs.frozen(kw_only=True)
class ComplaintEvidenceAdded(ComplaintEvent):
    """The complaint's investigator recorded an evidence item."""

    evidence_number: int
    evidence_kind: str


@attrs.frozen(kw_only=True)
class ComplaintResolved(ComplaintEvent, CustomerFacing):
    """The complaint was resolved and the customer was sent a reply."""

    remedies: tuple[str, ...]
    outcome: str
    """The :class:`~servicecore.domain.complaint.ComplaintOutcome` value, e.g. ``"charge_maintained"``."""


@attrs.frozen(kw_only=True)
class ComplaintReopened(ComplaintEvent):
    """The customer reopened a resolved complaint; it is back under investigation."""

    reopen_count: int
    investigator_id: ActorId


@attrs.frozen(kw_only=True)
class ComplaintClosed(ComplaintEvent, CustomerFacing):
    """The complaint was closed: confirmed by the customer, or after the silence period."""

    how: str


@attrs.frozen(kw_only=True)
class ComplaintWithdrawn(ComplaintEvent):
    """The complainant withdrew the complaint."""

    reason: str


# --- violations -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ViolationEvent(DomainEvent):
    """Base of the events raised by a violation."""

    aggregate_type: ClassVar[str] = "Violation"


@attrs.frozen(kw_only=True)
class ViolationReported(ViolationEvent):
    """A staff member was reported for a violation."""

    subject_id: ActorId
    category: str
    source_kind: str


@attrs.frozen(kw_only=True)
class ViolationInvestigatorsAssigned(ViolationEvent):
    """Investigators were added to the case."""

    investigator_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class ViolationEvidenceAdded(ViolationEvent):
    """An evidence item was recorded."""

    evidence_number: int
    evidence_kind: str


@attrs.frozen(kw_only=True)
class ViolationDetermined(ViolationEvent):
    """Responsibility was determined; ``responsible_ids`` bear primary or secondary responsibility."""

    responsible_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class ViolationDismissed(ViolationEvent):
    """Nobody was found responsible; the case ends."""


@attrs.frozen(kw_only=True)
class ViolationDecided(ViolationEvent):
    """A decision (sanctions, compensation) was made; ``addressee_ids`` may appeal until the deadline."""

    decision_number: int
    addressee_ids: tuple[ActorId, ...]
    appeal_deadline: datetime | None


@attrs.frozen(kw_only=True)
class ViolationPublished(ViolationEvent):
    """The current decision was published internally."""

    decision_number: int


@attrs.frozen(kw_only=True)
class ViolationAppealConcluded(ViolationEvent):
    """An appeal against the decision ended; if ``upheld``, decision ``decision_number`` corrects it."""

    appeal_id: str
    upheld: bool
    decision_number: int


@attrs.frozen(kw_only=True)
class ViolationFinalized(ViolationEvent):
    """The decision became final; only a new, linked case can revisit it."""

    decision_number: int


# --- appeals ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AppealEvent(DomainEvent):
    """Base of the events raised by an appeal."""

    aggregate_type: ClassVar[str] = "Appeal"


@attrs.frozen(kw_only=True)
class AppealFiled(AppealEvent):
    """A sanctioned staff member appealed a decision."""

    violation_id: str
    decision_number: int
    appellant_id: ActorId


@attrs.frozen(kw_only=True)
class AppealReviewStarted(AppealEvent):
    """A panel began reviewing the appeal."""

    panel_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class AppealUpheld(AppealEvent):
    """The panel upheld the appeal; the decision is corrected (``revoked``: nothing of it remains)."""

    violation_id: str
    revoked: bool


@attrs.frozen(kw_only=True)
class AppealRejected(AppealEvent):
    """The panel rejected the appeal; the decision is maintained."""

    violation_id: str


@attrs.frozen(kw_only=True)
class AppealClosed(AppealEvent):
    """The appellant was notified of the outcome and the appeal closed."""

    appellant_id: ActorId
    upheld: bool


# --- service levels -------------------------------------------------------


@attrs.frozen(kw_only=True)
class SlaCheckpointReached(DomainEvent):
    """An SLA scan found a clock past a checkpoint: its warning, its breach or an escalation level.

    Raised on any kind of case, so it names the case's kind in ``case_type``
    (its ``aggregate_type`` stays empty). ``recipients`` are the notification
    addresses resolved from the policy's role names.
    """

    case_type: str
    clock: str
    kind: str
    level: str
    due_at: datetime
    reached_at: datetime
    recipients: tuple[str, ...]


__all__ = [
    "AcceptanceEvent",
    "AcceptanceOpened",
    "AcceptanceSigned",
    "AgreementActivated",
    "AgreementApproved",
    "AgreementChangeRequested",
    "AgreementConfirmed",
    "AgreementDeclined",
    "AgreementDrafted",
    "AgreementEvent",
    "AgreementFulfilled",
    "AgreementOffered",
    "AgreementReturned",
    "AgreementRevised",
    "AgreementSubmittedForReview",
    "AgreementTerminated",
    "AppealClosed",
    "AppealEvent",
    "AppealFiled",
    "AppealRejected",
    "AppealReviewStarted",
    "AppealUpheld",
    "ComplaintAcknowledged",
    "ComplaintClosed",
    "ComplaintEvent",
    "ComplaintEvidenceAdded",
    "ComplaintInvestigationStarted",
    "ComplaintReceived",
    "ComplaintReopened",
    "ComplaintResolved",
    "ComplaintWithdrawn",
    "CustomerFacing",
    "CustomerInformedOfHold",
    "DomainEvent",
    "HoldCoordinated",
    "HoldReportedToSupervisor",
    "InspectionRecorded",
    "RectificationCompleted",
    "RectificationOrdered",
    "RequestAcknowledged",
    "RequestAgreed",
    "RequestAssessed",
    "RequestCancelled",
    "RequestClosed",
    "RequestCompleted",
    "RequestDeclined",
    "RequestEvent",
    "RequestReceived",
    "RequestServiceStarted",
    "RequestWithdrawn",
    "SlaCheckpointReached",
    "StepCompleted",
    "StepSkipped",
    "ViolationAppealConcluded",
    "ViolationDecided",
    "ViolationDetermined",
    "ViolationDismissed",
    "ViolationEvent",
    "ViolationEvidenceAdded",
    "ViolationFinalized",
    "ViolationInvestigatorsAssigned",
    "ViolationPublished",
    "ViolationReported",
    "WorkOrderCancelled",
    "WorkOrderCompleted",
    "WorkOrderCreated",
    "WorkOrderEvent",
    "WorkOrderHeld",
    "WorkOrderReassigned",
    "WorkOrderResumed",
    "WorkOrderStarted",
]
