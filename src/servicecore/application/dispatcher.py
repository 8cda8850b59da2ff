"""The outbox dispatcher: delivers queued notifications through a notifier, at least once.

Commands write notifications to the outbox in the same transaction as the
state change (:class:`~servicecore.ServiceDesk` does it for every command). The
dispatcher then delivers them one message at a time, in three steps, so that
no transaction is open while the notifier works (on SQLite an open write
transaction would hold up every command):

1. **claim**, in a short transaction: take the next due message
   (:meth:`~servicecore.ports.storage.Outbox.claim_due`: ``SELECT ... FOR
   UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never take one
   message at the same time; on SQLite one dispatcher at a time) and mark it
   claimed until now + the retry policy's ``lease``
   (:meth:`~servicecore.ports.storage.Outbox.mark_claimed`). Until then it is
   not due for anybody else. A claim found expired (its dispatcher died before
   recording anything) is recorded as a failed attempt first;
2. **send**, with no transaction open: the notifier runs on a worker thread
   and gets the policy's ``timeout``; an exception of any kind, a return value
   other than ``None``, or no answer in time is a failed attempt, described
   safely (the exception's type name and a truncated message, even if its
   ``str()`` fails);
3. **record**, in a short transaction: delivered, or failed with the time of
   the next attempt after an exponential back-off, or parked (finally failed)
   once the policy's ``max_attempts`` are used up. A parked message is never
   attempted again and never holds up the others.

Delivery is at least once: if the process dies after the notifier accepted a
message but before the result was recorded, the message is sent again once the
claim runs out. A notifier failure only ever changes the outbox row; the state
change that produced the message was committed long before and stays.
``KeyboardInterrupt`` is not swallowed: the claim is released and the
interrupt raised.

>>> policy = RetryPolicy(max_attempts=4, first_delay=timedelta(seconds=30))
>>> [str(policy.delay_after(n)) for n in (1, 2, 3)]
['0:00:30', '0:01:00', '0:02:00']
>>> policy.gives_up_after(4)
True
>>> str(policy.timeout), str(policy.lease)
('0:00:30', '0:05:30')
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, timedelta
from typing import Any

import attrs

from servicecore.domain.errors import ConcurrencyError, ValidationError
from servicecore.domain.values import describe
from servicecore.ports.clock import Clock
from servicecore.ports.notification import DeliveryStatus, Notification, Notifier, OutboxMessage
from servicecore.ports.storage import StorageBackend, UnitOfWork

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
"""Longer error texts are cut to this many characters before they are stored."""


def _at_least(minimum: int) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValidationError(
                attribute.name, f"expected a whole number of at least {minimum}, got {describe(value)}"
            )

    return check


def _delay(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValidationError(attribute.name, f"expected a timedelta not below zero, got {describe(value)}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(attribute.name, f"expected a timedelta above zero, got {describe(value)}")


def _lease(instance: RetryPolicy, attribute: attrs.Attribute[Any], value: object) -> None:
    _positive(instance, attribute, value)
    if isinstance(value, timedelta) and value <= instance.timeout:
        raise ValidationError(attribute.name, f"must be longer than the timeout {instance.timeout}, got {value}")


def _factor(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise ValidationError(attribute.name, f"expected a number of at least 1, got {describe(value)}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often, and how soon, a failed delivery is tried again.

    After the *n*-th failed attempt the next one waits
    ``first_delay * factor ** (n - 1)``, at most ``max_delay``; after
    ``max_attempts`` attempts the message is parked: marked finally failed.

    ``timeout``: how long one notifier call may take before it counts as a
    failed attempt. ``lease``: how long a dispatcher's claim on a message lasts
    (default: ``timeout`` plus five minutes for recording the result); a
    dispatcher that dies while sending is replaced once it runs out, so it must
    be longer than ``timeout``.
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least(1))
    first_delay: timedelta = attrs.field(default=timedelta(seconds=30), validator=_delay)
    factor: float = attrs.field(default=2.0, validator=_factor)
    max_delay: timedelta = attrs.field(default=timedelta(hours=1), validator=_delay)
    timeout: timedelta = attrs.field(default=timedelta(seconds=30), validator=_positive)
    lease: timedelta = attrs.field(validator=_lease)

    @lease.default
    def _default_lease(self) -> timedelta:
        return self.timeout + timedelta(minutes=5) if isinstance(self.timeout, timedelta) else timedelta(0)

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


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def describe_error(exc: BaseException) -> str:
    """``"TypeName: message"`` for a stored error, cut to :data:`MAX_ERROR_LENGTH`; never raises, whatever
    the exception's ``str()`` does."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except Exception as broken:  # the notifier's exception class may be broken in any way
        text = f"(its message could not be read: str() raised {type(broken).__name__})"
    return _cut(f"{name}: {text[:MAX_ERROR_LENGTH]}" if text else name)


