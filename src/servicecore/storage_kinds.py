"""What storage knows of aggregates: their registered kinds, what is indexed of each, and query arguments.

Storage backends and the application share these; the protocols themselves
are in :mod:`servicecore.ports.storage`. Aggregate kinds are listed once, in
:data:`servicecore.domain.registry.AGGREGATES`; :data:`AGGREGATE_KINDS`
derives from it, pairing each class with its index projection
(:class:`IndexFields`, computed with :func:`index_fields` whenever an
aggregate is written). A new kind needs its projection here; backends store
every registered kind without code of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.aggregate import Aggregate
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.errors import ConfigurationError, ValidationError
from servicecore.domain.registry import AGGREGATES
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import check_text, describe
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder

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
    checked (``None`` while no clock runs); the SLA scan
    (:meth:`~servicecore.ports.storage.Repository.due_for_sla`) reads it.
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


_INDEXES: Mapping[type[Any], Callable[[Any], IndexFields]] = {
    ServiceRequest: _request_index,
    ServiceAgreement: _agreement_index,
    WorkOrder: _work_order_index,
    Acceptance: _acceptance_index,
    Complaint: _complaint_index,
    Violation: _violation_index,
    Appeal: _appeal_index,
}


def _kind(cls: type[Aggregate]) -> AggregateKind[Any]:
    index = _INDEXES.get(cls)
    if index is None:  # ownership checks read the projection: a kind without one must not be stored
        raise ConfigurationError(f"aggregate kind {cls.kind!r} has no index projection in servicecore.storage_kinds")
    return AggregateKind(cls.kind, cls, index)


AGGREGATE_KINDS: tuple[AggregateKind[Any], ...] = tuple(_kind(cls) for cls in AGGREGATES)
"""Every aggregate kind storage knows, one per class of :data:`servicecore.domain.registry.AGGREGATES`.

A new aggregate needs its index projection here; no adapter code is needed.
"""

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


def _check_filter(instance: Any, attribute: Any, value: Any) -> None:
    _text_or_none(attribute.name, value)


def _check_page_number(instance: Any, attribute: Any, value: Any) -> None:
    _page_number(attribute.name, value)


@attrs.frozen(kw_only=True)
class ListQuery:
    """What :meth:`Repository.list <servicecore.ports.storage.Repository.list>` is asked for: filters and a page.

    ``status`` is a status value of the kind listed, ``customer_id`` the
    customer's id, ``assignee_id`` one of :attr:`IndexFields.assignee_ids`;
    a filter left ``None`` keeps every aggregate. ``limit`` and ``offset``
    select one page of the matches ordered by id. A bad value raises
    :class:`ValidationError` naming the field when the query is built.
    """

    status: str | None = attrs.field(default=None, validator=_check_filter)
    customer_id: str | None = attrs.field(default=None, validator=_check_filter)
    assignee_id: str | None = attrs.field(default=None, validator=_check_filter)
    limit: int = attrs.field(default=100, validator=_check_page_number)
    offset: int = attrs.field(default=0, validator=_check_page_number)


def list_query_for(kind: AggregateKind[Any], query: object) -> ListQuery:
    """The query a repository of ``kind`` runs for ``query`` (``None``: the first page of every aggregate).

    Anything but a :class:`ListQuery` is a :class:`ValidationError` naming
    ``query``; a ``status`` that is not one of the kind's is one naming
    ``status`` and listing them, so a typo is an error, not an empty page.
    """
    if query is None:
        return _FIRST_PAGE
    if not isinstance(query, ListQuery):
        raise ValidationError("query", f"expected a ListQuery, got {describe(query)}")
    if query.status is not None and query.status not in kind.statuses:
        raise ValidationError(
            "status", f"{describe(query.status)} is not a status of a {kind.name}; statuses: {', '.join(kind.statuses)}"
        )
    return query


_FIRST_PAGE = ListQuery()


def check_due_query(at_or_before: object, limit: object) -> tuple[datetime, int]:
    """Check ``Repository.due_for_sla`` (and outbox ``due``) arguments; return them typed."""
    if not isinstance(at_or_before, datetime) or at_or_before.utcoffset() is None:
        raise ValidationError("at_or_before", f"expected a timezone-aware datetime, got {describe(at_or_before)}")
    return at_or_before, _page_number("limit", limit)


def check_instant(field: str, value: object) -> datetime:
    """``value`` if it is an aware datetime, else :class:`ValidationError` naming ``field``."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(field, f"expected a timezone-aware datetime, got {describe(value)}")
    return value


__all__ = [
    "AGGREGATE_KINDS",
    "MAX_PAGE_NUMBER",
    "AggregateKind",
    "IndexFields",
    "ListQuery",
    "aggregate_kind",
    "aggregate_kind_named",
    "check_due_query",
    "check_instant",
    "check_limit",
    "index_fields",
    "list_query_for",
    "sla_check_at_of",
]
