"""SQLAlchemy storage: every aggregate kind as a JSON document with indexed columns, on SQLite or PostgreSQL.

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

Statements are SQLAlchemy Core constructs, compiled once per dialect and run
on the pooled driver connection: SQLAlchemy's per-call execution machinery
costs more than the database round trip on SQLite. Loaded aggregates are kept
in a small per-backend cache keyed by (kind, id), used only when the row read
from the database still has the same version and the very same document text,
so a cached object is always what is stored; it saves re-validating documents
the library wrote itself.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import attrs
from sqlalchemy import BigInteger, Engine, Integer, bindparam, delete, insert, literal_column, select, update
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import ClauseElement

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.aggregate import as_stored
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.errors import (
    ConcurrencyError,
    ConfigurationError,
    DuplicateIdError,
    NotFoundError,
    StorageError,
    UnitOfWorkEndedError,
)
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage
from servicecore.ports.storage import (
    AggregateKind,
    IndexFields,
    ListQuery,
    aggregate_kind,
    check_due_query,
    check_instant,
    check_limit,
    index_fields,
    list_query,
)
from servicecore.serialization import structure, unstructure
from servicecore_adapters.sqlalchemy import migrate as migrations
from servicecore_adapters.sqlalchemy.documents import DocumentEncoder, Encoded, dumps
from servicecore_adapters.sqlalchemy.engine import (
    DEFAULT_SQLITE_PATH,
    inspect_sqlite_file,
    is_sqlite,
    make_engine,
    parse_url,
    sqlite_url,
)
from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE, aggregates, assignees, outbox

A = TypeVar("A")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IDLE_CONNECTIONS = 4
_RECONNECTS = 2  # a dead kept connection, then possibly a dead pooled one (engines without pre-ping)


def to_micros(instant: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01 UTC (exact, sortable by instant)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class _Conflict(Exception):
    """A compare-and-set write found another version; turned into ConcurrencyError after rollback."""

    def __init__(self, kind: str, id: str, expected: int, outbox_message: bool = False) -> None:
        super().__init__(kind, id)
        self.kind, self.id, self.expected, self.outbox_message = kind, id, expected, outbox_message


class _DuplicateNotification(Exception):
    def __init__(self, notification_id: str) -> None:
        super().__init__(notification_id)
        self.notification_id = notification_id


class _LoadedCache:
    """Aggregates as last read or written, by (kind, id), with the version and document they were stored as
    (and, when this process wrote them, the pieces of that document, to re-encode only what changes next, and
    the index fields written with it, to leave unchanged index entries alone)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[int, str, Any, Encoded | None, IndexFields | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], version: int, document: str) -> Any | None:
        entry = self._entries.get(key)  # a single dict read needs no lock; eviction is oldest-written first
        if entry is None or entry[0] != version or entry[1] != document:
            return None
        return entry[2]

    def encoded(self, key: tuple[str, str], version: int) -> Encoded | None:
        entry = self._entries.get(key)
        return entry[3] if entry is not None and entry[0] == version else None

    def index(self, key: tuple[str, str], aggregate: Any) -> IndexFields | None:
        """The index fields written with ``aggregate``, if it is the very object cached."""
        entry = self._entries.get(key)
        return entry[4] if entry is not None and entry[2] is aggregate else None

    def put(
        self,
        key: tuple[str, str],
        version: int,
        document: str,
        aggregate: Any,
        encoded: Encoded | None,
        index: IndexFields | None = None,
    ) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._entries[key] = (version, document, aggregate, encoded, index)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_OPTION_TYPES: Mapping[str, tuple[type[Any], ...]] = {
    "url": (str, URL),
    "path": (str, Path),
    "migrate": (bool,),
    "synchronous": (str,),
    "busy_timeout": (int, float),
    "cache_size": (int,),
    "create": (bool,),
}


