"""The id port: the only way the core gets new identifiers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class IdGenerator(Protocol):
    """Produces unique ids. ``kind`` is the aggregate or record type, e.g. ``"request"``."""

    def new_id(self, kind: str) -> str:
        """A new id never returned before for that kind."""
        ...
