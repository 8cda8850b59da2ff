"""The document rendering port: documents in, text out.

The core builds plain document models (see :mod:`servicecore.documents`); a
renderer turns one into a file for people to read, sign and archive.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from servicecore.documents import Document
from servicecore.domain.values import non_empty


@attrs.frozen
class RenderedDocument:
    """A rendered document: a suggested file name, a media type and the text."""

    filename: str = attrs.field(validator=non_empty)
    media_type: str = attrs.field(validator=non_empty)
    content: str


@runtime_checkable
class DocumentRenderer(Protocol):
    """Renders a document model in a locale (``"en"`` or ``"zh-CN"`` for the built-ins)."""

    def render(self, document: Document, *, locale: str = "en") -> RenderedDocument:
        """Render ``document``; raise :class:`~servicecore.RenderingError` on failure."""
        ...
