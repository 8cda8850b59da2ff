"""Which events become notifications, to whom, and with what subject.

:class:`DefaultNotificationPolicy` tells the customer about what concerns them,
the assignees about their work, reviewers and supervisors about what waits on
them. Pass your own :class:`NotificationPolicy` to the service desk to change it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    return None


@attrs.frozen
class DefaultNotificationPolicy:
    """The built-in policy (see module docs)."""

    def notifications_for(
        self, event: DomainEvent, *, new_id: Callable[[], str], now: datetime
    ) -> Sequence[Notification]:
        """One notification for the events in the table, none for the rest."""
        found = _subject_and_recipients(event)
        if found is None:
            return ()
        subject, recipients = found
        return (
            Notification(
                id=new_id(),
                event=event.name,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                recipients=recipients,
                subject=subject,
                body=f"{subject}\n\n{event.actor.name} at {event.occurred_at.isoformat()}",
                created_at=now,
            ),
        )


__all__ = ["DefaultNotificationPolicy", "NotificationPolicy"]
