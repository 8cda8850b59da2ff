"""What every aggregate shares: its common fields and a state machine step that checks, records and emits.

Aggregates are frozen attrs classes deriving from :class:`Aggregate` (or
:class:`SlaTrackedAggregate` for kinds whose service levels are tracked). A
command method never mutates: it returns a new instance, so a command that
raises leaves the caller's object untouched and "half-changed" cannot happen.
``version`` is owned by storage (optimistic concurrency); ``events`` holds the
events raised since the aggregate was loaded and is never persisted.

An aggregate class is declared as ``@attrs.frozen(kw_only=True,
field_transformer=shared_fields_last)``, so its own fields come first and the
shared ones last, in the order every stored document has always had.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypedDict, TypeVar

import attrs

from servicecore.domain.errors import InvalidTransitionError, ValidationError
from servicecore.domain.events import DomainEvent
from servicecore.domain.values import Actor, ActorRef, HistoryEntry, check_aware
from servicecore.sla.clocks import Clocks, SlaTracked


class _Aggregate(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> enum.Enum: ...
    @property
    def history(self) -> tuple[HistoryEntry, ...]: ...
    @property
    def events(self) -> tuple[DomainEvent, ...]: ...


A = TypeVar("A", bound=_Aggregate)
T = TypeVar("T")

_SHARED_FIELDS = ("version", "history", "clocks", "events")


def shared_fields_last(cls: type[Any], fields: Sequence[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """Order an aggregate's fields as its stored documents have them: its own first, the shared ones last.

    attrs puts inherited fields first; the stored format (the key order of every
    document already written) has the shared fields at the end.
    """
    own = [field for field in fields if field.name not in _SHARED_FIELDS]
    shared = {field.name: field for field in fields if field.name in _SHARED_FIELDS}
    return own + [shared[name] for name in _SHARED_FIELDS if name in shared]


@attrs.frozen(kw_only=True)
class Aggregate:
    """Base of every aggregate: the fields and class-level facts all kinds share.

    A subclass declares its own fields (among them ``id`` and ``status``) and
    its :attr:`kind`.
    """

    kind: ClassVar[str] = ""
    """The name storage keys this kind's rows by, and that its events carry as ``aggregate_type``.

    It never changes once data is stored.
    """
    id_kind: ClassVar[str] = ""
    """The kind asked of the id generator for a new aggregate of this class (e.g. ``"work_order"``)."""

    version: int = 0
    """The stored version, owned by storage (optimistic concurrency); 0 until first stored."""
    history: tuple[HistoryEntry, ...] = ()
    """Every step taken, oldest first."""
    events: tuple[DomainEvent, ...] = attrs.field(default=(), eq=False, repr=False)
    """Events raised since the aggregate was loaded; never stored."""

    if TYPE_CHECKING:  # each kind declares them as fields, with its own id and status types

        @property
        def id(self) -> str:
            """The aggregate's id, unique within its kind."""

        @property
        def status(self) -> enum.Enum:
            """Where the aggregate stands in its lifecycle."""


@attrs.frozen(kw_only=True)
class SlaTrackedAggregate(Aggregate, SlaTracked):
    """An aggregate whose service levels are tracked: it carries SLA :class:`~servicecore.sla.clocks.Clocks`."""

    clocks: Clocks = attrs.field(factory=Clocks)
    """SLA clocks, kept in step with the status by the application (:mod:`servicecore.sla`)."""


class EventFields(TypedDict):
    """The fields every domain event carries: which aggregate, when, and who."""

    aggregate_id: str
    occurred_at: datetime
    actor: ActorRef


def event_fields(agg: _Aggregate, at: datetime, actor: Actor) -> EventFields:
    """The common fields of an event ``actor`` raises on ``agg`` at ``at``.

    The one way aggregates fill them: ``ev.WorkOrderStarted(**event_fields(self, at, actor))``.
    """
    return {"aggregate_id": agg.id, "occurred_at": at, "actor": actor.ref}


def require_status(agg: _Aggregate, action: str, allowed: Collection[enum.Enum], *, at: datetime) -> None:
    """Check a command's preconditions shared by every aggregate, before anything else.

    ``at`` must be timezone-aware and not earlier than the last history entry
    (:class:`ValidationError` naming ``at``), and ``agg`` must be in one of the
    ``allowed`` states (:class:`InvalidTransitionError`).
    """
    check_time(agg, at)
    if agg.status not in allowed:
        raise InvalidTransitionError(
            type(agg).__name__,
            agg.id,
            str(agg.status.value),
            action,
            sorted(str(s.value) for s in allowed),
        )


def check_time(agg: _Aggregate, at: datetime) -> datetime:
    """``at`` must be aware and not earlier than the last history entry."""
    check_aware("at", at)
    if agg.history and at < agg.history[-1].at:
        raise ValidationError(
            "at",
            f"{at.isoformat()} is earlier than the last recorded step of "
            f"{type(agg).__name__} {agg.id} ({agg.history[-1].at.isoformat()}); "
            "history only moves forward",
        )
    return at


def record(
    agg: A,
    *,
    action: str,
    actor: Actor,
    at: datetime,
    to: enum.Enum | None = None,
    note: str = "",
    events: Iterable[DomainEvent] = (),
    **changes: Any,
) -> A:
    """Return a copy of ``agg`` with ``changes`` applied, one history entry and events appended.

    ``to`` is the new status (``None`` keeps the current one). The caller has
    already checked the precondition and ``at`` with :func:`require_status` (or
    :func:`check_time`), so the time is not checked twice.
    """
    new_status = agg.status if to is None else to
    entry = HistoryEntry(
        at=at,
        actor=actor.ref,
        action=action,
        from_state=str(agg.status.value),
        to_state=str(new_status.value),
        note=note,
    )
    return attrs.evolve(  # type: ignore[misc]
        agg,
        status=new_status,
        history=(*agg.history, entry),
        events=(*agg.events, *events),
        **changes,
    )


def started(agg: A, *, action: str, actor: Actor, at: datetime, note: str = "", event: DomainEvent) -> A:
    """First history entry and creation event of a freshly built aggregate."""
    entry = HistoryEntry(
        at=check_aware("at", at),
        actor=actor.ref,
        action=action,
        from_state="",
        to_state=str(agg.status.value),
        note=note,
    )
    return attrs.evolve(agg, history=(entry,), events=(event,))  # type: ignore[misc]


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def as_stored(aggregate: T, version: int) -> T:
    """``aggregate`` as storage holds it at ``version``: same fields, no pending events.

    Equal to ``attrs.evolve(aggregate, version=version, events=())`` without
    re-running every field's validators: only ``version`` and ``events`` change,
    neither has a rule to check, and the other values are already validated.
    Storage adapters and the facade call it on every write.
    """
    cls: Any = type(aggregate)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cls) if a.name not in {"version", "events"})
    copy: Any = object.__new__(cls)
    for name in names:
        object.__setattr__(copy, name, getattr(aggregate, name))
    object.__setattr__(copy, "version", version)
    object.__setattr__(copy, "events", ())
    result: T = copy
    return result
