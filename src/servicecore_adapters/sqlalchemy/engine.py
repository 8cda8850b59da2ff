"""Engines for the SQLAlchemy storage: SQLite files in WAL mode, PostgreSQL through psycopg 3.

SQLite connections are put in the driver's autocommit mode: a read runs on its
own and holds no lock, and the storage opens write transactions itself with
``BEGIN IMMEDIATE``, so two writers never both read and then deadlock on the
upgrade to a write lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from servicecore.domain.errors import ConfigurationError, StorageError

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
"""SQLite ``PRAGMA synchronous`` values accepted by the ``synchronous`` option."""

DEFAULT_SQLITE_PATH = "servicecore.sqlite3"
"""Where the ``sqlite`` backend keeps its file when no ``path`` or ``url`` is given (relative to the
working directory)."""


def sqlite_url(path: str | Path) -> URL:
    """The SQLAlchemy URL of the SQLite file at ``path``."""
    return URL.create("sqlite+pysqlite", database=str(Path(path)))


def parse_url(url: str | URL) -> URL:
    """``url`` as a SQLAlchemy URL; :class:`ConfigurationError` naming ``url`` if it is not one."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"url: not a database URL: {exc}") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigurationError(f"url: servicecore stores data in SQLite or PostgreSQL, not {parsed.drivername!r}")
    if parsed.get_backend_name() == "sqlite" and parsed.database in {None, "", ":memory:"}:
        raise ConfigurationError(
            "url: an in-memory SQLite database lives in one connection only; "
            "give a file path, or use the 'memory' storage backend"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver servicecore ships for
    return parsed


def make_engine(
    url: str | URL,
    *,
    synchronous: str = "NORMAL",
    busy_timeout: float = 30.0,
    create: bool = True,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url`` set up the way the storage expects.

    SQLite: WAL journal, ``PRAGMA synchronous`` as given (``NORMAL`` survives a
    crash of the application but may lose the last commits on power loss;
    ``FULL`` does not, at a price per commit), foreign keys on, and
    ``busy_timeout`` seconds of waiting for another writer before giving up.
    ``create=False`` opens the file only if it exists (a connection never
    creates it, so a file deleted or mistyped is an error, not a new empty
    database). PostgreSQL: connections taken from the pool are checked first
    (``pool_pre_ping``), so a restarted server costs no failed command.
    """
    parsed = parse_url(url)
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ConfigurationError(f"synchronous: expected one of {', '.join(SYNCHRONOUS_LEVELS)}, got {synchronous!r}")
    if parsed.get_backend_name() != "sqlite":
        _require_psycopg()
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    if parsed.database and create:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if not create and parsed.database:
        uri = _file_uri(Path(parsed.database), "rw")
        kwargs["creator"] = lambda: sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
    engine = create_engine(parsed, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **kwargs)
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the storage issues BEGIN IMMEDIATE / COMMIT itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={level}")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401  # only to say plainly what is missing
    except ImportError:
        raise ConfigurationError(
            'url: PostgreSQL needs the psycopg driver, which is not installed: pip install "servicecore[postgresql]"'
        ) from None


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


def _file_uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path.expanduser().absolute()))}?mode={mode}"


@attrs.frozen
class SqliteFile:
    """What a SQLite path holds, as seen without changing a byte of it.

    ``kind`` is ``"missing"`` (no file), ``"empty"`` (a file without tables),
    ``"servicecore"`` (servicecore's revision table is there; ``revision`` is
    the revision it records), ``"foreign"`` (tables, but not servicecore's;
    ``tables`` names them) or ``"not-sqlite"`` (not a SQLite database;
    ``problem`` says what SQLite said).
    """

    path: Path
    kind: str
    revision: str | None = None
    tables: tuple[str, ...] = ()
    problem: str = ""

    def describe(self) -> str:
        """One line for an error message: what was found at the path."""
        if self.kind == "foreign":
            shown = ", ".join(self.tables[:8]) + (f" and {len(self.tables) - 8} more" if len(self.tables) > 8 else "")
            return f"{self.path} is a SQLite database of something else (tables: {shown}), not servicecore's"
        if self.kind == "not-sqlite":
            return f"{self.path} is not a SQLite database ({self.problem})"
        if self.kind == "missing":
            return f"there is no database file at {self.path}"
        if self.kind == "empty":
            return f"{self.path} is an empty database"
        return f"{self.path} is a servicecore database at revision {self.revision}"


def inspect_sqlite_file(path: str | Path, version_table: str) -> SqliteFile:
    """Look at the SQLite file at ``path`` read-only: what it holds (see :class:`SqliteFile`).

    The file is opened with ``mode=ro`` and no pragma is set, so a file that
    is then refused is left exactly as it was. A file that cannot be read
    (locked, a folder, no permission) is a :class:`~servicecore.StorageError`
    saying so.
    """
    where = Path(path).expanduser()
    if not where.exists():
        return SqliteFile(where, "missing")
    if where.is_dir():
        raise StorageError(
            f"cannot read {where}: it is a directory, not a database file: give the path of a file, such as "
            f"{where / DEFAULT_SQLITE_PATH}"
        )
    if where.is_file() and where.stat().st_size == 0:
        return SqliteFile(where, "empty")
    try:
        connection = sqlite3.connect(_file_uri(where, "ro"), uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {where}: {exc}") from exc
    try:
        tables = tuple(
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        )
        if not tables:
            return SqliteFile(where, "empty")
        if version_table not in tables:
            return SqliteFile(where, "foreign", tables=tables)
        row = connection.execute(f"SELECT version_num FROM {version_table}").fetchone()  # our own table name
        return SqliteFile(where, "servicecore", revision=None if row is None else str(row[0]), tables=tables)
    except sqlite3.OperationalError as exc:  # locked, unreadable: a failure, not a verdict on the file
        raise StorageError(f"cannot read {where}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        return SqliteFile(where, "not-sqlite", problem=str(exc))
    finally:
        connection.close()


__all__ = [
    "DEFAULT_SQLITE_PATH",
    "SYNCHRONOUS_LEVELS",
    "SqliteFile",
    "inspect_sqlite_file",
    "is_sqlite",
    "make_engine",
    "parse_url",
    "sqlite_url",
]
