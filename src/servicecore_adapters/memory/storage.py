"""In-memory storage: honours the full storage contract, keeps nothing after exit.

Aggregates are immutable, so the store keeps the objects themselves. A unit of
work stages its writes privately; :meth:`MemoryUnitOfWork.commit` re-checks
every version under one lock and then applies all writes, so a commit is atomic
and a stale write changes nothing. Every registered aggregate kind
(:data:`~servicecore.storage_kinds.AGGREGATE_KINDS`) gets a table; queries filter
in Python, except the SLA scan, which reads a sorted index of check instants so
scanning many open clocks does not re-read every row per batch. Thread-safe;
not shared between processes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.aggregate import as_stored
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.errors import (
    ConcurrencyError,
    ConfigurationError,
    DuplicateIdError,
    NotFoundError,
    UnitOfWorkEndedError,
)
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage
from servicecore.storage_kinds import (
    AGGREGATE_KINDS,
    AggregateKind,
    IndexFields,
    ListQuery,
    aggregate_kind,
    check_due_query,
    check_instant,
    check_limit,
    list_query_for,
)

A = TypeVar("A")


class MemoryStorage:
    """The shared store behind every :class:`MemoryUnitOfWork`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, dict[str, Any]] = {kind.name: {} for kind in AGGREGATE_KINDS}
        self._due: dict[str, _DueIndex] = {kind.name: _DueIndex() for kind in AGGREGATE_KINDS}
        self._outbox: dict[str, OutboxMessage] = {}
        self._claims: dict[str, MemoryUnitOfWork] = {}  # notification id -> unit of work holding it

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


class _DueIndex:
    """Committed SLA check instants of one table, sorted by (instant, id)."""

    def __init__(self) -> None:
        self._keys: list[tuple[datetime, str]] = []
        self._at: dict[str, datetime] = {}

    def set(self, id: str, check_at: datetime | None) -> None:
        old = self._at.pop(id, None)
        if old is not None:
            del self._keys[bisect.bisect_left(self._keys, (old, id))]
        if check_at is not None:
            self._at[id] = check_at
            bisect.insort(self._keys, (check_at, id))

    def upto(self, instant: datetime) -> list[tuple[datetime, str]]:
        """Keys with an instant at or before ``instant``, in order."""
        return self._keys[: bisect.bisect_right(self._keys, (instant, "\U0010ffff"))]


def _page(rows: Sequence[A], limit: int, offset: int) -> list[A]:
    return list(rows[offset : offset + limit])


class MemoryRepository(Generic[A]):
    """Repository over one table, staging writes in its unit of work."""

    def __init__(self, uow: MemoryUnitOfWork, kind: AggregateKind[A]) -> None:
        self._uow = uow
        self._kind = kind.name
        self._aggregate_kind = kind
        self._index: Callable[[A], IndexFields] = kind.index
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

    def add(self, aggregate: A) -> A:
        """Stage a new aggregate; stored as version 1, and returned as stored."""
        self._uow._check_open()
        agg: Any = aggregate
        if agg.version != 0:
            raise ConcurrencyError(self._kind, agg.id, 0, agg.version)
        existing: Any = self._staged.get(agg.id, (None, None))[1] or self._committed().get(agg.id)
        if existing is not None:
            raise ConcurrencyError(self._kind, agg.id, 0, existing.version)
        stored: A = as_stored(agg, 1)
        self._index(stored)  # a bad projection fails here, not at query time
        self._staged[agg.id] = (0, stored)
        return stored

    def update(self, aggregate: A) -> A:
        """Stage a change to an aggregate loaded at ``aggregate.version``; returns it as stored."""
        self._uow._check_open()
        agg: Any = aggregate
        current: Any = self.get(agg.id) if self._exists(agg.id) else None
        if current is None or current.version != agg.version:
            raise ConcurrencyError(self._kind, agg.id, agg.version, None if current is None else current.version)
        expected = self._staged[agg.id][0] if agg.id in self._staged else agg.version
        stored: A = as_stored(agg, agg.version + 1)
        self._index(stored)
        self._staged[agg.id] = (expected, stored)
        return stored

    def _view(self) -> list[A]:
        merged = dict(self._committed())
        merged.update({key: value for key, (_, value) in self._staged.items()})
        return [merged[key] for key in sorted(merged)]

    def list(self, query: ListQuery | None = None) -> Sequence[A]:
        """A page of aggregates ordered by id, filtered in Python."""
        self._uow._check_open()
        query = list_query_for(self._aggregate_kind, query)
        rows: list[A] = []
        for row in self._view():
            index = self._index(row)
            if query.status is not None and index.status != query.status:
                continue
            if query.customer_id is not None and index.customer_id != query.customer_id:
                continue
            if query.assignee_id is not None and query.assignee_id not in index.assignee_ids:
                continue
            rows.append(row)
        return _page(rows, query.limit, query.offset)

    def due_for_sla(self, *, at_or_before: datetime, limit: int = 100) -> Sequence[A]:
        """Aggregates whose SLA check is due, ordered by (check instant, id)."""
        self._uow._check_open()
        instant, count = check_due_query(at_or_before, limit)
        committed = self._committed()
        due: list[tuple[datetime, str, A]] = []
        for check_at, id in self._uow.storage._due[self._kind].upto(instant):
            if len(due) == count:
                break
            if id not in self._staged:  # this unit of work's own writes are merged below
                due.append((check_at, id, committed[id]))
        for id, (_, row) in self._staged.items():
            staged_at = self._index(row).sla_check_at
            if staged_at is not None and staged_at <= instant:
                due.append((staged_at, id, row))
        due.sort(key=lambda item: (item[0], item[1]))
        return [row for _, _, row in due[:count]]

    def _exists(self, id: str) -> bool:
        return id in self._staged or id in self._committed()

    def _verify(self) -> None:
        committed: dict[str, Any] = self._committed()
        for id, (expected, _) in self._staged.items():
            stored = committed.get(id)
            actual = 0 if stored is None else stored.version
            if actual != expected:
                raise ConcurrencyError(self._kind, id, expected, actual)

    def _apply(self) -> None:
        committed = self._committed()
        due = self._uow.storage._due[self._kind]
        for id, (_, value) in self._staged.items():
            committed[id] = value
            due.set(id, self._index(value).sla_check_at)


