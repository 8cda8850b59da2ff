"""What every aggregate shares: a state machine step that checks, records and emits.

Aggregates are frozen attrs classes. A command method never mutates: it returns a
new instance, so a command that raises leaves the caller's object untouched and
"half-changed" cannot happen. ``version`` is owned by storage (optimistic
concurrency); ``events`` holds the events raised since the aggregate was loaded
and is never persisted.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

from servicecore.domain.errors import InvalidTransitionError, ValidationError
from servicecore.domain.events import DomainEvent
from servicecore.domain.values import Actor, HistoryEntry, check_aware


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
