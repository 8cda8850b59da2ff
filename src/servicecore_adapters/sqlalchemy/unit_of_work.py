"""The repositories and the unit of work of the SQLAlchemy storage: one transaction per unit of work.

How a unit of work runs:

* reads go to the database as they are made (on SQLite without any lock; on
  PostgreSQL in a READ COMMITTED transaction), and see the unit of work's own
  staged writes merged in;
* writes are staged in memory and flushed at :meth:`SQLAlchemyUnitOfWork.commit`
  inside one transaction (``BEGIN IMMEDIATE`` on SQLite) as compare-and-set
  statements: ``UPDATE ... WHERE version = <loaded version>``. A row that
  changed meanwhile makes the whole transaction roll back with
  :class:`~servicecore.ConcurrencyError`; rows are written in (kind, id) order so
  concurrent writers on PostgreSQL cannot deadlock;
* :meth:`SQLAlchemyOutbox.claim_due` locks the due outbox rows it returns:
  ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so other dispatchers skip
  them; on SQLite it opens the write transaction, which dispatchers then take
  one at a time. The dispatcher holds that lock only to mark the message
  claimed (:meth:`SQLAlchemyOutbox.mark_claimed`) and commits before sending;
  the outbox row's ``version`` column makes every mark a compare-and-set;
* every driver error becomes a :class:`~servicecore.StorageError`.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import attrs
from sqlalchemy.pool import PoolProxiedConnection

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.aggregate import as_stored
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.errors import (
    ConcurrencyError,
    DuplicateIdError,
    NotFoundError,
    StorageError,
    UnitOfWorkEndedError,
)
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder
from servicecore.storage_kinds import (
    AggregateKind,
    IndexFields,
    ListQuery,
    aggregate_kind,
    check_due_query,
    index_fields,
    list_query_for,
)
from servicecore_adapters.sqlalchemy import statements
from servicecore_adapters.sqlalchemy.documents import Encoded
from servicecore_adapters.sqlalchemy.outbox import SQLAlchemyOutbox
from servicecore_adapters.sqlalchemy.statements import (
    BEGIN_IMMEDIATE,
    Conflict,
    DuplicateNotification,
    Sql,
    driver_message,
    merge_page,
    to_micros,
)

if TYPE_CHECKING:
    from servicecore_adapters.sqlalchemy.storage import SQLAlchemyStorage

A = TypeVar("A")

_RECONNECTS = 2  # a dead kept connection, then possibly a dead pooled one (engines without pre-ping)


@attrs.define
class _Write(Generic[A]):
    new: bool
    expected: int  # the version the stored row must still have (0 for a new row)
    value: A  # as it will be stored
    index: IndexFields


def _matches(index: IndexFields, query: ListQuery) -> bool:
    return (
        (query.status is None or index.status == query.status)
        and (query.customer_id is None or index.customer_id == query.customer_id)
        and (query.assignee_id is None or query.assignee_id in index.assignee_ids)
    )


class SQLAlchemyRepository(Generic[A]):
    """The repository of one aggregate kind inside a :class:`SQLAlchemyUnitOfWork`."""

    def __init__(self, uow: SQLAlchemyUnitOfWork, kind: AggregateKind[A]) -> None:
        self._uow = uow
        self._storage = uow._storage
        self._kind = kind
        self._staged: dict[str, _Write[A]] = {}
        self._loaded: dict[str, A] = {}  # as read from the database by this unit of work

    # --- reads -----------------------------------------------------------------------

    def get(self, id: str) -> A:
        """The aggregate as this unit of work sees it."""
        staged = self._staged.get(id)
        if staged is not None:
            return staged.value
        row = self._uow._fetch_one(self._storage._sql("get", statements.get_aggregate), {"k": self._kind.name, "i": id})
        if row is None:
            raise NotFoundError(self._kind.name, id)
        aggregate = self._storage._load(self._kind, id, row[0], row[1])
        self._loaded[id] = aggregate
        return aggregate

    def list(self, query: ListQuery | None = None) -> Sequence[A]:
        """One page of aggregates ordered by id, filtered by the database's indexes."""
        query = list_query_for(self._kind, query)
        status, customer_id, assignee_id = query.status, query.customer_id, query.assignee_id
        shape = (status is not None, customer_id is not None, assignee_id is not None)
        sql = self._storage._sql(("list", *shape), statements.list_aggregates(*shape))
        values = {"k": self._kind.name, "s": status, "c": customer_id, "a": assignee_id}
        if not self._staged:
            return self._rows(sql, {**values, "lim": query.limit, "off": query.offset})
        # the database's rows without this unit of work's own versions of them, merged with those
        found = self._rows(sql, {**values, "lim": query.offset + query.limit + len(self._staged), "off": 0})
        theirs = [(_id_of(a), a) for a in found if _id_of(a) not in self._staged]
        mine = [(id, w.value) for id, w in self._staged.items() if _matches(w.index, query)]
        return merge_page(theirs, mine, query.limit, query.offset)

    def due_for_sla(self, *, at_or_before: datetime, limit: int = 100) -> Sequence[A]:
        """Aggregates whose SLA check is due, by (check instant, id), from the partial index."""
        instant, count = check_due_query(at_or_before, limit)
        rows = self._uow._fetch_all(
            self._storage._sql("sla", statements.sla_scan),
            {"k": self._kind.name, "at": to_micros(instant), "lim": count + len(self._staged)},
        )
        load = self._storage._load
        found = [((row[3], row[0]), load(self._kind, row[0], row[1], row[2])) for row in rows]
        if not self._staged:
            return [aggregate for _, aggregate in found[:count]]
        theirs = [item for item in found if item[0][1] not in self._staged]
        mine = [
            ((to_micros(w.index.sla_check_at), id), w.value)
            for id, w in self._staged.items()
            if w.index.sla_check_at is not None and w.index.sla_check_at <= instant
        ]
        return merge_page(theirs, mine, count, 0)

    def _rows(self, sql: Sql, values: Mapping[str, Any]) -> builtins.list[A]:
        load, kind = self._storage._load, self._kind
        return [load(kind, row[0], row[1], row[2]) for row in self._uow._fetch_all(sql, values)]

    # --- writes ----------------------------------------------------------------------

    def add(self, aggregate: A) -> A:
        """Stage a new aggregate; it is stored as version 1 at commit. Returns it as stored."""
        self._uow._check_open()
        agg: Any = aggregate
        if agg.version != 0:
            raise ConcurrencyError(self._kind.name, agg.id, 0, agg.version)
        if agg.id in self._staged:
            raise ConcurrencyError(self._kind.name, agg.id, 0, self._staged[agg.id].expected + 1)
        stored: A = as_stored(agg, 1)
        self._staged[agg.id] = _Write(True, 0, stored, index_fields(stored))
        return stored

    def update(self, aggregate: A) -> A:
        """Stage a change to an aggregate loaded at ``aggregate.version``; checked against the row at commit.

        Returns it as stored.
        """
        self._uow._check_open()
        agg: Any = aggregate
        staged = self._staged.get(agg.id)
        if staged is not None:
            current: Any = staged.value
            if current.version != agg.version:
                raise ConcurrencyError(self._kind.name, agg.id, agg.version, current.version)
            new, expected = staged.new, staged.expected
        else:
            loaded: Any = self._loaded.get(agg.id)
            if loaded is not None and loaded.version != agg.version:
                raise ConcurrencyError(self._kind.name, agg.id, agg.version, loaded.version)
            new, expected = False, agg.version
        stored: A = as_stored(agg, agg.version + 1)
        self._staged[agg.id] = _Write(new, expected, stored, index_fields(stored))
        return stored

    def _flush(self, written: builtins.list[tuple[tuple[str, str], int, str, Any, Encoded, IndexFields]]) -> None:
        uow, storage, kind = self._uow, self._storage, self._kind.name
        for id in sorted(self._staged):
            write = self._staged[id]
            stored: Any = write.value
            previous = None if write.new else storage._cache.encoded((kind, id), write.expected)
            encoded = storage._encoder.encode(stored, previous)
            document = encoded.text
            index = write.index
            due = None if index.sla_check_at is None else to_micros(index.sla_check_at)
            old_assignees: tuple[str, ...] | None
            if write.new:
                values = {
                    "kind": kind,
                    "id": id,
                    "version": stored.version,
                    "status": index.status,
                    "customer_id": index.customer_id,
                    "sla_check_at": due,
                    "document": document,
                }
                if not uow._write(storage._sql("insert", statements.insert_aggregate), values):
                    raise Conflict(kind, id, 0)
                old_assignees = ()
            else:
                values = {
                    "k": kind,
                    "i": id,
                    "expected": write.expected,
                    "v": stored.version,
                    "s": index.status,
                    "c": index.customer_id,
                    "due": due,
                    "doc": document,
                }
                loaded: Any = self._loaded.get(id)
                before = (
                    storage._cache.index((kind, id), loaded) or self._kind.index(loaded)
                    if loaded is not None and loaded.version == write.expected
                    else None
                )
                shape = (
                    before is None or before.status != index.status,
                    before is None or before.customer_id != index.customer_id,
                    before is None or before.sla_check_at != index.sla_check_at,
                )
                if uow._write(storage._sql(("update", *shape), statements.update_aggregate(*shape)), values) != 1:
                    raise Conflict(kind, id, write.expected)
                old_assignees = None if before is None else before.assignee_ids
            if old_assignees != index.assignee_ids:
                if old_assignees is None or old_assignees:
                    uow._write(storage._sql("delete-assignees", statements.delete_assignees), {"k": kind, "i": id})
                for assignee in dict.fromkeys(index.assignee_ids):
                    uow._write(
                        storage._sql("insert-assignee", statements.insert_assignee),
                        {"kind": kind, "assignee_id": assignee, "aggregate_id": id},
                    )
            written.append(((kind, id), stored.version, document, stored, encoded, index))

    def _reset(self) -> None:
        self._staged.clear()
        self._loaded.clear()


