"""In-memory storage: honours the full storage contract, keeps nothing after exit.

Aggregates are immutable, so the store keeps the objects themselves. A unit of
work stages its writes privately; :meth:`MemoryUnitOfWork.commit` re-checks
every version under one lock and then applies all writes, so a commit is atomic
and a stale write changes nothing. Thread-safe; not shared between processes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import attrs

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.errors import ConcurrencyError, ConfigurationError, NotFoundError, ServiceCoreError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage

A = TypeVar("A", ServiceRequest, ServiceAgreement, WorkOrder, Acceptance)


class MemoryStorage:
    """The shared store behind every :class:`MemoryUnitOfWork`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, dict[str, Any]] = {
            "ServiceRequest": {},
            "ServiceAgreement": {},
            "WorkOrder": {},
            "Acceptance": {},
        }
        self._outbox: dict[str, OutboxMessage] = {}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MemoryStorage:
        """Factory for the plugin system; the memory backend takes no options."""
        if options:
            raise ConfigurationError(f"the memory storage takes no options, got {sorted(options)}")
        return cls()

    def unit_of_work(self) -> MemoryUnitOfWork:
        """A new unit of work over this store."""
        return MemoryUnitOfWork(self)

    def close(self) -> None:
        """Nothing to release."""


class MemoryRepository(Generic[A]):
    """Repository over one table, staging writes in its unit of work."""

    def __init__(self, uow: MemoryUnitOfWork, kind: str) -> None:
        self._uow = uow
        self._kind = kind
        self._staged: dict[str, tuple[int, A]] = {}  # id -> (expected stored version, new value)

    def _committed(self) -> dict[str, A]:
        table: dict[str, A] = self._uow.storage._tables[self._kind]
        return table

    def get(self, id: str) -> A:
        """The aggregate as this unit of work sees it."""
        self._uow._check_open()
        if id in self._staged:
            return self._staged[id][1]
        found = self._committed().get(id)
        if found is None:
            raise NotFoundError(self._kind, id)
        return found

    def add(self, aggregate: A) -> None:
        """Stage a new aggregate; stored as version 1."""
        self._uow._check_open()
        if aggregate.version != 0:
            raise ConcurrencyError(self._kind, aggregate.id, 0, aggregate.version)
        existing = self._staged.get(aggregate.id, (None, None))[1] or self._committed().get(aggregate.id)
        if existing is not None:
            raise ConcurrencyError(self._kind, aggregate.id, 0, existing.version)
        self._staged[aggregate.id] = (0, attrs.evolve(aggregate, version=1, events=()))

    def update(self, aggregate: A) -> None:
        """Stage a change to an aggregate loaded at ``aggregate.version``."""
        self._uow._check_open()
        current = self.get(aggregate.id) if self._exists(aggregate.id) else None
        if current is None or current.version != aggregate.version:
            raise ConcurrencyError(
                self._kind, aggregate.id, aggregate.version, None if current is None else current.version
            )
        expected = self._staged[aggregate.id][0] if aggregate.id in self._staged else aggregate.version
        self._staged[aggregate.id] = (expected, attrs.evolve(aggregate, version=aggregate.version + 1, events=()))

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> Sequence[A]:
        """A page of aggregates ordered by id, optionally filtered by status."""
        self._uow._check_open()
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        merged = dict(self._committed())
        merged.update({key: value for key, (_, value) in self._staged.items()})
        rows = [merged[key] for key in sorted(merged)]
        if status is not None:
            rows = [row for row in rows if row.status.value == status]
        return rows[offset : offset + limit]

    def _exists(self, id: str) -> bool:
        return id in self._staged or id in self._committed()

    def _verify(self) -> None:
        committed = self._committed()
        for id, (expected, _) in self._staged.items():
            stored = committed.get(id)
            actual = 0 if stored is None else stored.version
            if actual != expected:
                raise ConcurrencyError(self._kind, id, expected, actual)

    def _apply(self) -> None:
        committed = self._committed()
        for id, (_, value) in self._staged.items():
            committed[id] = value


