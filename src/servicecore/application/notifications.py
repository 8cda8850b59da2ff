"""Which events become notifications, to whom, and with what subject.

:class:`DefaultNotificationPolicy` tells the customer about what concerns them,
the assignees about their work, reviewers and supervisors about what waits on
them; complaint investigators, violation investigators and addressees, the
appeal panel and the appellant about their cases; and whoever an SLA checkpoint
names. Pass your own :class:`NotificationPolicy` to the service desk to change it.

Staff notifications about a complaint never quote the complainant's free text
(description, reasons): notification channels are not where personal data belongs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from servicecore.domain import events as ev
from servicecore.domain.events import DomainEvent
from servicecore.ports.notification import Notification


class NotificationPolicy(Protocol):
    """Turns one domain event into zero or more notifications."""

    def notifications_for(
        self, event: DomainEvent, *, new_id: Callable[[], str], now: datetime
    ) -> Sequence[Notification]:
        """Notifications to queue for ``event``; ``new_id`` gives each its id."""
        ...


def customer(event: ev.CustomerFacing) -> str:
    """Recipient address of the customer an event concerns."""
    return f"customer:{event.customer_id}"


def actors(ids: Iterable[str]) -> tuple[str, ...]:
    """Recipient addresses of staff members, by id."""
    return tuple(f"actor:{i}" for i in ids)


_CLOSED_HOW = {"confirmed": "after you confirmed the resolution", "silence": "as we had no answer to our reply"}


def _sla_subject(event: ev.SlaCheckpointReached) -> str:
    what = event.level if event.level == event.kind else f"{event.kind} {event.level}"
    past = "was " if event.reached_at >= event.due_at else ""
    return f"SLA {what} on {event.case_type} {event.aggregate_id}: {event.clock} {past}due {event.due_at.isoformat()}"


def _subject_and_recipients(event: DomainEvent) -> tuple[str, tuple[str, ...]] | None:
    match event:
        case ev.RequestReceived():
            return f"We received your request {event.aggregate_id}", (customer(event),)
        case ev.RequestAcknowledged():
            return f"Your request {event.aggregate_id} is being handled", (customer(event),)
        case ev.RequestDeclined():
            return f"Your request {event.aggregate_id} was declined: {event.reason}", (customer(event),)
        case ev.RequestCancelled():
            return f"Service for your request {event.aggregate_id} was cancelled: {event.reason}", (customer(event),)
        case ev.RequestCompleted():
            return f"Your request {event.aggregate_id} is complete", (customer(event),)
        case ev.AgreementSubmittedForReview():
            return f"Agreement {event.aggregate_id} revision {event.revision} awaits review", ("role:reviewer",)
        case ev.AgreementReturned():
            return (
                f"Agreement {event.aggregate_id} revision {event.revision} was returned: {event.comments}",
                (f"actor:{event.author_id}",),
            )
        case ev.AgreementOffered():
            return f"Service proposal {event.aggregate_id} (revision {event.revision}) for your confirmation", (
                customer(event),
            )
        case ev.AgreementChangeRequested():
            return f"Customer asked for changes to agreement {event.aggregate_id}: {event.comments}", ("role:agent",)
        case ev.WorkOrderCreated() | ev.WorkOrderReassigned():
            return f"Work order {event.aggregate_id} assigned to you", tuple(f"actor:{a}" for a in event.assignees)
        case ev.WorkOrderHeld():
            return f"Work order {event.aggregate_id} on hold ({event.reason}): {event.description}", (
                "role:supervisor",
            )
        case ev.HoldReportedToSupervisor():
            return f"Exception on work order {event.aggregate_id} reported to you", (f"actor:{event.supervisor_id}",)
        case ev.RectificationOrdered():
            return (
                f"Rectification required on {event.aggregate_id} by {event.deadline.isoformat()}: "
                f"{', '.join(event.failed_criteria)}",
                ("role:supervisor",),
            )
        case ev.AcceptanceSigned():
            return f"Acceptance {event.aggregate_id} signed by {event.signed_by}", ("role:agent",)
        # --- complaints: the customer hears about progress, the investigator about work ---
        case ev.ComplaintReceived():
            return f"We received your complaint {event.aggregate_id}", (customer(event),)
        case ev.ComplaintAcknowledged():
            return f"Your complaint {event.aggregate_id} is being handled", (customer(event),)
        case ev.ComplaintResolved():
            remedies = f" (remedies: {', '.join(event.remedies)})" if event.remedies else ""
            return f"We replied to your complaint {event.aggregate_id}{remedies}", (customer(event),)
        case ev.ComplaintClosed():
            how = _CLOSED_HOW.get(event.how, event.how)
            return f"Your complaint {event.aggregate_id} is closed, {how}", (customer(event),)
        case ev.ComplaintInvestigationStarted():
            return f"Complaint {event.aggregate_id} assigned to you for investigation", actors([event.investigator_id])
        case ev.ComplaintReopened():
            return (
                f"Complaint {event.aggregate_id} was reopened by the customer (reopen no. {event.reopen_count}); "
                "please investigate again",
                actors([event.investigator_id]),
            )
        # --- violations ---
        case ev.ViolationReported():
            return (
                f"Violation {event.aggregate_id} reported ({event.category}, from {event.source_kind})",
                ("role:discipline_officer",),
            )
        case ev.ViolationInvestigatorsAssigned():
            return f"You are assigned to investigate violation {event.aggregate_id}", actors(event.investigator_ids)
        case ev.ViolationDecided():
            deadline = (
                f"you may appeal until {event.appeal_deadline.isoformat()}"
                if event.appeal_deadline is not None
                else "no appeal deadline was set"
            )
            return (
                f"Decision {event.decision_number} on violation {event.aggregate_id} concerns you; {deadline}",
                actors(event.addressee_ids),
            )
        # --- appeals ---
        case ev.AppealFiled():
            return (
                f"Appeal {event.aggregate_id} filed against decision {event.decision_number} "
                f"of violation {event.violation_id}",
                ("role:appeal_panel_member",),
            )
        case ev.AppealReviewStarted():
            return f"You sit on the review panel of appeal {event.aggregate_id}", actors(event.panel_ids)
        case ev.AppealClosed():
            outcome = "upheld" if event.upheld else "rejected"
            return f"Your appeal {event.aggregate_id} was {outcome}; it is now closed", actors([event.appellant_id])
        # --- service levels ---
        case ev.SlaCheckpointReached():
            return _sla_subject(event), event.recipients
    return None


def _aggregate_type(event: DomainEvent) -> str:
    # SLA checkpoints are raised on every kind of case and name it themselves.
    if isinstance(event, ev.SlaCheckpointReached):
        return event.case_type
    return event.aggregate_type


@attrs.frozen
class DefaultNotificationPolicy:
    """The built-in policy (see module docs)."""

    def notifications_for(
        self, event: DomainEvent, *, new_id: Callable[[], str], now: datetime
    ) -> Sequence[Notification]:
        """One notification for the events in the table, none for the rest (nor when nobody is to be told)."""
        found = _subject_and_recipients(event)
        if found is None or not found[1]:
            return ()
        subject, recipients = found
        return (
            Notification(
                id=new_id(),
                event=event.name,
                aggregate_type=_aggregate_type(event),
                aggregate_id=event.aggregate_id,
                recipients=recipients,
                subject=subject,
                body=f"{subject}\n\n{event.actor.name} at {event.occurred_at.isoformat()}",
                created_at=now,
            ),
        )


__all__ = ["DefaultNotificationPolicy", "NotificationPolicy"]
