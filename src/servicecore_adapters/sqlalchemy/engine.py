"""Engines for the SQLAlchemy storage: SQLite files in WAL mode, PostgreSQL through psycopg 3.

SQLite connections are put in the driver's autocommit mode: a read runs on its
own and holds no lock, and the storage opens write transactions itself with
``BEGIN IMMEDIATE``, so two writers never both read and then deadlock on the
upgrade to a write lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from servicecore.domain.errors import ConfigurationError

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


def make_engine(url: str | URL, *, synchronous: str = "NORMAL", busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up the way the storage expects.

    SQLite: WAL journal, ``PRAGMA synchronous`` as given (``NORMAL`` survives a
    crash of the application but may lose the last commits on power loss;
    ``FULL`` does not, at a price per commit), foreign keys on, and
    ``busy_timeout`` seconds of waiting for another writer before giving up.
    """
    parsed = parse_url(url)
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ConfigurationError(f"synchronous: expected one of {', '.join(SYNCHRONOUS_LEVELS)}, got {synchronous!r}")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, **kwargs)
    if parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
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


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


__all__ = ["DEFAULT_SQLITE_PATH", "SYNCHRONOUS_LEVELS", "is_sqlite", "make_engine", "parse_url", "sqlite_url"]
