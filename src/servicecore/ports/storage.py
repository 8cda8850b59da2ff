"""The storage port: repositories per aggregate kind and a unit of work around them.

Contract every storage backend honours (the test kit in
:mod:`servicecore.testing.storage_contract` checks it):

* Nothing written through a unit of work is visible to anyone else before
  :meth:`UnitOfWork.commit`; leaving the ``with`` block without committing, or
  calling :meth:`UnitOfWork.rollback`, discards every change. Commit is atomic.
  A unit of work sees its own uncommitted writes, in ``get`` and in every query.
* Optimistic concurrency: an aggregate is stored with a ``version``. ``add``
  stores version 1. ``update`` takes an aggregate whose ``version`` is the one it
  was loaded with and stores ``version + 1``; if storage holds another version it
  raises :class:`~servicecore.ConcurrencyError` and changes nothing.
* Stored aggregates come back equal to what was written (with the new version
  and no pending events).
* Queries (:meth:`Repository.list`, :meth:`Repository.due_for_sla`) filter on the
  :class:`~servicecore.storage_kinds.IndexFields` projection of each aggregate,
  computed with :func:`~servicecore.storage_kinds.index_fields` when it is
  written; a backend answers them with indexes, never by loading every row.

The registered aggregate kinds, their index projections and the checks of query
arguments live in :mod:`servicecore.storage_kinds`; this module holds the
protocols only. Every kind is reachable through :meth:`UnitOfWork.repository`
and through one typed property per kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import Notification, OutboxMessage
from servicecore.storage_kinds import ListQuery

T = TypeVar("T")


class Repository(Protocol[T]):
    """Loads, stores and queries one kind of aggregate."""

    def get(self, id: str) -> T:
        """The aggregate with ``id``; raise :class:`~servicecore.NotFoundError` if absent."""
        ...

    def add(self, aggregate: T) -> T:
        """Store a new aggregate (its ``version`` must be 0); an existing id is a
        :class:`~servicecore.ConcurrencyError`. Returns it as stored: version 1, no pending events."""
        ...

    def update(self, aggregate: T) -> T:
        """Store a changed aggregate loaded at ``aggregate.version``.

        Returns it as stored: the next version, no pending events (what :meth:`get` loads next).
        """
        ...

    def list(self, query: ListQuery | None = None) -> Sequence[T]:
        """One page of aggregates ordered by id, keeping those that match every filter of ``query``
        (``None``: the first page of all of them).

        Anything but a :class:`~servicecore.storage_kinds.ListQuery`, or a status
        this kind does not have, raises :class:`~servicecore.ValidationError`
        naming it.
        """
        ...

    def due_for_sla(self, *, at_or_before: datetime, limit: int = 100) -> Sequence[T]:
        """Aggregates whose ``sla_check_at`` is at or before the instant, ordered by
        (``sla_check_at`` instant, id), at most ``limit`` of them: the SLA scan."""
        ...


class Outbox(Protocol):
    """Notifications written with the state change that caused them, and their delivery record."""

    def add(self, notification: Notification) -> None:
        """Queue a notification (inside the current unit of work)."""
        ...

    def get(self, notification_id: str) -> OutboxMessage:
        """One message by notification id; raise :class:`~servicecore.NotFoundError` if absent."""
        ...

    def pending(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages not yet delivered (nor finally failed), oldest first by ``created_at`` instant, then id."""
        ...

    def due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages whose next attempt may happen at ``at``: ``next_attempt_at`` is unset
        or not later. Ordered by next attempt time (``created_at`` when unset), then ``created_at``, then id."""
        ...

    def claim_due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Like :meth:`due`, but the messages returned are held by this unit of work until it ends:
        no other unit of work's ``claim_due`` returns them meanwhile (it skips them, or waits).

        Dispatchers use this so that several of them never deliver one message
        at the same time.
        """
        ...

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a successful delivery attempt at ``at``."""
        ...

    def mark_failed(
        self,
        notification_id: str,
        *,
        at: datetime,
        error: str,
        final: bool = False,
        retry_at: datetime | None = None,
    ) -> None:
        """Record a failed attempt at ``at``; ``final`` stops further attempts, otherwise the
        message is due again from ``retry_at`` (immediately when ``None``)."""
        ...

    def mark_claimed(self, notification_id: str, *, until: datetime | None) -> None:
        """Record that a dispatcher holds the message until ``until``: it is not due before then
        (whatever its retry time), and no attempt is counted. ``until=None`` releases it as it was.

        Dispatchers claim a message in one short transaction, send it with no
        transaction open, and record the result in another, which clears the claim.
        """
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction over every repository and the outbox. Use as a context manager."""

    def repository(self, cls: type[T]) -> Repository[T]:
        """The repository of the registered aggregate kind ``cls``
        (see :data:`~servicecore.storage_kinds.AGGREGATE_KINDS`)."""
        ...

    @property
    def requests(self) -> Repository[ServiceRequest]:
        """Service requests (``repository(ServiceRequest)``)."""
        ...

    @property
    def agreements(self) -> Repository[ServiceAgreement]:
        """Service agreements (``repository(ServiceAgreement)``)."""
        ...

    @property
    def work_orders(self) -> Repository[WorkOrder]:
        """Work orders (``repository(WorkOrder)``)."""
        ...

    @property
    def acceptances(self) -> Repository[Acceptance]:
        """Acceptances (``repository(Acceptance)``)."""
        ...

    @property
    def complaints(self) -> Repository[Complaint]:
        """Complaints (``repository(Complaint)``)."""
        ...

    @property
    def violations(self) -> Repository[Violation]:
        """Violations (``repository(Violation)``)."""
        ...

    @property
    def appeals(self) -> Repository[Appeal]:
        """Appeals (``repository(Appeal)``)."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The transactional outbox."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make every change of this unit of work durable and visible, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every uncommitted change."""
        ...


@runtime_checkable
class StorageBackend(Protocol):
    """A configured store that hands out units of work."""

    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work (not yet entered)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


__all__ = [
    "Outbox",
    "Repository",
    "StorageBackend",
    "UnitOfWork",
]