class SQLAlchemyStorage:
    """A storage backend on a SQLAlchemy engine: a SQLite file or a PostgreSQL database.

    ``target`` is a database URL (``sqlite:///path/to/file.sqlite3``,
    ``postgresql+psycopg://user@host/db``), a file path (SQLite), or an
    :class:`~sqlalchemy.Engine` you built with
    :func:`servicecore_adapters.sqlalchemy.engine.make_engine`.

    ``migrate``: bring the schema to the newest revision on start. Default:
    yes for SQLite (an embedded file the application owns), no for PostgreSQL,
    where schema changes are a deployment step (``servicecore db upgrade``); a
    database that is not at the newest revision is then refused with a
    :class:`~servicecore.ConfigurationError` saying what to run.
    ``synchronous`` and ``busy_timeout`` (seconds) apply to SQLite; see
    :func:`~servicecore_adapters.sqlalchemy.engine.make_engine`. ``cache_size``
    bounds the cache of loaded aggregates (0 turns it off).

    SQLite files are looked at read-only before anything else: a file holding
    some other application's tables (no ``servicecore_alembic_version``), a
    file that is not a SQLite database, and a file at a schema revision this
    package does not know (a newer servicecore wrote it) are refused with a
    :class:`~servicecore.ConfigurationError` and left byte for byte as they
    were. ``create`` (default yes): a missing or empty file is created and
    migrated; with ``create=False`` it is refused instead.

    Every failure of the database or its driver, at connect, in a statement
    or at commit, is a :class:`~servicecore.StorageError` with the driver's
    exception as ``__cause__``. A connection found dead when a unit of work
    starts (the server restarted) is replaced and the statement run again,
    so a restart costs no failed command.
    """

    def __init__(
        self,
        target: str | Path | URL | Engine,
        *,
        migrate: bool | None = None,
        synchronous: str = "NORMAL",
        busy_timeout: float = 30.0,
        cache_size: int = 512,
        create: bool = True,
    ) -> None:
        if isinstance(target, Engine):
            _check_sqlite_file(target.url, create)
            self._engine = target
        else:
            url: str | URL
            if isinstance(target, Path) or (isinstance(target, str) and "://" not in target):
                url = sqlite_url(target)
            else:
                url = target
            parsed = parse_url(url)
            # a refused file is never opened for writing: no WAL switch, no tables, not a byte changed
            _check_sqlite_file(parsed, create)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                _create_file(Path(parsed.database).expanduser())
            # once there, the file is never created again: deleted behind our back, it is an error, not a new database
            self._engine = make_engine(parsed, synchronous=synchronous, busy_timeout=busy_timeout, create=False)
        self._sqlite = is_sqlite(self._engine)
        self._file: Path | None = None  # the SQLite file, and its identity once opened
        self._file_id: tuple[int, int] | None = None
        self._cache = _LoadedCache(cache_size)
        self._encoder = DocumentEncoder()
        dialect = self._engine.dialect
        self._dialect: Dialect = dialect
        self._errors: type[Exception] = dialect.loaded_dbapi.Error
        self._integrity_errors: type[Exception] = dialect.loaded_dbapi.IntegrityError
        # what a driver or the pool may raise: every one of them becomes a StorageError
        self._driver_errors: tuple[type[Exception], ...] = (SQLAlchemyError, self._errors)
        self._statements: dict[Any, _Sql] = {}
        self._idle: list[PoolProxiedConnection] = []  # checked-out driver connections kept for the next unit of work
        try:
            current = migrations.current_revision(self._engine)
            migrations.check_known(self._engine, current)
            if migrate if migrate is not None else self._sqlite:
                if current != migrations.head_revision():
                    migrations.upgrade(self._engine)
            else:
                migrations.require_current(self._engine)
            self._remember_file()
        except self._driver_errors as exc:
            self._engine.dispose()
            raise StorageError(f"cannot open the database: {_driver_message(exc)}") from exc
        except BaseException:
            self._engine.dispose()
            raise

    # --- construction from plugin options --------------------------------------

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SQLAlchemyStorage:
        """A backend from plugin-style options: ``url`` (required, SQLite or PostgreSQL) plus the common options."""
        checked = _check_options(options)
        if "url" not in checked:
            raise ConfigurationError("url: the sqlalchemy storage needs a database URL")
        return cls._build(checked, checked.pop("url"))

    @classmethod
    def sqlite_from_options(cls, options: Mapping[str, Any]) -> SQLAlchemyStorage:
        """Factory for the ``sqlite`` name: ``path`` (default ``servicecore.sqlite3`` in the working
        directory) or a ``sqlite:///`` ``url``, plus ``synchronous``, ``busy_timeout``, ``migrate``, ``cache_size``
        and ``create``."""
        checked = _check_options(options)
        if "url" in checked and "path" in checked:
            raise ConfigurationError("path: give either path or url, not both")
        if "url" in checked:
            url = parse_url(checked.pop("url"))
            if url.get_backend_name() != "sqlite":
                raise ConfigurationError(f"url: the sqlite storage needs a sqlite:/// URL, got {url.drivername!r}")
        else:
            url = sqlite_url(Path(checked.pop("path", DEFAULT_SQLITE_PATH)).expanduser())
        return cls._build(checked, url)

    @classmethod
    def postgresql_from_options(cls, options: Mapping[str, Any]) -> SQLAlchemyStorage:
        """Factory for the ``postgresql`` name: ``url`` (``postgresql+psycopg://...``, required),
        ``migrate`` (default false) and ``cache_size``."""
        checked = _check_options(options)
        if "path" in checked:
            raise ConfigurationError("path: the postgresql storage takes a url, not a path")
        if "url" not in checked:
            raise ConfigurationError("url: the postgresql storage needs a postgresql+psycopg:// URL")
        url = parse_url(checked.pop("url"))
        if url.get_backend_name() != "postgresql":
            raise ConfigurationError(f"url: the postgresql storage needs a PostgreSQL URL, got {url.drivername!r}")
        return cls._build(checked, url)

    @classmethod
    def _build(cls, options: dict[str, Any], url: str | URL) -> SQLAlchemyStorage:
        return cls(
            url,
            migrate=options.get("migrate"),
            synchronous=options.get("synchronous", "NORMAL"),
            busy_timeout=float(options.get("busy_timeout", 30.0)),
            cache_size=options.get("cache_size", 512),
            create=options.get("create", True),
        )

    # --- the port ---------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tooling; servicecore code goes through units of work)."""
        return self._engine

    def unit_of_work(self) -> SQLAlchemyUnitOfWork:
        """A new unit of work (one transaction)."""
        return SQLAlchemyUnitOfWork(self)

    def close(self) -> None:
        """Close every pooled connection."""
        while self._idle:
            connection = self._idle.pop()
            with contextlib.suppress(*self._driver_errors):  # a connection the server already dropped
                connection.close()
        self._engine.dispose()

    # --- shared by units of work ---------------------------------------------------

    def _remember_file(self) -> None:
        database = self._engine.url.database
        if not self._sqlite or not database or database == ":memory:" or database.startswith("file:"):
            return
        self._file = Path(database).expanduser().absolute()
        found = os.stat(self._file)
        self._file_id = (found.st_dev, found.st_ino)

    def _check_file(self) -> None:
        """Refuse to go on when the SQLite file was deleted or replaced since it was opened: the open
        connections would keep writing into the unlinked file, and every later write would be lost."""
        if self._file_id is None or self._file is None:
            return
        try:
            found = os.stat(self._file)
        except OSError:
            found = None
        if found is None or (found.st_dev, found.st_ino) != self._file_id:
            what = "deleted" if found is None else "replaced by another file"
            raise StorageError(
                f"the database file {self._file} was {what} while the application had it open; "
                "nothing was written. Restore the file, then restart the application"
            )

    def _sql(self, key: Any, build: Callable[[], ClauseElement]) -> _Sql:
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = _Sql(build(), self._dialect)
        return found

    def _checkout(self) -> PoolProxiedConnection:
        try:
            return self._idle.pop()  # atomic; skips the pool's checkout and reset work
        except IndexError:
            pass
        try:
            return self._engine.raw_connection()
        except self._driver_errors as exc:  # the pool re-raises the driver's own error when it reconnects
            raise StorageError(f"cannot connect to the database: {_driver_message(exc)}") from exc

    def _drop_idle(self) -> None:
        """Close the kept connections: after one was found dead (a restarted server), the others are too."""
        while self._idle:
            connection = self._idle.pop()
            with contextlib.suppress(*self._driver_errors):
                connection.invalidate()

    def _is_disconnect(self, exc: BaseException, connection: PoolProxiedConnection | None) -> bool:
        raw = connection.dbapi_connection if connection is not None else None
        error: Any = exc  # the dialect's DB-API error type, checked on the line below
        return isinstance(exc, self._errors) and self._dialect.is_disconnect(error, raw, None)

    def _checkin(self, connection: PoolProxiedConnection) -> None:
        if len(self._idle) < _IDLE_CONNECTIONS:
            self._idle.append(connection)
        else:
            connection.close()

    def _load(self, kind: AggregateKind[A], id: str, version: int, document: str) -> A:
        key = (kind.name, id)
        cached: A | None = self._cache.get(key, version, document)
        if cached is not None:
            return cached
        aggregate: Any = structure(json.loads(document), kind.cls)
        if aggregate.version != version:  # the column is authoritative
            aggregate = attrs.evolve(aggregate, version=version)
        self._cache.put(key, version, document, aggregate, None)
        loaded: A = aggregate
        return loaded


