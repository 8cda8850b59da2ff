"""In-memory storage backend, registered as ``"memory"``."""

from __future__ import annotations

from servicecore.hookspecs import StorageFactory, hookimpl
from servicecore_adapters.memory.storage import MemoryOutbox, MemoryRepository, MemoryStorage, MemoryUnitOfWork


@hookimpl
def servicecore_storage_backends() -> dict[str, StorageFactory]:
    """Provide the ``memory`` storage backend."""
    return {"memory": MemoryStorage.from_options}


__all__ = ["MemoryOutbox", "MemoryRepository", "MemoryStorage", "MemoryUnitOfWork"]