@attrs.frozen
class _Interrupted:
    """The notifier raised KeyboardInterrupt: release the claim, then raise ``interrupt`` in the caller's thread."""

    interrupt: BaseException


@attrs.frozen
class _TimedOut:
    text: str


_Job = tuple[Notification, list["str | _Interrupted | None"], threading.Event]


class _Sender:
    """Calls the notifier on a worker thread, waiting at most ``timeout``; one thread per dispatch run,
    replaced when a call hangs (the hung thread is a daemon and ends whenever the call returns)."""

    def __init__(self, notifier: Notifier, timeout: timedelta) -> None:
        self._send: Any = notifier.send  # typed to return None; what it really returns is checked
        self._seconds = timeout.total_seconds()
        self._jobs: queue.SimpleQueue[_Job | None] | None = None

    def send(self, notification: Notification) -> str | _Interrupted | _TimedOut | None:
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            worker = threading.Thread(target=self._work, args=(self._jobs,), name="servicecore-notify", daemon=True)
            worker.start()
        outcome: list[str | _Interrupted | None] = []
        done = threading.Event()
        self._jobs.put((notification, outcome, done))
        if not done.wait(self._seconds):
            self.close()  # that worker is stuck in the call: the next message gets a new one
            return _TimedOut(f"{self._seconds:g} s")
        return outcome[0]

    def close(self) -> None:
        if self._jobs is not None:
            self._jobs.put(None)
            self._jobs = None

    def _work(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            notification, outcome, done = job
            try:
                returned = self._send(notification)
            except KeyboardInterrupt as interrupt:
                outcome.append(_Interrupted(interrupt))
            except BaseException as exc:  # SystemExit and other BaseExceptions too: the run must go on
                outcome.append(describe_error(exc))
            else:
                outcome.append(
                    None
                    if returned is None
                    else f"UnexpectedReturn: the notifier returned a {type(returned).__name__}, not None"
                )
            finally:
                done.set()


@attrs.frozen
class _Claim:
    message: OutboxMessage
    until: datetime | None  # None: the claim found was stale and has been recorded as a failed attempt


class Dispatcher:
    """Delivers due outbox messages of ``storage`` through ``notifier``; see the module docs.

    Run :meth:`dispatch` for one batch, or :meth:`dispatch_all` until nothing
    is due; from a scheduler, a loop, or ``servicecore outbox dispatch``. The
    ``retry`` policy also sets the notifier's ``timeout`` and the claim's ``lease``.
    """

    def __init__(
        self,
        *,
        storage: StorageBackend,
        notifier: Notifier,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValidationError("retry", f"expected a RetryPolicy, got {type(retry).__name__}")
        if not callable(getattr(notifier, "send", None)):
            raise ValidationError("notifier", f"expected a Notifier with a send method, got {type(notifier).__name__}")
        self._storage = storage
        self._notifier = notifier
        self._clock = clock
        self._retry = retry or RetryPolicy()

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._retry

    def dispatch(self, *, limit: int = 100) -> DispatchResult:
        """Deliver up to ``limit`` due messages, each claimed, sent and recorded on its own (see the module docs)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", f"expected a whole number of at least 1, got {describe(limit)}")
        delivered = failed = 0
        sender = _Sender(self._notifier, self._retry.timeout)
        try:
            for _ in range(limit):
                claim = self._claim()
                if claim is None:
                    break
                if claim.until is None:
                    failed += 1
                    continue
                outcome = self._send(sender, claim)
                recorded = self._record(claim, outcome)
                if recorded is True:
                    delivered += 1
                elif recorded is False:
                    failed += 1
        finally:
            sender.close()
        return DispatchResult(delivered=delivered, failed=failed)

    def _claim(self) -> _Claim | None:
        with self._storage.unit_of_work() as uow:
            now = self._clock.now()
            claimed = uow.outbox.claim_due(at=now, limit=1)
            if not claimed:
                return None
            message = claimed[0]
            notification_id = message.notification.id
            if message.claimed_until is not None:  # due although claimed: the claim ran out
                error = (
                    f"Interrupted: a dispatcher claimed it until {message.claimed_until.isoformat()} "
                    "and stopped before recording a result"
                )
                self._mark_failed(uow, message, now, error)
                uow.commit()
                return _Claim(message, None)
            until = now + self._retry.lease
            uow.outbox.mark_claimed(notification_id, until=until)
            uow.commit()
            return _Claim(message, until)

    def _send(self, sender: _Sender, claim: _Claim) -> str | None:
        """Hand the message to the notifier: ``None`` if it was accepted, else why not."""
        notification = claim.message.notification
        try:
            result = sender.send(notification)
        except BaseException:  # KeyboardInterrupt while waiting
            self._release(claim)
            raise
        if isinstance(result, _Interrupted):
            self._release(claim)
            raise result.interrupt
        if isinstance(result, _TimedOut):
            logger.warning("notification %s: the notifier did not return within %s", notification.id, result.text)
            return f"TimeoutError: the notifier did not return within {result.text}"
        return result

    def _release(self, claim: _Claim) -> None:
        """Give the message back as it was (on the way out of an interrupt; a failure here must not hide it:
        the claim then simply runs out)."""
        try:
            with self._storage.unit_of_work() as uow:
                current = uow.outbox.get(claim.message.notification.id)
                if current.claimed_until == claim.until:
                    uow.outbox.mark_claimed(claim.message.notification.id, until=None)
                    uow.commit()
        except Exception:
            logger.exception("notification %s: could not release the claim", claim.message.notification.id)

    def _record(self, claim: _Claim, error: str | None) -> bool | None:
        """Record the attempt; ``None`` if the claim was lost meanwhile (another dispatcher records instead)."""
        notification = claim.message.notification
        try:
            with self._storage.unit_of_work() as uow:
                current = uow.outbox.get(notification.id)
                if current.status is not DeliveryStatus.PENDING or current.claimed_until != claim.until:
                    logger.warning("notification %s: the claim ran out while sending; not recorded", notification.id)
                    return None
                now = self._clock.now()
                if error is None:
                    uow.outbox.mark_delivered(notification.id, at=now)
                else:
                    self._mark_failed(uow, current, now, error)
                uow.commit()
        except ConcurrencyError:
            logger.warning("notification %s: taken over by another dispatcher; not recorded", notification.id)
            return None
        return error is None

    def _mark_failed(self, uow: UnitOfWork, message: OutboxMessage, now: datetime, error: str) -> None:
        notification: Notification = message.notification
        attempts = message.attempts + 1
        if self._retry.gives_up_after(attempts):
            logger.warning("parking notification %s after %d attempts: %s", notification.id, attempts, error)
            uow.outbox.mark_failed(notification.id, at=now, error=_cut(error), final=True)
        else:
            logger.info("notification %s: attempt %d failed: %s", notification.id, attempts, error)
            uow.outbox.mark_failed(
                notification.id, at=now, error=_cut(error), retry_at=now + self._retry.delay_after(attempts)
            )

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


__all__ = ["MAX_ERROR_LENGTH", "DispatchResult", "Dispatcher", "RetryPolicy", "describe_error"]
