"""Schema migrations: the Alembic scripts shipped in this package, run from code or the CLI.

``servicecore db upgrade --url URL`` (or :func:`upgrade`) brings a database to
the newest revision. Upgrades are serialised: on SQLite inside one
``BEGIN IMMEDIATE`` transaction, on PostgreSQL under a transaction-scoped
advisory lock, so several processes starting on a fresh database at once are
safe. Revisions are recorded in ``servicecore_alembic_version``, apart from any
Alembic history the application keeps itself. A database at a revision this
package does not ship was written by a newer servicecore: it is refused with
a :class:`~servicecore.ConfigurationError` naming the revision, never touched.

Alembic is imported when a function here first needs it, not with the storage
adapter: opening a database checks its revision, but importing the adapter
costs no Alembic.
"""

from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from servicecore.domain.errors import ConfigurationError
from servicecore_adapters.sqlalchemy.engine import is_sqlite
from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = Path(__file__).with_name("migrations")
"""The folder of the Alembic environment and revision scripts."""

_ADVISORY_LOCK = 7_301_955_624  # any constant; names servicecore's upgrade lock on PostgreSQL


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for servicecore's migrations, bound to ``connection`` if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision the package ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package always ships at least one revision
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision the package ships."""
    from alembic.script import ScriptDirectory

    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def package_version() -> str:
    """The installed servicecore version (for messages)."""
    try:
        return metadata.version("servicecore")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "(source tree)"


def newer_schema_error(where: str, revision: str) -> ConfigurationError:
    """The error for a database at ``revision``, which this package does not ship: a newer servicecore wrote it."""
    return ConfigurationError(
        f"the database {where} is at schema revision {revision!r}, which servicecore {package_version()} does not "
        f"know (it ships revisions up to {head_revision()}): a newer servicecore version created or upgraded it. "
        "Use that servicecore version or a later one; `servicecore db upgrade` of this version cannot help and "
        "leaves the database as it is"
    )


def check_known(engine: Engine, revision: str | None) -> None:
    """Raise :func:`newer_schema_error` if ``revision`` is not one this package ships."""
    if revision is not None and revision not in known_revisions():
        raise newer_schema_error(engine.url.render_as_string(hide_password=True), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: no servicecore schema yet)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest), in one serialised transaction."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.util import CommandError

    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        check_known(engine, context.get_current_revision())
        try:
            command.upgrade(alembic_config(connection), revision)
        except CommandError as exc:
            raise ConfigurationError(f"revision: {exc}") from None
        connection.commit()


def require_current(engine: Engine) -> None:
    """Raise :class:`ConfigurationError` unless the database is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    check_known(engine, current)
    if current != head:
        found = "has no servicecore schema" if current is None else f"is at revision {current}"
        raise ConfigurationError(
            f"the database {engine.url.render_as_string(hide_password=True)} {found}; this servicecore needs "
            f"revision {head}: run `servicecore db upgrade --url ...`, or pass the storage option migrate=true"
        )


__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "check_known",
    "current_revision",
    "head_revision",
    "known_revisions",
    "newer_schema_error",
    "package_version",
    "require_current",
    "upgrade",
]
