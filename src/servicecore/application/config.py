"""Configuration of a service desk: which backend of each kind, by name, with options."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from servicecore.domain.errors import ValidationError
from servicecore.domain.values import is_bool, non_empty
from servicecore.sla.calendar import BusinessCalendar
from servicecore.sla.durations import parse_duration
from servicecore.sla.policy import SlaPolicy


def _options(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


def _policies(value: Mapping[str, SlaPolicy] | None) -> Mapping[str, SlaPolicy] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError("sla_policies", "must map aggregate kinds ('ServiceRequest'...) to SlaPolicy values")
    for kind, policy in value.items():
        if not isinstance(policy, SlaPolicy):
            raise ValidationError(f"sla_policies[{kind!r}]", f"must be an SlaPolicy, got {type(policy).__name__}")
    return dict(value)


def _sla_calendars(
    value: Mapping[str, BusinessCalendar | str | Mapping[str, Any]] | None,
) -> Mapping[str, BusinessCalendar | str | Mapping[str, Any]]:
    found = dict(value or {})
    for name, spec in found.items():
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("sla_calendars", f"calendar names must be non-empty text, got {name!r}")
        if not isinstance(spec, BusinessCalendar | str | Mapping):
            raise ValidationError(
                f"sla_calendars[{name!r}]",
                f"must be a BusinessCalendar, a calendar plugin name or {{'provider': ..., options}}, got {spec!r}",
            )
    return found


def _tolerance(value: object) -> timedelta:
    tolerance = parse_duration(value, "sla_scan_tolerance")
    if tolerance < timedelta(0):
        raise ValidationError("sla_scan_tolerance", f"must not be negative, got {tolerance}")
    return tolerance


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
    holidays and make-up working days) under ``sla_policies`` (default ``None``:
    :func:`~servicecore.application.sla.default_policies`). ``sla_calendars``
    adds further calendars by name for policies and clocks that name one
    (``SlaPolicy(calendar="urgent")``): each a
    :class:`~servicecore.sla.calendar.BusinessCalendar` carrying that name, a
    calendar plugin name (``"24x7"``), or ``{"provider": "cn", "years": "2025-2027"}``
    (the plugin and its options). ``sla_scan_tolerance`` (default 5 minutes) is
    how far past the desk clock a scan may look without ``simulate=True``.
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
    sla_policies: Mapping[str, SlaPolicy] | None = attrs.field(default=None, converter=_policies)
    """SLA policies by aggregate kind (``None``: the built-in defaults); kinds left out run no clocks."""
    sla_calendars: Mapping[str, BusinessCalendar | str | Mapping[str, Any]] = attrs.field(
        factory=dict, converter=_sla_calendars
    )
    """Further business calendars by name, besides ``calendar``."""
    sla_scan_tolerance: timedelta = attrs.field(default=timedelta(minutes=5), converter=_tolerance)
    """How far past the desk clock ``scan_sla(now=...)`` may look without ``simulate=True``."""


__all__ = ["ServiceDeskConfig"]
