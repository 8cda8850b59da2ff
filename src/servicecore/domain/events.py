"""Domain events: facts, named in the past tense, raised by aggregate methods.

The application layer turns them into notifications written to the outbox in
the same unit of work as the state change. Every event carries the aggregate id,
when it happened and who did it; subclasses add what a listener needs.
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
    """Class name of the aggregate that raises this event."""

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
class RequestReceived(CustomerFacing):
    """A service request was recorded."""

    channel: str
    priority: str


@attrs.frozen(kw_only=True)
class RequestAcknowledged(CustomerFacing):
    """The customer got a first response."""


@attrs.frozen(kw_only=True)
class RequestAssessed(DomainEvent):
    """Needs analysis finished; ``feasible`` records the verdict."""

    feasible: bool


@attrs.frozen(kw_only=True)
class RequestDeclined(CustomerFacing):
    """The provider declined the request."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestWithdrawn(DomainEvent):
    """The customer withdrew the request."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestCancelled(CustomerFacing):
    """The service stopped after it was agreed."""

    reason: str


@attrs.frozen(kw_only=True)
class RequestAgreed(DomainEvent):
    """A service agreement for the request was confirmed by the customer."""

    agreement_id: str


@attrs.frozen(kw_only=True)
class RequestServiceStarted(DomainEvent):
    """Work on the request began (a work order exists)."""

    work_order_id: str


@attrs.frozen(kw_only=True)
class RequestCompleted(CustomerFacing):
    """The service was accepted; the request is complete."""


@attrs.frozen(kw_only=True)
class RequestClosed(DomainEvent):
    """The request was closed; nothing further happens on it."""


# --- agreements -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AgreementDrafted(DomainEvent):
    """A proposal (revision 1) was drafted for a request."""

    request_id: str


@attrs.frozen(kw_only=True)
class AgreementRevised(DomainEvent):
    """The current draft revision's content was replaced."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementSubmittedForReview(DomainEvent):
    """The author asked for internal review."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementApproved(DomainEvent):
    """The internal reviewer approved the revision."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementReturned(DomainEvent):
    """The internal reviewer sent the revision back to its author."""

    revision: int
    author_id: ActorId
    comments: str


@attrs.frozen(kw_only=True)
class AgreementOffered(CustomerFacing):
    """The approved revision was sent to the customer."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementConfirmed(DomainEvent):
    """The customer confirmed the revision; it can never change again."""

    revision: int


@attrs.frozen(kw_only=True)
class AgreementDeclined(DomainEvent):
    """The customer declined the offer."""

    revision: int
    reason: str


@attrs.frozen(kw_only=True)
class AgreementChangeRequested(DomainEvent):
    """The customer asked for changes; a new draft revision was opened."""

    revision: int
    new_revision: int
    comments: str


@attrs.frozen(kw_only=True)
class AgreementActivated(DomainEvent):
    """The confirmed agreement became active; work orders may be created."""


@attrs.frozen(kw_only=True)
class AgreementFulfilled(DomainEvent):
    """Everything agreed was delivered and accepted."""


@attrs.frozen(kw_only=True)
class AgreementTerminated(DomainEvent):
    """The agreement ended early."""

    reason: str


# --- work orders ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkOrderCreated(DomainEvent):
    """A work order was created and assigned."""

    assignees: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class WorkOrderReassigned(DomainEvent):
    """The work order was given to other people."""

    assignees: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class WorkOrderStarted(DomainEvent):
    """Execution began."""


@attrs.frozen(kw_only=True)
class StepCompleted(DomainEvent):
    """A checklist step was done."""

    step_key: str


@attrs.frozen(kw_only=True)
class StepSkipped(DomainEvent):
    """An optional checklist step was skipped, with a reason."""

    step_key: str
    reason: str


@attrs.frozen(kw_only=True)
class WorkOrderHeld(DomainEvent):
    """An exception paused the work order."""

    reason: str
    description: str


@attrs.frozen(kw_only=True)
class HoldReportedToSupervisor(DomainEvent):
    """The exception was reported to a supervisor."""

    supervisor_id: ActorId


@attrs.frozen(kw_only=True)
class HoldCoordinated(DomainEvent):
    """The supervisor coordinated a way forward."""

    plan: str


@attrs.frozen(kw_only=True)
class CustomerInformedOfHold(DomainEvent):
    """The customer was told about the exception and the plan."""


@attrs.frozen(kw_only=True)
class WorkOrderResumed(DomainEvent):
    """Execution continued after an exception."""


@attrs.frozen(kw_only=True)
class WorkOrderCompleted(DomainEvent):
    """All required steps done and signed off on site."""

    signed_by: str


@attrs.frozen(kw_only=True)
class WorkOrderCancelled(DomainEvent):
    """The work order was cancelled."""

    reason: str


# --- acceptance -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AcceptanceOpened(DomainEvent):
    """Acceptance was opened for an agreement."""

    agreement_id: str


@attrs.frozen(kw_only=True)
class InspectionRecorded(DomainEvent):
    """An inspection round was recorded."""

    round: int
    passed: bool


@attrs.frozen(kw_only=True)
class RectificationOrdered(DomainEvent):
    """Failed criteria must be rectified by ``deadline``."""

    round: int
    responsible_party: str
    deadline: datetime
    failed_criteria: tuple[str, ...]


@attrs.frozen(kw_only=True)
class RectificationCompleted(DomainEvent):
    """The responsible party reported the failed points rectified."""

    round: int


@attrs.frozen(kw_only=True)
class AcceptanceSigned(DomainEvent):
    """All required criteria passed and the acceptance report was signed."""

    round: int
    signed_by: str


# --- complaints -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ComplaintReceived(CustomerFacing):
    """A complaint was recorded."""

    channel: str
    category: str
    severity: str


@attrs.frozen(kw_only=True)
class ComplaintAcknowledged(CustomerFacing):
    """The complainant was told the complaint is being handled."""


@attrs.frozen(kw_only=True)
class ComplaintInvestigationStarted(DomainEvent):
    """Someone began investigating the complaint."""

    investigator_id: ActorId


@attrs.frozen(kw_only=True)
class ComplaintEvidenceAdded(DomainEvent):
    """The complaint's investigator recorded an evidence item."""

    evidence_number: int
    evidence_kind: str


