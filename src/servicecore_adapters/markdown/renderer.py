"""Markdown renderer: Jinja2 templates per document kind and locale.

Templates are named ``<kind>.<locale>.md.j2`` (``work_order_sheet.zh-CN.md.j2``).
A ``template_dir`` option puts your own folder in front of the built-in
templates, so you can override one document and keep the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from servicecore.documents import Document
from servicecore.domain.errors import ConfigurationError, RenderingError
from servicecore.ports.rendering import RenderedDocument

LOCALES = ("en", "zh-CN")
"""Locales the built-in templates exist in."""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#&~!])")
_ORDERED_ITEM = re.compile(r"^(\s*\d+)([.)])")  # "1." or "1)" would start a numbered list
_BLOCK_MARKER = re.compile(r"^(\s*)([-+=])")  # a bullet, or a setext heading underline


def md_escape(value: object) -> str:
    """Make text safe inside Markdown: escape markup and table pipes, fold newlines.

    Customer-supplied text is data, never markup, on a printed document.
    Leading spaces and tabs are dropped: four of them at the start of a line
    would turn the text into a code block, and indentation means nothing on
    a printed document (spaces inside the text are kept).
    """
    text = "" if value is None else str(value)
    escaped = _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ").lstrip(" \t")
    # text placed at the start of a line must not turn into a list, heading or rule
    escaped = _ORDERED_ITEM.sub(r"\1\\\2", escaped)
    return _BLOCK_MARKER.sub(r"\1\\\2", escaped)


def format_number(value: Decimal) -> str:
    """A decimal in plain notation: ``10``, not ``1E+1``."""
    return f"{value:f}"


def format_datetime(value: datetime | None) -> str:
    """``2026-01-05 09:00 +08:00`` (minutes; offset kept, since times are aware)."""
    if value is None:
        return "-"
    offset = value.strftime("%z")
    return f"{value:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}" if offset else f"{value:%Y-%m-%d %H:%M}"


class MarkdownRenderer:
    """Renders documents to Markdown with Jinja2."""

    def __init__(self, template_dir: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            path = Path(template_dir)
            if not path.is_dir():
                raise ConfigurationError(f"markdown renderer option 'template_dir': {path} is not a folder")
            loaders.append(jinja2.FileSystemLoader(path))
        loaders.append(jinja2.PackageLoader("servicecore_adapters.markdown", "templates"))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # Markdown, not HTML; text is escaped with the md filter
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["md"] = md_escape
        self._env.filters["dt"] = format_datetime
        self._env.filters["num"] = format_number

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MarkdownRenderer:
        """Factory for the plugin system; accepts ``template_dir``."""
        unknown = set(options) - {"template_dir"}
        if unknown:
            raise ConfigurationError(f"unknown markdown renderer options: {sorted(unknown)}; known: template_dir")
        template_dir = options.get("template_dir")
        return cls(template_dir=None if template_dir is None else str(template_dir))

    def render(self, document: Document, *, locale: str = "en") -> RenderedDocument:
        """Render ``document`` with the template for its kind and ``locale``."""
        name = f"{document.kind}.{locale}.md.j2"
        try:
            template = self._env.get_template(name)
        except jinja2.TemplateNotFound:
            raise RenderingError(
                f"no template {name!r} for document kind {document.kind!r} in locale {locale!r}; "
                f"built-in locales: {', '.join(LOCALES)}"
            ) from None
        try:
            content = template.render(doc=document)
        except jinja2.TemplateError as exc:
            raise RenderingError(f"template {name!r} failed: {exc}") from exc
        return RenderedDocument(
            filename=f"{document.kind}-{document.reference}.{locale}.md",
            media_type="text/markdown; charset=utf-8",
            content=content,
        )
