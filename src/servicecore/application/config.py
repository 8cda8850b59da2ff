"""Configuration of a service desk: which backend of each kind, by name, with options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from servicecore.domain.values import is_bool, non_empty


def _options(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


def _optional_name(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        non_empty(instance, attribute, value)


@attrs.frozen(kw_only=True)
class ServiceDeskConfig:
    """Backend names and their options. Every name must be registered by a plugin.

    The defaults store data in an embedded SQLite file, log notifications and
    render Markdown. Built-in storage backends and their options:

    * ``"sqlite"`` (default): ``path`` of the database file (default
      ``servicecore.sqlite3`` in the working directory, created and migrated on
      first use) or a ``sqlite:///`` ``url``; ``synchronous`` (``"NORMAL"``, or
      ``"FULL"`` to survive power loss too), ``busy_timeout`` (seconds to wait
      for another writer), ``migrate`` (default true), ``cache_size``;
    * ``"postgresql"``: ``url`` (``postgresql+psycopg://user:password@host/db``),
      ``migrate`` (default false: run ``servicecore db upgrade``), ``cache_size``;
    * ``"memory"``: no options; nothing survives the process.

    SLA clocks run on the business calendar named by ``calendar`` (default
    ``"24x7"`` in UTC; ``"cn"`` is mainland China's working hours with public
    holidays and make-up working days) under the default policies of
    :func:`~servicecore.application.sla.default_policies`.
    """

    storage: str = attrs.field(default="sqlite", validator=non_empty)
    storage_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    notifier: str = attrs.field(default="logging", validator=non_empty)
    notifier_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    renderer: str = attrs.field(default="markdown", validator=non_empty)
    renderer_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    calendar: str | None = attrs.field(default="24x7", validator=_optional_name)
    """Business calendar of the SLA clocks (``"24x7"``, ``"cn"``, ``"holidays"``...); ``None`` runs no clocks."""
    calendar_options: Mapping[str, Any] = attrs.field(factory=dict, converter=_options)
    strict: bool = attrs.field(default=False, validator=is_bool)
    """Reads (and the operations commands) refuse to run without an ``actor``; see docs/trust-model.md."""


__all__ = ["ServiceDeskConfig"]