def _due_key(message: OutboxMessage) -> tuple[datetime, datetime, str]:
    return message.due_from(), message.notification.created_at, message.notification.id


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

    def _merged(self) -> list[OutboxMessage]:
        merged = dict(self._uow.storage._outbox)
        merged.update(self._staged)
        return [m for m in merged.values() if m.status is DeliveryStatus.PENDING]

    def add(self, notification: Notification) -> None:
        """Queue a notification."""
        self._uow._check_open()
        if self._view(notification.id) is not None:
            raise DuplicateIdError("notification", notification.id, "outbox")
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
        count = check_limit(limit)
        waiting = self._merged()
        waiting.sort(key=lambda m: (m.notification.created_at, m.notification.id))
        return waiting[:count]

    def due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages due at ``at``, in due order."""
        self._uow._check_open()
        instant, count = _check_at(at, limit)
        waiting = [m for m in self._merged() if m.due_from() <= instant]
        waiting.sort(key=_due_key)
        return waiting[:count]

    def claim_due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Due messages not held by another unit of work; held by this one until it ends."""
        self._uow._check_open()
        instant, count = _check_at(at, limit)
        storage = self._uow.storage
        with storage._lock:
            held = storage._claims
            waiting = [
                m
                for m in self._merged()
                if m.due_from() <= instant and held.get(m.notification.id, self._uow) is self._uow
            ]
            waiting.sort(key=_due_key)
            claimed = waiting[:count]
            for message in claimed:
                held[message.notification.id] = self._uow
        return claimed

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a delivery."""
        check_instant("at", at)
        message = self.get(notification_id)
        self._stage(notification_id, message.delivered(at=at))

    def mark_failed(
        self,
        notification_id: str,
        *,
        at: datetime,
        error: str,
        final: bool = False,
        retry_at: datetime | None = None,
    ) -> None:
        """Record a failed attempt."""
        check_instant("at", at)
        if retry_at is not None:
            check_instant("retry_at", retry_at)
        message = self.get(notification_id)
        self._stage(notification_id, message.failed(at=at, error=error, final=final, retry_at=retry_at))

    def mark_claimed(self, notification_id: str, *, until: datetime | None) -> None:
        """Hold the message for a dispatcher until ``until`` (``None``: release it)."""
        if until is not None:
            check_instant("until", until)
        message = self.get(notification_id)
        self._stage(notification_id, message.claimed(until=until))

    def _verify(self) -> None:
        committed = self._uow.storage._outbox
        for notification_id, base in self._based_on.items():
            current = committed.get(notification_id)
            if current is base:
                continue
            if base is None:
                raise DuplicateIdError("notification", notification_id, "outbox")
            raise ConcurrencyError(
                "OutboxMessage", notification_id, base.attempts, None if current is None else current.attempts
            )

    def _apply(self) -> None:
        self._uow.storage._outbox.update(self._staged)


def _check_at(at: datetime, limit: int) -> tuple[datetime, int]:
    return check_instant("at", at), check_limit(limit)


class MemoryUnitOfWork:
    """One transaction over a :class:`MemoryStorage`. Use once, as a context manager."""

    def __init__(self, storage: MemoryStorage) -> None:
        self.storage = storage
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._repositories: dict[type[Any], MemoryRepository[Any]] = {
            kind.cls: MemoryRepository(self, kind) for kind in AGGREGATE_KINDS
        }
        self.outbox = MemoryOutbox(self)
        self._release_claims()

    def _release_claims(self) -> None:
        storage = self.storage
        with storage._lock:
            for notification_id in [k for k, owner in storage._claims.items() if owner is self]:
                del storage._claims[notification_id]

    def repository(self, cls: type[A]) -> MemoryRepository[A]:
        """The repository of aggregate class ``cls``."""
        self._check_open()
        aggregate_kind(cls)  # a ValidationError naming ``cls`` for an unregistered class
        repository: MemoryRepository[A] = self._repositories[cls]
        return repository

    @property
    def requests(self) -> MemoryRepository[ServiceRequest]:
        """Service requests."""
        return self.repository(ServiceRequest)

    @property
    def agreements(self) -> MemoryRepository[ServiceAgreement]:
        """Service agreements."""
        return self.repository(ServiceAgreement)

    @property
    def work_orders(self) -> MemoryRepository[WorkOrder]:
        """Work orders."""
        return self.repository(WorkOrder)

    @property
    def acceptances(self) -> MemoryRepository[Acceptance]:
        """Acceptances."""
        return self.repository(Acceptance)

    @property
    def complaints(self) -> MemoryRepository[Complaint]:
        """Complaints."""
        return self.repository(Complaint)

    @property
    def violations(self) -> MemoryRepository[Violation]:
        """Violations."""
        return self.repository(Violation)

    @property
    def appeals(self) -> MemoryRepository[Appeal]:
        """Appeals."""
        return self.repository(Appeal)

    def _check_open(self) -> None:
        if self._closed:
            raise UnitOfWorkEndedError()

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
        repos = tuple(self._repositories.values())
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
