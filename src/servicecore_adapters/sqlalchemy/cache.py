"""The cache of loaded aggregates a SQLAlchemy storage shares between its units of work.

Loaded aggregates are kept by (kind, id) and used only when the row read from
the database still has the same version and the very same document text, so a
cached object is always what is stored; it saves re-validating documents the
library wrote itself.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, TypeVar

import attrs

from servicecore.serialization import structure
from servicecore.storage_kinds import AggregateKind, IndexFields
from servicecore_adapters.sqlalchemy.documents import Encoded

A = TypeVar("A")


class LoadedCache:
    """Aggregates as last read or written, by (kind, id), with the version and document they were stored as
    (and, when this process wrote them, the pieces of that document, to re-encode only what changes next, and
    the index fields written with it, to leave unchanged index entries alone)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[int, str, Any, Encoded | None, IndexFields | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def load(self, kind: AggregateKind[A], id: str, version: int, document: str) -> A:
        """The aggregate stored as ``document`` at ``version``: the cached object when it is that very
        document, else the document structured (and then cached)."""
        key = (kind.name, id)
        cached: A | None = self.get(key, version, document)
        if cached is not None:
            return cached
        aggregate: Any = structure(json.loads(document), kind.cls)
        if aggregate.version != version:  # the column is authoritative
            aggregate = attrs.evolve(aggregate, version=version)
        self.put(key, version, document, aggregate, None)
        loaded: A = aggregate
        return loaded

    def get(self, key: tuple[str, str], version: int, document: str) -> Any | None:
        """The cached aggregate, if it was stored at ``version`` as exactly ``document``."""
        entry = self._entries.get(key)  # a single dict read needs no lock; eviction is oldest-written first
        if entry is None or entry[0] != version or entry[1] != document:
            return None
        return entry[2]

    def encoded(self, key: tuple[str, str], version: int) -> Encoded | None:
        """The pieces of the document written at ``version`` by this process, to re-encode only what changes."""
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
        """Remember ``aggregate`` as stored at ``version``; the oldest entries go beyond the size."""
        if self._size <= 0:
            return
        with self._lock:
            self._entries[key] = (version, document, aggregate, encoded, index)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


__all__ = ["LoadedCache"]
