"""The statements the SQLAlchemy storage runs, compiled once per dialect and bound by hand.

Statements are SQLAlchemy Core constructs, compiled once per dialect
(:class:`Statements`) and run on the pooled driver connection: SQLAlchemy's
per-call execution machinery costs more than the database round trip on
SQLite. Instants are bound as integer microseconds (:func:`to_micros`), exact
and sortable. A compare-and-set write that finds another version raises
:class:`Conflict`, which the unit of work turns into a
:class:`~servicecore.ConcurrencyError` once it has rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, bindparam, delete, insert, literal_column, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement

from servicecore.ports.notification import DeliveryStatus
from servicecore_adapters.sqlalchemy.schema import aggregates, assignees, outbox

A = TypeVar("A")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(instant: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01 UTC (exact, sortable by instant)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Conflict(Exception):
    """A compare-and-set write found another version; turned into ConcurrencyError after rollback."""

    def __init__(self, kind: str, id: str, expected: int, outbox_message: bool = False) -> None:
        super().__init__(kind, id)
        self.kind, self.id, self.expected, self.outbox_message = kind, id, expected, outbox_message


class DuplicateNotification(Exception):
    """An outbox insert found the notification id already stored."""

    def __init__(self, notification_id: str) -> None:
        super().__init__(notification_id)
        self.notification_id = notification_id


def driver_message(exc: BaseException) -> str:
    """The driver's own message (without SQLAlchemy's wrapping and links)."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text if len(text) <= 500 else text[:499] + "…"