def _driver_message(exc: BaseException) -> str:
    """The driver's own message (without SQLAlchemy's wrapping and links)."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text if len(text) <= 500 else text[:499] + "…"


def _create_file(path: Path) -> None:
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()  # an empty file: SQLite writes nothing until the first table
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot create the database file {path}: {exc}") from exc


def _check_sqlite_file(url: URL, create: bool) -> None:
    """Refuse what must not be opened, before opening it (SQLite files only; a PostgreSQL database is
    checked by its revision once connected)."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    found = inspect_sqlite_file(url.database, VERSION_TABLE)
    if found.kind in {"foreign", "not-sqlite"}:
        raise ConfigurationError(
            f"{found.describe()}; servicecore refuses it and leaves it untouched. Check the path; to add "
            f"servicecore's tables to this file on purpose, run `servicecore db upgrade --path {found.path}`"
        )
    if found.kind in {"missing", "empty"} and not create:
        raise ConfigurationError(
            f"{found.describe()} and creating one was not asked for: check the path, or create it "
            "(`--create` on the command line, the storage option create=true)"
        )
    if found.revision is not None and found.revision not in migrations.known_revisions():
        raise migrations.newer_schema_error(str(found.path), found.revision)


def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in options.items():
        types = _OPTION_TYPES.get(name)
        if types is None:
            raise ConfigurationError(f"{name}: unknown storage option; known: {', '.join(sorted(_OPTION_TYPES))}")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join(t.__name__ for t in types)
            raise ConfigurationError(f"{name}: expected {expected}, got {value!r}")
        checked[name] = value
    if "busy_timeout" in checked and checked["busy_timeout"] <= 0:
        raise ConfigurationError(f"busy_timeout: must be positive, got {checked['busy_timeout']!r}")
    if "cache_size" in checked and checked["cache_size"] < 0:
        raise ConfigurationError(f"cache_size: must not be negative, got {checked['cache_size']!r}")
    return checked