@attrs.frozen(kw_only=True)
class ComplaintResolved(CustomerFacing):
    """The complaint was resolved and the customer was sent a reply."""

    remedies: tuple[str, ...]
    outcome: str
    """The :class:`~servicecore.domain.complaint.ComplaintOutcome` value, e.g. ``"charge_maintained"``."""


@attrs.frozen(kw_only=True)
class ComplaintReopened(DomainEvent):
    """The customer reopened a resolved complaint; it is back under investigation."""

    reopen_count: int
    investigator_id: ActorId


@attrs.frozen(kw_only=True)
class ComplaintClosed(CustomerFacing):
    """The complaint was closed: confirmed by the customer, or after the silence period."""

    how: str


@attrs.frozen(kw_only=True)
class ComplaintWithdrawn(DomainEvent):
    """The complainant withdrew the complaint."""

    reason: str


# --- violations -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ViolationReported(DomainEvent):
    """A staff member was reported for a violation."""

    subject_id: ActorId
    category: str
    source_kind: str


@attrs.frozen(kw_only=True)
class ViolationInvestigatorsAssigned(DomainEvent):
    """Investigators were added to the case."""

    investigator_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class ViolationEvidenceAdded(DomainEvent):
    """An evidence item was recorded."""

    evidence_number: int
    evidence_kind: str


@attrs.frozen(kw_only=True)
class ViolationDetermined(DomainEvent):
    """Responsibility was determined; ``responsible_ids`` bear primary or secondary responsibility."""

    responsible_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class ViolationDismissed(DomainEvent):
    """Nobody was found responsible; the case ends."""


@attrs.frozen(kw_only=True)
class ViolationDecided(DomainEvent):
    """A decision (sanctions, compensation) was made; ``addressee_ids`` may appeal until the deadline."""

    decision_number: int
    addressee_ids: tuple[ActorId, ...]
    appeal_deadline: datetime | None


@attrs.frozen(kw_only=True)
class ViolationPublished(DomainEvent):
    """The current decision was published internally."""

    decision_number: int


@attrs.frozen(kw_only=True)
class ViolationAppealConcluded(DomainEvent):
    """An appeal against the decision ended; if ``upheld``, decision ``decision_number`` corrects it."""

    appeal_id: str
    upheld: bool
    decision_number: int