class Sql:
    """A Core statement compiled for one dialect, with the order its parameters bind in."""

    __slots__ = ("defaults", "names", "positional", "text")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        self.text = str(compiled)
        self.positional = bool(dialect.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.binds)
        # parameters the dialect added itself (SQLite's OFFSET 0 after a LIMIT) keep their compiled value
        self.defaults: dict[str, Any] = {k: v for k, v in compiled.params.items() if v is not None}

    def bind(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values``, in the order the statement binds them."""
        if self.defaults:
            values = {**self.defaults, **values}
        if self.positional:
            return tuple(values[name] for name in self.names)
        return {name: values[name] for name in self.names}


def _param(name: str) -> Any:
    if name in {"at", "due"}:  # microseconds since 1970 do not fit a 32-bit integer
        return bindparam(name, type_=BigInteger)
    return bindparam(name, type_=Integer) if name in {"lim", "off"} else bindparam(name)


# a literal, not a parameter: PostgreSQL's generic plans for prepared statements use the partial
# indexes (WHERE status = 'pending') only when the condition is spelled out
_IS_PENDING = outbox.c.status == literal_column(f"'{DeliveryStatus.PENDING.value}'")
_A = aggregates.c
_O = outbox.c


def get_aggregate() -> ClauseElement:
    """One stored aggregate: its version and document."""
    return select(_A.version, _A.document).where(_A.kind == _param("k"), _A.id == _param("i"))


def get_version() -> ClauseElement:
    """The stored version of one aggregate (to name it in a conflict)."""
    return select(_A.version).where(_A.kind == _param("k"), _A.id == _param("i"))


def insert_aggregate() -> ClauseElement:
    """A new aggregate row."""
    return insert(aggregates)


def update_aggregate(status: bool, customer: bool, due: bool) -> Callable[[], ClauseElement]:
    """The compare-and-set update, setting the indexed columns that changed only: SQLite rewrites the
    entries of every index on a column the statement sets, changed or not."""

    def build() -> ClauseElement:
        columns: dict[str, Any] = {"version": _param("v"), "document": _param("doc")}
        if status:
            columns["status"] = _param("s")
        if customer:
            columns["customer_id"] = _param("c")
        if due:
            columns["sla_check_at"] = _param("due")
        statement: ClauseElement = (
            update(aggregates)
            .where(_A.kind == _param("k"), _A.id == _param("i"), _A.version == _param("expected"))
            .values(**columns)
        )
        return statement

    return build


def delete_assignees() -> ClauseElement:
    """Forget an aggregate's assignee index entries."""
    return delete(assignees).where(assignees.c.kind == _param("k"), assignees.c.aggregate_id == _param("i"))


def insert_assignee() -> ClauseElement:
    """One assignee index entry."""
    return insert(assignees)


def list_aggregates(status: bool, customer: bool, assignee: bool) -> Callable[[], ClauseElement]:
    """The list query with the filters given, paged by id."""

    def build() -> ClauseElement:
        columns = (_A.id, _A.version, _A.document)
        statement: Any
        if assignee:
            joined = assignees.join(aggregates, (_A.kind == assignees.c.kind) & (_A.id == assignees.c.aggregate_id))
            statement = (
                select(*columns)
                .select_from(joined)
                .where(assignees.c.kind == _param("k"), assignees.c.assignee_id == _param("a"))
            )
        else:
            statement = select(*columns).where(_A.kind == _param("k"))
        if status:
            statement = statement.where(_A.status == _param("s"))
        if customer:
            statement = statement.where(_A.customer_id == _param("c"))
        ordered: ClauseElement = statement.order_by(_A.id).limit(_param("lim")).offset(_param("off"))
        return ordered

    return build


def sla_scan() -> ClauseElement:
    """Aggregates of one kind whose SLA check is due, by (instant, id): the partial index."""
    return (
        select(_A.id, _A.version, _A.document, _A.sla_check_at)
        .where(_A.kind == _param("k"), _A.sla_check_at.is_not(None), _A.sla_check_at <= _param("at"))
        .order_by(_A.sla_check_at, _A.id)
        .limit(_param("lim"))
    )


def outbox_get() -> ClauseElement:
    """One outbox message: its row version and document."""
    return select(_O.version, _O.document).where(_O.id == _param("i"))


def outbox_insert() -> ClauseElement:
    """A new outbox message row."""
    return insert(outbox)


def outbox_update() -> ClauseElement:
    """The compare-and-set update of an outbox message."""
    return (
        update(outbox)
        .where(_O.id == _param("i"), _O.version == _param("base"))
        .values(status=_param("s"), version=_param("v"), due_at=_param("due"), document=_param("doc"))
    )


def outbox_pending() -> ClauseElement:
    """Pending outbox messages, oldest first."""
    return select(_O.id, _O.document, _O.version).where(_IS_PENDING).order_by(_O.created_at, _O.id).limit(_param("lim"))


def outbox_due(lock: bool) -> Callable[[], ClauseElement]:
    """Due outbox messages; with ``lock``, locked for the unit of work (skipping locked rows)."""

    def build() -> ClauseElement:
        statement = (
            select(_O.id, _O.document, _O.version)
            .where(_IS_PENDING, _O.due_at <= _param("at"))
            .order_by(_O.due_at, _O.created_at, _O.id)
            .limit(_param("lim"))
        )
        return statement.with_for_update(skip_locked=True) if lock else statement

    return build


class Statements:
    """The statements of one backend, each compiled once for its dialect, by key."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[Any, Sql] = {}

    def get(self, key: Any, build: Callable[[], ClauseElement]) -> Sql:
        """The statement stored under ``key``, built and compiled on first use."""
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = Sql(build(), self._dialect)
        return found


def merge_page(found: Iterable[tuple[Any, A]], staged: Iterable[tuple[Any, A]], limit: int, offset: int) -> list[A]:
    """One page of the rows from the database merged with the unit of work's own matching rows."""
    rows = sorted([*found, *staged], key=lambda item: item[0])
    return [row for _, row in rows[offset : offset + limit]]


class LiteralSql:
    """A statement with no parameters, run as written."""

    names: tuple[str, ...] = ()

    def __init__(self, text: str) -> None:
        self.text = text

    def bind(self, values: Mapping[str, Any]) -> tuple[()]:
        """No parameters."""
        return ()


BEGIN_IMMEDIATE: Any = LiteralSql("BEGIN IMMEDIATE")


__all__ = [
    "BEGIN_IMMEDIATE",
    "Conflict",
    "DuplicateNotification",
    "LiteralSql",
    "Sql",
    "Statements",
    "delete_assignees",
    "driver_message",
    "get_aggregate",
    "get_version",
    "insert_aggregate",
    "insert_assignee",
    "list_aggregates",
    "merge_page",
    "outbox_due",
    "outbox_get",
    "outbox_insert",
    "outbox_pending",
    "outbox_update",
    "sla_scan",
    "to_micros",
    "update_aggregate",
]
