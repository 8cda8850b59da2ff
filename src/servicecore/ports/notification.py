"""The notification port: how messages leave the system.

Commands never call a notifier directly. They write :class:`Notification`
records to the outbox in the same unit of work as the state change; a dispatcher
later hands them to a :class:`Notifier`. A notifier failure therefore never
loses or undoes a state change.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from servicecore.domain.values import MAX_TEXT_LENGTH, aware, check_text, non_empty, optional_aware


def _subject(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    # a subject may quote a caller's free text (a hold's description) after its own words
    check_text(attribute.name, value, max_length=2 * MAX_TEXT_LENGTH)


@attrs.frozen(kw_only=True)
class Notification:
    """A message about something that happened, for named recipients.

    ``recipients`` are addresses in the form ``"customer:<id>"``, ``"actor:<id>"``,
    ``"role:<name>"`` or ``"party:<name>"`` (a party named in a case, such as the one
    responsible for a rectification); the notifier resolves them to mail, SMS, chat...
    """

    id: str = attrs.field(validator=non_empty)
    event: str = attrs.field(validator=non_empty)
    aggregate_type: str = attrs.field(validator=non_empty)
    aggregate_id: str = attrs.field(validator=non_empty)
    recipients: tuple[str, ...]
    subject: str = attrs.field(validator=_subject)
    body: str = ""
    created_at: datetime = attrs.field(validator=aware)


class DeliveryStatus(enum.StrEnum):
    """Where an outbox message stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """A notification waiting in (or delivered from) the outbox, with its delivery record.

    ``attempts`` counts delivery attempts, successful or not; ``last_attempt_at``
    and ``last_error`` describe the latest one. A pending message is due again
    from ``next_attempt_at`` (``None``: as soon as it is queued). A message whose
    status is ``failed`` was given up on (parked) and is never attempted again.
    ``claimed_until`` is set while a dispatcher is sending it: the message is not
    due before then, so no other dispatcher sends it meanwhile, and a claim whose
    dispatcher died simply runs out.
    """

    notification: Notification
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str = ""
    delivered_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    last_attempt_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    next_attempt_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    claimed_until: datetime | None = attrs.field(default=None, validator=optional_aware)

    def due_from(self) -> datetime:
        """The instant from which a pending message may be attempted (not before a dispatcher's claim ends)."""
        due = self.next_attempt_at or self.notification.created_at
        return due if self.claimed_until is None or self.claimed_until <= due else self.claimed_until

    def claimed(self, *, until: datetime | None) -> OutboxMessage:
        """The record while a dispatcher holds the message until ``until`` (``None``: released, as before)."""
        return attrs.evolve(self, claimed_until=until)

    def delivered(self, *, at: datetime) -> OutboxMessage:
        """The record after a successful attempt at ``at``."""
        return attrs.evolve(
            self,
            status=DeliveryStatus.DELIVERED,
            attempts=self.attempts + 1,
            delivered_at=at,
            last_attempt_at=at,
            last_error="",
            next_attempt_at=None,
            claimed_until=None,
        )

    def failed(
        self, *, at: datetime, error: str, final: bool = False, retry_at: datetime | None = None
    ) -> OutboxMessage:
        """The record after a failed attempt at ``at``: pending again from ``retry_at``, or given up if ``final``."""
        return attrs.evolve(
            self,
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            attempts=self.attempts + 1,
            last_error=error,
            last_attempt_at=at,
            next_attempt_at=None if final else retry_at,
            claimed_until=None,
        )


@runtime_checkable
class Notifier(Protocol):
    """Delivers one notification. Raise any exception to signal failure; it is recorded.

    The dispatcher calls :meth:`send` on a worker thread and waits at most its
    retry policy's ``timeout``; a call that has not returned by then counts as a
    failed attempt (the thread is left to finish on its own, so keep the
    notifier's own network timeouts below that). Anything other than ``None``
    returned is a failed attempt too: an ``async def send`` returns a coroutine
    that would never run.
    """

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` to its recipients; return ``None``, or raise."""
        ...