class MemoryOutbox:
    """Outbox staged in the unit of work like any repository."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._staged: dict[str, OutboxMessage] = {}
        self._based_on: dict[str, OutboxMessage | None] = {}  # committed message each write started from

    def _stage(self, notification_id: str, message: OutboxMessage) -> None:
        self._based_on.setdefault(notification_id, self._uow.storage._outbox.get(notification_id))
        self._staged[notification_id] = message

    def _view(self, notification_id: str) -> OutboxMessage | None:
        return self._staged.get(notification_id) or self._uow.storage._outbox.get(notification_id)

    def add(self, notification: Notification) -> None:
        """Queue a notification."""
        self._uow._check_open()
        if self._view(notification.id) is not None:
            raise ServiceCoreError(f"outbox already holds notification {notification.id}")
        self._stage(notification.id, OutboxMessage(notification=notification))

    def get(self, notification_id: str) -> OutboxMessage:
        """One message by notification id."""
        self._uow._check_open()
        found = self._view(notification_id)
        if found is None:
            raise NotFoundError("OutboxMessage", notification_id)
        return found

    def pending(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """Undelivered messages, oldest first."""
        self._uow._check_open()
        merged = dict(self._uow.storage._outbox)
        merged.update(self._staged)
        waiting = [m for m in merged.values() if m.status is DeliveryStatus.PENDING]
        waiting.sort(key=lambda m: (m.notification.created_at, m.notification.id))
        return waiting[:limit]

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a delivery."""
        message = self.get(notification_id)
        self._stage(
            notification_id,
            attrs.evolve(
                message, status=DeliveryStatus.DELIVERED, attempts=message.attempts + 1, delivered_at=at, last_error=""
            ),
        )

    def mark_failed(self, notification_id: str, *, at: datetime, error: str, final: bool = False) -> None:
        """Record a failed attempt."""
        message = self.get(notification_id)
        self._stage(
            notification_id,
            attrs.evolve(
                message,
                status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
                attempts=message.attempts + 1,
                last_error=error,
            ),
        )

    def _verify(self) -> None:
        committed = self._uow.storage._outbox
        for notification_id, base in self._based_on.items():
            current = committed.get(notification_id)
            if current is base:
                continue
            if base is None:
                raise ServiceCoreError(f"outbox already holds notification {notification_id}")
            raise ConcurrencyError(
                "OutboxMessage", notification_id, base.attempts, None if current is None else current.attempts
            )

    def _apply(self) -> None:
        self._uow.storage._outbox.update(self._staged)


class MemoryUnitOfWork:
    """One transaction over a :class:`MemoryStorage`. Use once, as a context manager."""

    def __init__(self, storage: MemoryStorage) -> None:
        self.storage = storage
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self.requests: MemoryRepository[ServiceRequest] = MemoryRepository(self, "ServiceRequest")
        self.agreements: MemoryRepository[ServiceAgreement] = MemoryRepository(self, "ServiceAgreement")
        self.work_orders: MemoryRepository[WorkOrder] = MemoryRepository(self, "WorkOrder")
        self.acceptances: MemoryRepository[Acceptance] = MemoryRepository(self, "Acceptance")
        self.outbox = MemoryOutbox(self)

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceCoreError("this unit of work has ended; start a new one")

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._closed = True

    def commit(self) -> None:
        """Verify every staged version, then apply every write, atomically."""
        self._check_open()
        repos = (self.requests, self.agreements, self.work_orders, self.acceptances)
        with self.storage._lock:
            for repo in repos:
                repo._verify()
            self.outbox._verify()
            for repo in repos:
                repo._apply()
            self.outbox._apply()
        self._reset()

    def rollback(self) -> None:
        """Discard staged writes."""
        self._reset()