# --- statements, compiled once per dialect ------------------------------------------------


class _Sql:
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


def _get() -> ClauseElement:
    return select(_A.version, _A.document).where(_A.kind == _param("k"), _A.id == _param("i"))


def _get_version() -> ClauseElement:
    return select(_A.version).where(_A.kind == _param("k"), _A.id == _param("i"))


def _insert() -> ClauseElement:
    return insert(aggregates)


def _update(status: bool, customer: bool, due: bool) -> Callable[[], ClauseElement]:
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


def _delete_assignees() -> ClauseElement:
    return delete(assignees).where(assignees.c.kind == _param("k"), assignees.c.aggregate_id == _param("i"))


def _insert_assignee() -> ClauseElement:
    return insert(assignees)


def _list(status: bool, customer: bool, assignee: bool) -> Callable[[], ClauseElement]:
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


def _sla_scan() -> ClauseElement:
    return (
        select(_A.id, _A.version, _A.document, _A.sla_check_at)
        .where(_A.kind == _param("k"), _A.sla_check_at.is_not(None), _A.sla_check_at <= _param("at"))
        .order_by(_A.sla_check_at, _A.id)
        .limit(_param("lim"))
    )


def _outbox_get() -> ClauseElement:
    return select(_O.version, _O.document).where(_O.id == _param("i"))


