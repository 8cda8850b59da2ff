"""SQLAlchemy storage: every aggregate kind as a JSON document with indexed columns, on SQLite or PostgreSQL.

This module opens the database (checking, and on request migrating, its
schema) and keeps the driver connections units of work run on; the rest is
split by concern: :mod:`.unit_of_work` (repositories and the transaction),
:mod:`.outbox`, :mod:`.statements` (compiled once per dialect) and
:mod:`.cache` (loaded aggregates). Every driver error becomes a
:class:`~servicecore.StorageError`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import ClauseElement

from servicecore.domain.errors import ConfigurationError, StorageError
from servicecore.storage_kinds import AggregateKind
from servicecore_adapters.sqlalchemy import migrate as migrations
from servicecore_adapters.sqlalchemy.cache import LoadedCache
from servicecore_adapters.sqlalchemy.documents import DocumentEncoder
from servicecore_adapters.sqlalchemy.engine import (
    DEFAULT_SQLITE_PATH,
    SYNCHRONOUS_LEVELS,
    inspect_sqlite_file,
    is_sqlite,
    make_engine,
    parse_url,
    sqlite_url,
)
from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE
from servicecore_adapters.sqlalchemy.statements import Sql, Statements, driver_message, to_micros
from servicecore_adapters.sqlalchemy.unit_of_work import SQLAlchemyUnitOfWork

A = TypeVar("A")

_IDLE_CONNECTIONS = 4


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
            if synchronous.upper() not in SYNCHRONOUS_LEVELS:  # checked before a new file is made
                raise ConfigurationError(
                    f"synchronous: expected one of {', '.join(SYNCHRONOUS_LEVELS)}, got {synchronous!r}"
                )
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                _create_file(Path(parsed.database).expanduser())
            # once there, the file is never created again: deleted behind our back, it is an error, not a new database
            self._engine = make_engine(parsed, synchronous=synchronous, busy_timeout=busy_timeout, create=False)
        self._sqlite = is_sqlite(self._engine)
        self._file: Path | None = None  # the SQLite file, and its identity once opened
        self._file_id: tuple[int, int] | None = None
        self._cache = LoadedCache(cache_size)
        self._encoder = DocumentEncoder()
        dialect = self._engine.dialect
        self._dialect: Dialect = dialect
        self._errors: type[Exception] = dialect.loaded_dbapi.Error
        self._integrity_errors: type[Exception] = dialect.loaded_dbapi.IntegrityError
        # what a driver or the pool may raise: every one of them becomes a StorageError
        self._driver_errors: tuple[type[Exception], ...] = (SQLAlchemyError, self._errors)
        self._statements = Statements(dialect)
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
            raise StorageError(f"cannot open the database: {driver_message(exc)}") from exc
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

    def _sql(self, key: Any, build: Callable[[], ClauseElement]) -> Sql:
        return self._statements.get(key, build)

    def _checkout(self) -> PoolProxiedConnection:
        try:
            return self._idle.pop()  # atomic; skips the pool's checkout and reset work
        except IndexError:
            pass
        try:
            return self._engine.raw_connection()
        except self._driver_errors as exc:  # the pool re-raises the driver's own error when it reconnects
            raise StorageError(f"cannot connect to the database: {driver_message(exc)}") from exc

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
        return self._cache.load(kind, id, version, document)


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


__all__ = ["SQLAlchemyStorage", "StorageError", "to_micros"]
