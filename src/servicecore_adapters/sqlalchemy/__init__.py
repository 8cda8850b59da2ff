"""SQLAlchemy storage backend: an embedded SQLite file (``"sqlite"``, the default) or PostgreSQL (``"postgresql"``).

Both names build a :class:`SQLAlchemyStorage`; see :mod:`.storage` for how it
works and ``docs/storage.md`` for the options and why aggregates are stored as
documents with indexed columns.
"""

from __future__ import annotations

from servicecore.hookspecs import StorageFactory, hookimpl
from servicecore_adapters.sqlalchemy.unit_of_work import (
    SQLAlchemyOutbox,
    SQLAlchemyRepository,
    SQLAlchemyStorage,
    SQLAlchemyUnitOfWork,
    StorageError,
)


@hookimpl
def servicecore_storage_backends() -> dict[str, StorageFactory]:
    """Provide the ``sqlite`` and ``postgresql`` storage backends."""
    return {
        "sqlite": SQLAlchemyStorage.sqlite_from_options,
        "postgresql": SQLAlchemyStorage.postgresql_from_options,
    }


__all__ = ["SQLAlchemyOutbox", "SQLAlchemyRepository", "SQLAlchemyStorage", "SQLAlchemyUnitOfWork", "StorageError"]
