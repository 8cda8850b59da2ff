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
  :class:`IndexFields` projection of each aggregate, computed with
  :func:`index_fields` when it is written; a backend answers them with indexes,
  never by loading every row.

Aggregate kinds are registered once, in :data:`AGGREGATE_KINDS`. A new kind
needs one :class:`AggregateKind` row there and, for convenience, one typed
property on :class:`UnitOfWork`; backends store every registered kind through
:meth:`UnitOfWork.repository` without code of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import attrs

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.errors import ValidationError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import check_text, describe
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import Notification, OutboxMessage

T = TypeVar("T")


# --- what storage indexes ------------------------------------------------------------


def _text_or_none(field: str, value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError(field, f"expected a non-empty string or None, got {describe(value)}")
    if value is not None:  # a NUL or a lone surrogate would reach the database driver
        check_text(field, value, single_line=True, optional=True)


def _aware_or_none(field: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(field, f"expected a timezone-aware datetime or None, got {describe(value)}")


def _check_status(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError("status", f"expected a non-empty string, got {describe(value)}")


def _check_customer_id(instance: Any, attribute: Any, value: Any) -> None:
    _text_or_none("customer_id", value)


def _check_assignee_ids(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError("assignee_ids", f"expected a tuple of non-empty strings, got {describe(value)}")


def _check_sla_check_at(instance: Any, attribute: Any, value: Any) -> None:
    _aware_or_none("sla_check_at", value)


@attrs.frozen
class IndexFields:
    """What storage indexes of one aggregate: the columns queries filter and sort on.

    ``sla_check_at`` is the next instant the aggregate's SLA clocks must be
    checked (``None`` while no clock runs); :meth:`Repository.due_for_sla` scans it.
    """

    status: str = attrs.field(validator=_check_status)
    customer_id: str | None = attrs.field(default=None, validator=_check_customer_id)
    assignee_ids: tuple[str, ...] = attrs.field(default=(), validator=_check_assignee_ids)
    sla_check_at: datetime | None = attrs.field(default=None, validator=_check_sla_check_at)


def sla_check_at_of(aggregate: object) -> datetime | None:
    """When the SLA scan must next look at ``aggregate``: the one place that decides it.

    An aggregate that carries an ``sla_check_at`` attribute (an aware datetime,
    or ``None`` when no SLA clock is running) is indexed by it: every built-in
    aggregate with clocks exposes its :attr:`Clocks.next_check_at
    <servicecore.sla.clocks.Clocks.next_check_at>` there.
    """
    value = getattr(aggregate, "sla_check_at", None)
    return value if isinstance(value, datetime) else None


def _request_index(request: ServiceRequest) -> IndexFields:
    return IndexFields(request.status.value, request.customer.id, (), sla_check_at_of(request))


def _agreement_index(agreement: ServiceAgreement) -> IndexFields:
    return IndexFields(agreement.status.value, agreement.customer_id, (), sla_check_at_of(agreement))


def _work_order_index(order: WorkOrder) -> IndexFields:
    return IndexFields(order.status.value, None, tuple(order.assignees), sla_check_at_of(order))


def _acceptance_index(acceptance: Acceptance) -> IndexFields:
    # the designated inspector is who the acceptance waits on
    return IndexFields(acceptance.status.value, None, (acceptance.inspector.person.id,), sla_check_at_of(acceptance))


@attrs.frozen
class AggregateKind(Generic[T]):
    """One registered kind of aggregate: its storage name, its class and its index projection.

    ``name`` is what storage keys rows by (with the aggregate id) and what errors
    name; it never changes once data is stored.
    """

    name: str
    cls: type[T]
    index: Callable[[T], IndexFields]

    @property
    def statuses(self) -> tuple[str, ...]:
        """Every status an aggregate of this kind can be in (what a ``status`` filter may name)."""
        cls: Any = self.cls  # an attrs class with a status field, as every aggregate is
        initial: enum.Enum = attrs.fields(cls).status.default
        return tuple(str(member.value) for member in type(initial))


def _complaint_index(complaint: Complaint) -> IndexFields:
    investigator = () if complaint.investigator is None else (complaint.investigator.id,)
    return IndexFields(complaint.status.value, complaint.complainant.id, investigator, sla_check_at_of(complaint))


def _violation_index(violation: Violation) -> IndexFields:
    investigators = tuple(person.id for person in violation.investigators)
    return IndexFields(violation.status.value, None, investigators, sla_check_at_of(violation))


def _appeal_index(appeal: Appeal) -> IndexFields:
    return IndexFields(appeal.status.value, None, tuple(member.id for member in appeal.panel), sla_check_at_of(appeal))


AGGREGATE_KINDS: tuple[AggregateKind[Any], ...] = (
    AggregateKind("ServiceRequest", ServiceRequest, _request_index),
    AggregateKind("ServiceAgreement", ServiceAgreement, _agreement_index),
    AggregateKind("WorkOrder", WorkOrder, _work_order_index),
    AggregateKind("Acceptance", Acceptance, _acceptance_index),
    AggregateKind("Complaint", Complaint, _complaint_index),
    AggregateKind("Violation", Violation, _violation_index),
    AggregateKind("Appeal", Appeal, _appeal_index),
)
"""Every aggregate kind storage knows. Add a row here for a new aggregate; no adapter code is needed."""

_BY_CLASS: Mapping[type[Any], AggregateKind[Any]] = {kind.cls: kind for kind in AGGREGATE_KINDS}
_BY_NAME: Mapping[str, AggregateKind[Any]] = {kind.name: kind for kind in AGGREGATE_KINDS}


def aggregate_kind(cls: type[T]) -> AggregateKind[T]:
    """The registered kind of aggregate class ``cls``; :class:`ValidationError` naming ``cls`` if none."""
    found = _BY_CLASS.get(cls)
    if found is None:
        known = ", ".join(kind.name for kind in AGGREGATE_KINDS)
        raise ValidationError("cls", f"{describe(cls)} is not a registered aggregate kind; known: {known}")
    return found


def aggregate_kind_named(name: str) -> AggregateKind[Any]:
    """The registered kind stored under ``name``; :class:`ValidationError` naming ``kind`` if none."""
    found = _BY_NAME.get(name)
    if found is None:
        raise ValidationError("kind", f"{describe(name)} is not a registered aggregate kind; known: {sorted(_BY_NAME)}")
    return found


def index_fields(aggregate: Any) -> IndexFields:
    """The :class:`IndexFields` of ``aggregate``, through its registered kind.

    Backends call this whenever they write an aggregate, so what they index
    always follows the registry.
    """
    kind: AggregateKind[Any] = aggregate_kind(type(aggregate))
    return kind.index(aggregate)


# --- query arguments ------------------------------------------------------------------


MAX_PAGE_NUMBER = 2**62
"""The largest ``limit`` or ``offset`` a query accepts: every backend handles it as a 64-bit integer."""


def check_limit(value: object, field: str = "limit") -> int:
    """``value`` if it is a whole number not below zero, else :class:`ValidationError` naming ``field``."""
    return _page_number(field, value)


def _page_number(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"expected a whole number, got {describe(value)}")
    if value < 0:
        raise ValidationError(field, f"must not be negative, got {value}")
    if value > MAX_PAGE_NUMBER:  # SQL LIMIT and OFFSET are 64-bit integers
        raise ValidationError(field, f"must be at most {MAX_PAGE_NUMBER}, got {value}")
    return value


@attrs.frozen(kw_only=True)
class ListQuery:
    """The checked arguments of :meth:`Repository.list`; build it with :func:`list_query`."""

    status: str | None
    customer_id: str | None
    assignee_id: str | None
    limit: int
    offset: int


def list_query(
    *,
    status: str | None = None,
    customer_id: str | None = None,
    assignee_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
    kind: AggregateKind[Any] | None = None,
) -> ListQuery:
    """Check :meth:`Repository.list` arguments; a bad one raises :class:`ValidationError` naming it.

    With ``kind``, a ``status`` must be one of that kind's statuses: a typo is
    an error listing them, not an empty page.
    """
    _text_or_none("status", status)
    if kind is not None and status is not None and status not in kind.statuses:
        raise ValidationError(
            "status", f"{describe(status)} is not a status of a {kind.name}; statuses: {', '.join(kind.statuses)}"
        )
    _text_or_none("customer_id", customer_id)
    _text_or_none("assignee_id", assignee_id)
    return ListQuery(
        status=status,
        customer_id=customer_id,
        assignee_id=assignee_id,
        limit=_page_number("limit", limit),
        offset=_page_number("offset", offset),
    )


def check_due_query(at_or_before: object, limit: object) -> tuple[datetime, int]:
    """Check :meth:`Repository.due_for_sla` (and outbox ``due``) arguments; return them typed."""
    if not isinstance(at_or_before, datetime) or at_or_before.utcoffset() is None:
        raise ValidationError("at_or_before", f"expected a timezone-aware datetime, got {describe(at_or_before)}")
    return at_or_before, _page_number("limit", limit)


def check_instant(field: str, value: object) -> datetime:
    """``value`` if it is an aware datetime, else :class:`ValidationError` naming ``field``."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(field, f"expected a timezone-aware datetime, got {describe(value)}")
    return value


# --- the ports ------------------------------------------------------------------------


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

    def list(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[T]:
        """One page of aggregates ordered by id, keeping those that match every filter given.

        ``status`` is the status value, ``customer_id`` the customer's id,
        ``assignee_id`` one of :attr:`IndexFields.assignee_ids`. A bad argument
        raises :class:`~servicecore.ValidationError` naming it.
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
        """The repository of the registered aggregate kind ``cls`` (see :data:`AGGREGATE_KINDS`)."""
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
    "AGGREGATE_KINDS",
    "MAX_PAGE_NUMBER",
    "AggregateKind",
    "IndexFields",
    "ListQuery",
    "Outbox",
    "Repository",
    "StorageBackend",
    "UnitOfWork",
    "aggregate_kind",
    "aggregate_kind_named",
    "check_due_query",
    "check_instant",
    "check_limit",
    "index_fields",
    "list_query",
    "sla_check_at_of",
]
