"""Id generator adapters."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterator

_PREFIXES = {
    "request": "REQ",
    "agreement": "AGR",
    "work_order": "WO",
    "acceptance": "ACC",
    "notification": "NTF",
}


class UuidIds:
    """Random UUID4 ids, prefixed by kind: ``REQ-1b4e28ba-...``. Safe across processes."""

    def new_id(self, kind: str) -> str:
        """A new random id."""
        return f"{_PREFIXES.get(kind, kind.upper())}-{uuid.uuid4()}"


class SequentialIds:
    """Readable, deterministic ids per kind: ``REQ-0001``, ``REQ-0002``... One process only."""

    def __init__(self) -> None:
        self._counters: defaultdict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))

    def new_id(self, kind: str) -> str:
        """The next id for ``kind``."""
        return f"{_PREFIXES.get(kind, kind.upper())}-{next(self._counters[kind]):04d}"
