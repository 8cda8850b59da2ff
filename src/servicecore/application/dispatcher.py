"""The outbox dispatcher: delivers queued notifications through a notifier, at least once.

Commands write notifications to the outbox in the same transaction as the
state change (:class:`~servicecore.ServiceDesk` does it for every command). The
dispatcher then, in one unit of work per message (so a slow notifier holds a
lock for one delivery at most — on SQLite that lock is the database's write
lock, which commands wait for):

1. claims the messages that are due (:meth:`~servicecore.ports.storage.Outbox.claim_due`:
   ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatcher
   processes never deliver one message at the same time; on SQLite claims are
   taken one dispatcher at a time);
2. hands each one to the notifier;
3. records the attempt: delivered, or failed with the error and the time of
   the next attempt after an exponential back-off, or finally failed once the
   retry policy gives up;
4. commits.

Delivery is at least once: if the process dies after the notifier accepted a
message but before the commit, the message is delivered again later. A
notifier failure only ever changes the outbox row; the state change that
produced the message was committed long before and stays.

>>> policy = RetryPolicy(max_attempts=4, first_delay=timedelta(seconds=30))
>>> [str(policy.delay_after(n)) for n in (1, 2, 3)]
['0:00:30', '0:01:00', '0:02:00']
>>> policy.gives_up_after(4)
True
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import attrs

from servicecore.domain.errors import ValidationError
from servicecore.ports.clock import Clock
from servicecore.ports.notification import Notifier, OutboxMessage
from servicecore.ports.storage import StorageBackend, UnitOfWork

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
"""Longer error texts are cut to this many characters before they are stored."""


def _at_least(minimum: int) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValidationError(attribute.name, f"expected a whole number of at least {minimum}, got {value!r}")

    return check


def _delay(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValidationError(attribute.name, f"expected a timedelta not below zero, got {value!r}")


def _factor(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise ValidationError(attribute.name, f"expected a number of at least 1, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often, and how soon, a failed delivery is tried again.

    After the *n*-th failed attempt the next one waits
    ``first_delay * factor ** (n - 1)``, at most ``max_delay``; after
    ``max_attempts`` attempts the message is marked finally failed.
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least(1))
    first_delay: timedelta = attrs.field(default=timedelta(seconds=30), validator=_delay)
    factor: float = attrs.field(default=2.0, validator=_factor)
    max_delay: timedelta = attrs.field(default=timedelta(hours=1), validator=_delay)

    def delay_after(self, attempts: int) -> timedelta:
        """The wait before the next attempt, after ``attempts`` failed ones."""
        seconds = self.first_delay.total_seconds() * self.factor ** max(attempts - 1, 0)
        return min(timedelta(seconds=min(seconds, self.max_delay.total_seconds())), self.max_delay)

    def gives_up_after(self, attempts: int) -> bool:
        """True once ``attempts`` attempts have failed and no more are allowed."""
        return attempts >= self.max_attempts


@attrs.frozen
class DispatchResult:
    """What one dispatch run did: messages delivered, and failed attempts (retried later or given up)."""

    delivered: int
    failed: int

    def __add__(self, other: DispatchResult) -> DispatchResult:
        return DispatchResult(self.delivered + other.delivered, self.failed + other.failed)


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class Dispatcher:
    """Delivers due outbox messages of ``storage`` through ``notifier``; see the module docs.

    Run :meth:`dispatch` for one batch, or :meth:`dispatch_all` until nothing
    is due; from a scheduler, a loop, or ``servicecore outbox dispatch``.
    """

    def __init__(
        self,
        *,
        storage: StorageBackend,
        notifier: Notifier,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._storage = storage
        self._notifier = notifier
        self._clock = clock
        self._retry = retry or RetryPolicy()

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._retry

    def dispatch(self, *, limit: int = 100) -> DispatchResult:
        """Deliver up to ``limit`` due messages, each claimed, sent and recorded in its own transaction."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", f"expected a whole number of at least 1, got {limit!r}")
        delivered = failed = 0
        for _ in range(limit):
            with self._storage.unit_of_work() as uow:
                claimed = uow.outbox.claim_due(at=self._clock.now(), limit=1)
                if not claimed:
                    break
                if self._deliver(uow, claimed[0]):
                    delivered += 1
                else:
                    failed += 1
                uow.commit()
        return DispatchResult(delivered=delivered, failed=failed)

    def _deliver(self, uow: UnitOfWork, message: OutboxMessage) -> bool:
        notification = message.notification
        try:
            self._notifier.send(notification)
        except Exception as exc:  # any notifier failure is recorded, never raised
            attempts = message.attempts + 1
            now = self._clock.now()
            if self._retry.gives_up_after(attempts):
                logger.warning("giving up on notification %s after %d attempts: %s", notification.id, attempts, exc)
                uow.outbox.mark_failed(notification.id, at=now, error=_error_text(exc), final=True)
            else:
                uow.outbox.mark_failed(
                    notification.id, at=now, error=_error_text(exc), retry_at=now + self._retry.delay_after(attempts)
                )
            return False
        uow.outbox.mark_delivered(notification.id, at=self._clock.now())
        return True

    def dispatch_all(self, *, batch_size: int = 100, max_batches: int | None = None) -> DispatchResult:
        """Run batches until one finds fewer than ``batch_size`` due messages (or ``max_batches`` ran)."""
        total = DispatchResult(0, 0)
        batches = 0
        while max_batches is None or batches < max_batches:
            result = self.dispatch(limit=batch_size)
            total += result
            batches += 1
            if result.delivered + result.failed < batch_size:
                break
        return total


__all__ = ["MAX_ERROR_LENGTH", "DispatchResult", "Dispatcher", "RetryPolicy"]