@attrs.frozen(kw_only=True)
class ViolationFinalized(DomainEvent):
    """The decision became final; only a new, linked case can revisit it."""

    decision_number: int


# --- appeals ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AppealFiled(DomainEvent):
    """A sanctioned staff member appealed a decision."""

    violation_id: str
    decision_number: int
    appellant_id: ActorId


@attrs.frozen(kw_only=True)
class AppealReviewStarted(DomainEvent):
    """A panel began reviewing the appeal."""

    panel_ids: tuple[ActorId, ...]


@attrs.frozen(kw_only=True)
class AppealUpheld(DomainEvent):
    """The panel upheld the appeal; the decision is corrected (``revoked``: nothing of it remains)."""

    violation_id: str
    revoked: bool


@attrs.frozen(kw_only=True)
class AppealRejected(DomainEvent):
    """The panel rejected the appeal; the decision is maintained."""

    violation_id: str


@attrs.frozen(kw_only=True)
class AppealClosed(DomainEvent):
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


_RAISED_BY: dict[str, tuple[type[DomainEvent], ...]] = {
    "ServiceRequest": (
        RequestReceived,
        RequestAcknowledged,
        RequestAssessed,
        RequestDeclined,
        RequestWithdrawn,
        RequestCancelled,
        RequestAgreed,
        RequestServiceStarted,
        RequestCompleted,
        RequestClosed,
    ),
    "ServiceAgreement": (
        AgreementDrafted,
        AgreementRevised,
        AgreementSubmittedForReview,
        AgreementApproved,
        AgreementReturned,
        AgreementOffered,
        AgreementConfirmed,
        AgreementDeclined,
        AgreementChangeRequested,
        AgreementActivated,
        AgreementFulfilled,
        AgreementTerminated,
    ),
    "WorkOrder": (
        WorkOrderCreated,
        WorkOrderReassigned,
        WorkOrderStarted,
        StepCompleted,
        StepSkipped,
        WorkOrderHeld,
        HoldReportedToSupervisor,
        HoldCoordinated,
        CustomerInformedOfHold,
        WorkOrderResumed,
        WorkOrderCompleted,
        WorkOrderCancelled,
    ),
    "Acceptance": (
        AcceptanceOpened,
        InspectionRecorded,
        RectificationOrdered,
        RectificationCompleted,
        AcceptanceSigned,
    ),
    "Complaint": (
        ComplaintReceived,
        ComplaintAcknowledged,
        ComplaintInvestigationStarted,
        ComplaintEvidenceAdded,
        ComplaintResolved,
        ComplaintReopened,
        ComplaintClosed,
        ComplaintWithdrawn,
    ),
    "Violation": (
        ViolationReported,
        ViolationInvestigatorsAssigned,
        ViolationEvidenceAdded,
        ViolationDetermined,
        ViolationDismissed,
        ViolationDecided,
        ViolationPublished,
        ViolationAppealConcluded,
        ViolationFinalized,
    ),
    "Appeal": (
        AppealFiled,
        AppealReviewStarted,
        AppealUpheld,
        AppealRejected,
        AppealClosed,
    ),
}
for _aggregate, _classes in _RAISED_BY.items():
    for _cls in _classes:
        _cls.aggregate_type = _aggregate


__all__ = [
    "AcceptanceOpened",
    "AcceptanceSigned",
    "AgreementActivated",
    "AgreementApproved",
    "AgreementChangeRequested",
    "AgreementConfirmed",
    "AgreementDeclined",
    "AgreementDrafted",
    "AgreementFulfilled",
    "AgreementOffered",
    "AgreementReturned",
    "AgreementRevised",
    "AgreementSubmittedForReview",
    "AgreementTerminated",
    "AppealClosed",
    "AppealFiled",
    "AppealRejected",
    "AppealReviewStarted",
    "AppealUpheld",
    "ComplaintAcknowledged",
    "ComplaintClosed",
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
    "ViolationEvidenceAdded",
    "ViolationFinalized",
    "ViolationInvestigatorsAssigned",
    "ViolationPublished",
    "ViolationReported",
    "WorkOrderCancelled",
    "WorkOrderCompleted",
    "WorkOrderCreated",
    "WorkOrderHeld",
    "WorkOrderReassigned",
    "WorkOrderResumed",
    "WorkOrderStarted",
]
