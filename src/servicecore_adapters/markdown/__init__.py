"""Markdown document renderer, registered as ``"markdown"``."""

from __future__ import annotations

from servicecore.hookspecs import RendererFactory, hookimpl
from servicecore_adapters.markdown.renderer import LOCALES, MarkdownRenderer, md_escape


@hookimpl
def servicecore_renderers() -> dict[str, RendererFactory]:
    """Provide the ``markdown`` renderer."""
    return {"markdown": MarkdownRenderer.from_options}


__all__ = ["LOCALES", "MarkdownRenderer", "md_escape"]