def _outbox_insert() -> ClauseElement:
    return insert(outbox)


def _outbox_update() -> ClauseElement:
    return (
        update(outbox)
        .where(_O.id == _param("i"), _O.version == _param("base"))
        .values(status=_param("s"), version=_param("v"), due_at=_param("due"), document=_param("doc"))
    )


def _outbox_pending() -> ClauseElement:
    return select(_O.id, _O.document, _O.version).where(_IS_PENDING).order_by(_O.created_at, _O.id).limit(_param("lim"))


def _outbox_due(lock: bool) -> Callable[[], ClauseElement]:
    def build() -> ClauseElement:
        statement = (
            select(_O.id, _O.document, _O.version)
            .where(_IS_PENDING, _O.due_at <= _param("at"))
            .order_by(_O.due_at, _O.created_at, _O.id)
            .limit(_param("lim"))
        )
        return statement.with_for_update(skip_locked=True) if lock else statement

    return build


def _merge_page(found: Iterable[tuple[Any, A]], staged: Iterable[tuple[Any, A]], limit: int, offset: int) -> list[A]:
    """One page of the rows from the database merged with the unit of work's own matching rows."""
    rows = sorted([*found, *staged], key=lambda item: item[0])
    return [row for _, row in rows[offset : offset + limit]]


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
        row = self._uow._fetch_one(self._storage._sql("get", _get), {"k": self._kind.name, "i": id})
        if row is None:
            raise NotFoundError(self._kind.name, id)
        aggregate = self._storage._load(self._kind, id, row[0], row[1])
        self._loaded[id] = aggregate
        return aggregate

    def list(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[A]:
        """One page of aggregates ordered by id, filtered by the database's indexes."""
        query = list_query(
            status=status, customer_id=customer_id, assignee_id=assignee_id, limit=limit, offset=offset, kind=self._kind
        )
        shape = (status is not None, customer_id is not None, assignee_id is not None)
        sql = self._storage._sql(("list", *shape), _list(*shape))
        values = {"k": self._kind.name, "s": status, "c": customer_id, "a": assignee_id}
        if not self._staged:
            return self._rows(sql, {**values, "lim": query.limit, "off": query.offset})
        # the database's rows without this unit of work's own versions of them, merged with those
        found = self._rows(sql, {**values, "lim": query.offset + query.limit + len(self._staged), "off": 0})
        theirs = [(_id_of(a), a) for a in found if _id_of(a) not in self._staged]
        mine = [(id, w.value) for id, w in self._staged.items() if _matches(w.index, query)]
        return _merge_page(theirs, mine, query.limit, query.offset)

    def due_for_sla(self, *, at_or_before: datetime, limit: int = 100) -> Sequence[A]:
        """Aggregates whose SLA check is due, by (check instant, id), from the partial index."""
        instant, count = check_due_query(at_or_before, limit)
        rows = self._uow._fetch_all(
            self._storage._sql("sla", _sla_scan),
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
        return _merge_page(theirs, mine, count, 0)

    def _rows(self, sql: _Sql, values: Mapping[str, Any]) -> builtins.list[A]:
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
                if not uow._write(storage._sql("insert", _insert), values):
                    raise _Conflict(kind, id, 0)
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
                if uow._write(storage._sql(("update", *shape), _update(*shape)), values) != 1:
                    raise _Conflict(kind, id, write.expected)
                old_assignees = None if before is None else before.assignee_ids
            if old_assignees != index.assignee_ids:
                if old_assignees is None or old_assignees:
                    uow._write(storage._sql("delete-assignees", _delete_assignees), {"k": kind, "i": id})
                for assignee in dict.fromkeys(index.assignee_ids):
                    uow._write(
                        storage._sql("insert-assignee", _insert_assignee),
                        {"kind": kind, "assignee_id": assignee, "aggregate_id": id},
                    )
            written.append(((kind, id), stored.version, document, stored, encoded, index))

    def _reset(self) -> None:
        self._staged.clear()
        self._loaded.clear()


def _id_of(aggregate: Any) -> str:
    return str(aggregate.id)


@attrs.define
class _OutboxWrite:
    new: bool
    base_version: int  # the version the stored row must still have
    message: OutboxMessage


def _due_key(message: OutboxMessage) -> tuple[int, int, str]:
    return to_micros(message.due_from()), to_micros(message.notification.created_at), message.notification.id


def _pending_key(message: OutboxMessage) -> tuple[int, str]:
    return to_micros(message.notification.created_at), message.notification.id


class SQLAlchemyOutbox:
    """The outbox inside a :class:`SQLAlchemyUnitOfWork`: staged like the repositories."""

    def __init__(self, uow: SQLAlchemyUnitOfWork) -> None:
        self._uow = uow
        self._storage = uow._storage
        self._staged: dict[str, _OutboxWrite] = {}
        # messages as this unit of work read them, with their row versions: the base of the writes staged after
        self._read: dict[str, tuple[int, OutboxMessage]] = {}

    def add(self, notification: Notification) -> None:
        """Queue a notification; a notification id already queued fails (here or at commit)."""
        self._uow._check_open()
        if notification.id in self._staged:
            raise DuplicateIdError("notification", notification.id, "outbox")
        self._staged[notification.id] = _OutboxWrite(True, 0, OutboxMessage(notification=notification))

    def get(self, notification_id: str) -> OutboxMessage:
        """One message by notification id."""
        staged = self._staged.get(notification_id)
        if staged is not None:
            return staged.message
        read = self._read.get(notification_id)
        if read is not None:
            return read[1]
        row = self._uow._fetch_one(self._storage._sql("outbox-get", _outbox_get), {"i": notification_id})
        if row is None:
            raise NotFoundError("OutboxMessage", notification_id)
        message = structure(json.loads(row[1]), OutboxMessage)
        self._read[notification_id] = (int(row[0]), message)
        return message

    def pending(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """Undelivered messages, oldest first."""
        count = check_limit(limit)
        found = self._query(self._storage._sql("outbox-pending", _outbox_pending), {}, count)
        return self._merged(found, count, _pending_key, lambda m: True)

    def due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages due at ``at``."""
        return self._due(at, limit, lock=False)

    def claim_due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Due messages, locked for this unit of work (skipped by other claims on PostgreSQL)."""
        return self._due(at, limit, lock=True)

    def _due(self, at: datetime, limit: int, *, lock: bool) -> Sequence[OutboxMessage]:
        instant, count = check_instant("at", at), check_limit(limit)
        if lock:
            self._uow._begin_write()
        sql = self._storage._sql(("outbox-due", lock), _outbox_due(lock))
        found = self._query(sql, {"at": to_micros(instant)}, count)
        return self._merged(found, count, _due_key, lambda m: m.due_from() <= instant)

    def _query(self, sql: _Sql, values: Mapping[str, Any], count: int) -> list[OutboxMessage]:
        rows = self._uow._fetch_all(sql, {**values, "lim": count + len(self._staged)})
        found = []
        for row in rows:
            if row[0] not in self._staged:
                message = structure(json.loads(row[1]), OutboxMessage)
                self._read[row[0]] = (int(row[2]), message)
                found.append(message)
        return found

    def _merged(
        self,
        found: list[OutboxMessage],
        count: int,
        key: Callable[[OutboxMessage], Any],
        keep: Callable[[OutboxMessage], bool],
    ) -> list[OutboxMessage]:
        if not self._staged:
            return found[:count]
        mine = [
            (key(w.message), w.message)
            for w in self._staged.values()
            if w.message.status is DeliveryStatus.PENDING and keep(w.message)
        ]
        return _merge_page(((key(m), m) for m in found), mine, count, 0)

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a delivery."""
        check_instant("at", at)
        message = self.get(notification_id)
        self._stage(message, message.delivered(at=at))

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
        self._stage(message, message.failed(at=at, error=error, final=final, retry_at=retry_at))

    def mark_claimed(self, notification_id: str, *, until: datetime | None) -> None:
        """Hold the message for a dispatcher until ``until`` (``None``: release it); the row's version moves on,
        so a dispatcher whose claim was taken over cannot record over the new one."""
        if until is not None:
            check_instant("until", until)
        message = self.get(notification_id)
        self._stage(message, message.claimed(until=until))

    def _stage(self, before: OutboxMessage, after: OutboxMessage) -> None:
        self._uow._check_open()
        notification_id = before.notification.id
        staged = self._staged.get(notification_id)
        if staged is not None:
            staged.message = after
        else:
            self._staged[notification_id] = _OutboxWrite(False, self._read[notification_id][0], after)

    def _flush(self) -> None:
        uow, storage = self._uow, self._storage
        for notification_id in sorted(self._staged):
            write = self._staged[notification_id]
            message = write.message
            document = dumps(unstructure(message))
            due = to_micros(message.due_from())
            if write.new:
                values = {
                    "id": notification_id,
                    "status": message.status.value,
                    "version": 0,
                    "created_at": to_micros(message.notification.created_at),
                    "due_at": due,
                    "document": document,
                }
                if not uow._write(storage._sql("outbox-insert", _outbox_insert), values):
                    raise _DuplicateNotification(notification_id)
            else:
                values = {
                    "i": notification_id,
                    "base": write.base_version,
                    "s": message.status.value,
                    "v": write.base_version + 1,
                    "due": due,
                    "doc": document,
                }
                if uow._write(storage._sql("outbox-update", _outbox_update), values) != 1:
                    raise _Conflict("OutboxMessage", notification_id, write.base_version, outbox_message=True)

    def _reset(self) -> None:
        self._staged.clear()
        self._read.clear()


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
        except _Conflict as conflict:
            self._end(commit=False)
            raise self._concurrency_error(conflict) from None
        except _DuplicateNotification as duplicate:
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

    def _execute(self, sql: _Sql, values: Mapping[str, Any]) -> Any:
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
                raise StorageError(f"the database failed a statement: {_driver_message(exc)}") from exc

    def _fetch_one(self, sql: _Sql, values: Mapping[str, Any]) -> Any:
        row = self._execute(sql, values).fetchone()
        return row

    def _fetch_all(self, sql: _Sql, values: Mapping[str, Any]) -> list[Any]:
        rows: list[Any] = self._execute(sql, values).fetchall()
        return rows

    def _write(self, sql: _Sql, values: Mapping[str, Any]) -> int:
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
            self._execute(_BEGIN_IMMEDIATE, {})
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
            raise StorageError(f"the database failed to end the transaction: {_driver_message(exc)}") from exc

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

    def _concurrency_error(self, conflict: _Conflict) -> ConcurrencyError:
        if conflict.outbox_message:
            row = self._fetch_one(self._storage._sql("outbox-get", _outbox_get), {"i": conflict.id})
        else:
            row = self._fetch_one(self._storage._sql("version", _get_version), {"k": conflict.kind, "i": conflict.id})
        self._end(commit=False)
        return ConcurrencyError(conflict.kind, conflict.id, conflict.expected, None if row is None else int(row[0]))


class _Literal:
    """A statement with no parameters, run as written."""

    names: tuple[str, ...] = ()

    def __init__(self, text: str) -> None:
        self.text = text

    def bind(self, values: Mapping[str, Any]) -> tuple[()]:
        return ()


_BEGIN_IMMEDIATE: Any = _Literal("BEGIN IMMEDIATE")


__all__ = [
    "SQLAlchemyOutbox",
    "SQLAlchemyRepository",
    "SQLAlchemyStorage",
    "SQLAlchemyUnitOfWork",
    "StorageError",
    "to_micros",
]