def _id_of(aggregate: Any) -> str:
    return str(aggregate.id)


class SQLAlchemyUnitOfWork:
    """One database transaction over every repository and the outbox. Use once, as a context manager."""

    def __init__(self, storage: SQLAlchemyStorage) -> None:
        self._storage = storage
        self._connection: PoolProxiedConnection | None = None
        self._cursor: Any = None
        self._writing = False
        self._dirty = False  # a write statement ran in the current transaction
        self._active = False  # a statement ran since the transaction last ended
        self._closed = False
        self._repositories: dict[type[Any], SQLAlchemyRepository[Any]] = {}
        self._outbox = SQLAlchemyOutbox(self)

    # --- repositories ----------------------------------------------------------------

    def repository(self, cls: type[A]) -> SQLAlchemyRepository[A]:
        """The repository of aggregate class ``cls``."""
        repository = self._repositories.get(cls)
        if repository is None:
            repository = self._repositories[cls] = SQLAlchemyRepository(self, aggregate_kind(cls))
        found: SQLAlchemyRepository[A] = repository
        return found

    @property
    def requests(self) -> SQLAlchemyRepository[ServiceRequest]:
        """Service requests."""
        return self.repository(ServiceRequest)

    @property
    def agreements(self) -> SQLAlchemyRepository[ServiceAgreement]:
        """Service agreements."""
        return self.repository(ServiceAgreement)

    @property
    def work_orders(self) -> SQLAlchemyRepository[WorkOrder]:
        """Work orders."""
        return self.repository(WorkOrder)

    @property
    def acceptances(self) -> SQLAlchemyRepository[Acceptance]:
        """Acceptances."""
        return self.repository(Acceptance)

    @property
    def complaints(self) -> SQLAlchemyRepository[Complaint]:
        """Complaints."""
        return self.repository(Complaint)

    @property
    def violations(self) -> SQLAlchemyRepository[Violation]:
        """Violations."""
        return self.repository(Violation)

    @property
    def appeals(self) -> SQLAlchemyRepository[Appeal]:
        """Appeals."""
        return self.repository(Appeal)

    @property
    def outbox(self) -> SQLAlchemyOutbox:
        """The transactional outbox."""
        return self._outbox

    # --- the transaction ---------------------------------------------------------------

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._closed = True
            self._release()

    def commit(self) -> None:
        """Write every staged change in one transaction, or none of them."""
        self._check_open()
        dirty = [r for r in self._repositories.values() if r._staged]
        if not dirty and not self._outbox._staged:
            self._end(commit=True)
            self._reset()
            return
        dirty.sort(key=lambda r: r._kind.name)  # one lock order for every writer
        written: list[tuple[tuple[str, str], int, str, Any, Encoded, IndexFields]] = []
        try:
            self._begin_write()
            for repository in dirty:
                repository._flush(written)
            self._outbox._flush()
            self._end(commit=True)
        except Conflict as conflict:
            self._end(commit=False)
            raise self._concurrency_error(conflict) from None
        except DuplicateNotification as duplicate:
            self._end(commit=False)
            raise DuplicateIdError("notification", duplicate.notification_id, "outbox") from None
        except BaseException:
            self._end(commit=False)
            raise
        cache = self._storage._cache
        for key, version, document, aggregate, encoded, index in written:
            cache.put(key, version, document, aggregate, encoded, index)
        self._reset()

    def rollback(self) -> None:
        """Discard staged writes and end the transaction (releasing claimed outbox rows)."""
        self._end(commit=False)
        self._reset()

    # --- internals ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise UnitOfWorkEndedError()

    def _execute(self, sql: Sql, values: Mapping[str, Any]) -> Any:
        self._check_open()
        storage = self._storage
        # a connection that died while idle (a restarted server) fails the first statement of a transaction;
        # nothing of the transaction reached the server then, so it is safe to run it again on a new connection
        retries = 0 if self._active else _RECONNECTS
        if not self._active:
            storage._check_file()  # one stat per transaction: the file may have gone since the last one
        while True:
            cursor = self._cursor
            try:
                if cursor is None:
                    self._connection = storage._checkout()
                    cursor = self._cursor = self._connection.cursor()
                self._active = True
                cursor.execute(sql.text, sql.bind(values))
                return cursor
            except storage._integrity_errors:
                raise
            except storage._driver_errors as exc:
                connection = self._connection
                disconnected = storage._is_disconnect(exc, connection)
                self._broken(exc)
                if disconnected and retries > 0:
                    retries -= 1
                    storage._drop_idle()
                    continue
                raise StorageError(f"the database failed a statement: {driver_message(exc)}") from exc

    def _fetch_one(self, sql: Sql, values: Mapping[str, Any]) -> Any:
        row = self._execute(sql, values).fetchone()
        return row

    def _fetch_all(self, sql: Sql, values: Mapping[str, Any]) -> list[Any]:
        rows: list[Any] = self._execute(sql, values).fetchall()
        return rows

    def _write(self, sql: Sql, values: Mapping[str, Any]) -> int:
        """Rows the statement changed; 0 for an insert that broke a unique key."""
        self._dirty = True
        try:
            count: int = self._execute(sql, values).rowcount
        except self._storage._integrity_errors:
            return 0
        return count

    def _begin_write(self) -> None:
        """Start the write transaction now: SQLite takes its write lock here (other writers wait)."""
        if self._writing:
            return
        if self._storage._sqlite:
            self._storage._check_file()  # after the reads of a command, just before its writes
            self._execute(BEGIN_IMMEDIATE, {})
        self._writing = True

    def _end(self, *, commit: bool) -> None:
        self._writing = False
        connection = self._connection
        if connection is None or not self._active:  # nothing ran since the last end: no round trip
            return
        self._active = False
        # a transaction that only read ends with COMMIT: the same for the data, and on PostgreSQL a
        # ROLLBACK would also drop the connection's prepared statements
        dirty, self._dirty = self._dirty, False
        try:
            if commit or not dirty:
                connection.commit()
            else:
                connection.rollback()
        except self._storage._driver_errors as exc:
            self._broken(exc)
            raise StorageError(f"the database failed to end the transaction: {driver_message(exc)}") from exc

    def _broken(self, exc: BaseException) -> None:
        """After a driver error: roll back what can be, and never reuse a connection that may be dead."""
        connection, self._connection, self._cursor, self._writing = self._connection, None, None, False
        self._dirty = self._active = False
        if connection is not None:
            with contextlib.suppress(*self._storage._driver_errors):
                connection.rollback()
            with contextlib.suppress(*self._storage._driver_errors):
                connection.invalidate(exc if isinstance(exc, Exception) else None)

    def _release(self) -> None:
        connection, self._connection, self._cursor = self._connection, None, None
        if connection is not None:
            self._storage._checkin(connection)

    def _reset(self) -> None:
        for repository in self._repositories.values():
            repository._reset()
        self._outbox._reset()

    def _concurrency_error(self, conflict: Conflict) -> ConcurrencyError:
        if conflict.outbox_message:
            row = self._fetch_one(self._storage._sql("outbox-get", statements.outbox_get), {"i": conflict.id})
        else:
            row = self._fetch_one(
                self._storage._sql("version", statements.get_version), {"k": conflict.kind, "i": conflict.id}
            )
        self._end(commit=False)
        return ConcurrencyError(conflict.kind, conflict.id, conflict.expected, None if row is None else int(row[0]))


__all__ = ["SQLAlchemyRepository", "SQLAlchemyUnitOfWork"]
