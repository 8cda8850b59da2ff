"""Configuration of a service desk: which backend of each kind, by name, with options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from servicecore.domain.values import non_empty


def _options(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@attrs.frozen(kw_only=True)
class ServiceDeskConfig:
    """Backend names and their options. Every name must be registered by a plugin.

    The defaults run entirely in memory, log notifications and render Markdown.
    """

    storage: str = attrs.field(default="memory", validator=non_empty)
    storage_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    notifier: str = attrs.field(default="logging", validator=non_empty)
    notifier_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    renderer: str = attrs.field(default="markdown", validator=non_empty)
    renderer_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)


__all__ = ["ServiceDeskConfig"]
