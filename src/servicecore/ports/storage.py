"""The storage port: repositories per aggregate and a unit of work around them.

Contract every storage backend honours (the test kit in :mod:`servicecore.testing`
checks it):

* Nothing written through a unit of work is visible to anyone else before
  :meth:`UnitOfWork.commit`; leaving the ``with`` block without committing, or
  calling :meth:`UnitOfWork.rollback`, discards every change. Commit is atomic.
* Optimistic concurrency: an aggregate is stored with a ``version``. ``add``
  stores version 1. ``update`` takes an aggregate whose ``version`` is the one it
  was loaded with and stores ``version + 1``; if storage holds another version it
  raises :class:`~servicecore.ConcurrencyError` and changes nothing.
* Stored aggregates come back equal to what was written (with the new version
  and no pending events).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import Notification, OutboxMessage

T = TypeVar("T")


class Repository(Protocol[T]):
    """Loads and stores one kind of aggregate."""

    def get(self, id: str) -> T:
        """The aggregate with ``id``; raise :class:`~servicecore.NotFoundError` if absent."""
        ...

    def add(self, aggregate: T) -> None:
        """Store a new aggregate (its ``version`` must be 0); an existing id is a
        :class:`~servicecore.ConcurrencyError`."""
        ...

    def update(self, aggregate: T) -> None:
        """Store a changed aggregate loaded at ``aggregate.version``."""
        ...

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> Sequence[T]:
        """Aggregates ordered by id, optionally only those in ``status``, one page at a time."""
        ...


class Outbox(Protocol):
    """Notifications written with the state change that caused them."""

    def add(self, notification: Notification) -> None:
        """Queue a notification (inside the current unit of work)."""
        ...

    def pending(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages not yet delivered (nor finally failed), oldest first."""
        ...

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a successful delivery."""
        ...

    def mark_failed(self, notification_id: str, *, at: datetime, error: str, final: bool = False) -> None:
        """Record a failed attempt; ``final`` stops further attempts."""
        ...

    def get(self, notification_id: str) -> OutboxMessage:
        """One message by notification id; raise :class:`~servicecore.NotFoundError` if absent."""
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction over every repository and the outbox. Use as a context manager."""

    @property
    def requests(self) -> Repository[ServiceRequest]:
        """Service requests."""
        ...

    @property
    def agreements(self) -> Repository[ServiceAgreement]:
        """Service agreements."""
        ...

    @property
    def work_orders(self) -> Repository[WorkOrder]:
        """Work orders."""
        ...

    @property
    def acceptances(self) -> Repository[Acceptance]:
        """Acceptances."""
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
