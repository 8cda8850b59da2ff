"""SQLAlchemy storage backend: an embedded SQLite file (``"sqlite"``, the default) or PostgreSQL (``"postgresql"``).

Both names build a :class:`SQLAlchemyStorage`; see :mod:`.storage` and the modules it
names for how it works and ``docs/storage.md`` for the options and why aggregates are stored as
documents with indexed columns.
"""

from __future__ import annotations

from servicecore.domain.errors import StorageError
from servicecore.hookspecs import StorageFactory, hookimpl
from servicecore_adapters.sqlalchemy.outbox import SQLAlchemyOutbox
from servicecore_adapters.sqlalchemy.storage import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.unit_of_work import SQLAlchemyRepository, SQLAlchemyUnitOfWork


@hookimpl
def servicecore_storage_backends() -> dict[str, StorageFactory]:
    """Provide the ``sqlite`` and ``postgresql`` storage backends."""
    return {
        "sqlite": SQLAlchemyStorage.sqlite_from_options,
        "postgresql": SQLAlchemyStorage.postgresql_from_options,
    }


__all__ = ["SQLAlchemyOutbox", "SQLAlchemyRepository", "SQLAlchemyStorage", "SQLAlchemyUnitOfWork", "StorageError"]
