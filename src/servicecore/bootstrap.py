"""The composition root: the one place where a service desk is wired together.

:func:`bootstrap` builds a :class:`~servicecore.ServiceDesk` from a
:class:`~servicecore.ServiceDeskConfig` and explicit dependencies; whatever is
not passed in (the plugins, the clock, the id generator) is filled with the
defaults. :func:`load_config` assembles that configuration from, in rising
precedence:

1. the defaults of :class:`~servicecore.ServiceDeskConfig`;
2. a ``servicecore.toml`` file (the path given, else ``$SERVICECORE_CONFIG``,
   else ``./servicecore.toml`` if there is one);
3. ``SERVICECORE_*`` environment variables;
4. explicit overrides (keyword names of :class:`~servicecore.ServiceDeskConfig`).

The application, the demo and the command line all build through here, so a
storage, a calendar or a notifier is configured once. docs/configuration.md
lists the file's keys and the variables.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from servicecore.application.config import ServiceDeskConfig
from servicecore.application.permissions import DEFAULT_POLICY, CommandPolicy, apply_overrides
from servicecore.application.service_desk import ServiceDesk
from servicecore.application.sla import SlaService
from servicecore.domain.errors import ConfigurationError, DeserializationError, ServiceCoreError, ValidationError
from servicecore.plugins import Plugins
from servicecore.ports.clock import Clock
from servicecore.ports.ids import IdGenerator
from servicecore.sla.calendar import BusinessCalendar

if TYPE_CHECKING:
    from servicecore.application.notifications import NotificationPolicy

CONFIG_ENV = "SERVICECORE_CONFIG"
"""Environment variable naming the configuration file."""

CONFIG_FILE = "servicecore.toml"
"""The file looked for in the working directory when no other is named."""

ENV_PREFIX = "SERVICECORE_"
"""Prefix of every environment override."""

_KINDS = ("storage", "notifier", "renderer", "calendar")

_KEY_PATHS = {
    **{kind: f"{kind}.name" for kind in ("storage", "notifier", "renderer", "calendar")},
    **{f"{kind}_options": f"{kind}.options" for kind in ("storage", "notifier", "renderer", "calendar")},
    "sla_scan_tolerance": "sla.scan_tolerance",
    "sla_calendars": "sla.calendars",
}
"""Fields of ServiceDeskConfig → their key path in the file."""


@attrs.frozen(kw_only=True)
class BackendSection:
    """A ``[storage]``, ``[notifier]``, ``[renderer]`` or ``[calendar]`` table: a backend name and its options."""

    name: str | None = None
    options: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class SlaSection:
    """The ``[sla]`` table: the scan tolerance and further calendars by name."""

    scan_tolerance: timedelta | None = None
    calendars: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class ConfigLayer:
    """One source of configuration (the file or the environment); ``None`` leaves a setting to the layer below."""

    storage: BackendSection | None = None
    notifier: BackendSection | None = None
    renderer: BackendSection | None = None
    calendar: BackendSection | None = None
    strict: bool | None = None
    sla: SlaSection | None = None


def find_config_file(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The configuration file to read: ``path``, else ``$SERVICECORE_CONFIG``, else ``./servicecore.toml`` if present.

    A file named explicitly (argument or variable) must exist.
    """
    env = os.environ if environ is None else environ
    named = path if path is not None else env.get(CONFIG_ENV) or None
    if named is not None:
        found = Path(named)
        if not found.is_file():
            source = "" if path is not None else f" (${CONFIG_ENV})"
            problem = "is a directory, not a file" if found.is_dir() else "does not exist"
            raise ConfigurationError(f"configuration file {str(found)!r}{source} {problem}")
        return found
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


def read_config_file(path: str | os.PathLike[str]) -> ConfigLayer:
    """Read a ``servicecore.toml`` file; a bad key or value is a ConfigurationError naming its key path."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ConfigurationError(f"cannot read configuration file {str(path)!r}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid UTF-8 (byte {exc.start}): TOML files are UTF-8 text") from exc
    return _structure_layer(data, str(path))


def _structure_layer(data: Mapping[str, Any], source: str) -> ConfigLayer:
    from servicecore.serialization import structure

    found = dict(data)
    for kind in _KINDS:  # ``calendar = "cn"`` is short for ``[calendar] name = "cn"``
        if isinstance(found.get(kind), str):
            found[kind] = {"name": found[kind]}
        elif kind in found and not isinstance(found[kind], Mapping):
            raise ConfigurationError(
                f"{source}: {kind}: expected a {kind} name or a table, got {type(found[kind]).__name__}"
            )
    try:
        return structure(found, ConfigLayer)
    except DeserializationError as exc:
        problems = "; ".join(_key_path_first(line) for line in exc.errors)
        raise ConfigurationError(f"{source}: {problems}") from exc


def _key_path_first(line: str) -> str:
    """``"message @ $.storage.options"`` → ``"storage.options: message"``."""
    message, sep, where = line.rpartition(" @ ")
    if not sep:
        return line
    path = where.removeprefix("$").lstrip(".").replace("['", ".").replace("']", "") or "(top level)"
    for generic in ("value: ", "duration: "):  # the converter's name for the value, not a key
        message = message.removeprefix(generic)
    return f"{path}: {message}"


def parse_option_value(raw: str) -> Any:
    """An option given as text (environment, ``--storage-option``): ``true``/``false`` and numbers are converted,
    anything else stays text."""
    lowered = raw.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def environment_layer(environ: Mapping[str, str] | None = None) -> ConfigLayer:
    """The ``SERVICECORE_*`` overrides as a layer (see docs/configuration.md for the scheme)."""
    env = os.environ if environ is None else environ
    sections: dict[str, dict[str, Any]] = {}
    for kind in _KINDS:
        prefix = f"{ENV_PREFIX}{kind.upper()}"
        name = env.get(prefix)
        options = {
            key.removeprefix(f"{prefix}_OPTIONS__").lower(): parse_option_value(value)
            for key, value in env.items()
            if key.startswith(f"{prefix}_OPTIONS__") and len(key) > len(f"{prefix}_OPTIONS__")
        }
        if name or options:
            sections[kind] = {"name": name or None, "options": options or None}
    strict: bool | None = None
    raw_strict = env.get(f"{ENV_PREFIX}STRICT")
    if raw_strict is not None:
        value = parse_option_value(raw_strict)
        if value not in (True, False, 0, 1) or isinstance(value, float):
            raise ConfigurationError(f"environment: {ENV_PREFIX}STRICT: expected true or false, got {raw_strict!r}")
        strict = bool(value)
    tolerance = env.get(f"{ENV_PREFIX}SLA_SCAN_TOLERANCE")
    data: dict[str, Any] = dict(sections)
    if tolerance is not None:
        data["sla"] = {"scan_tolerance": tolerance}
    try:
        layer = _structure_layer(data, "environment")
    except ConfigurationError as exc:
        raise ConfigurationError(str(exc).replace("sla.scan_tolerance", f"{ENV_PREFIX}SLA_SCAN_TOLERANCE")) from exc
    return attrs.evolve(layer, strict=strict)


def _apply(settings: dict[str, Any], layer: ConfigLayer, origins: dict[str, str], source: str) -> None:
    """Lay ``layer`` over ``settings`` (keyword names of ServiceDeskConfig); ``origins`` learns which
    ``source`` set each one."""
    before = dict(settings)
    _lay(settings, layer)
    origins.update({key: source for key, value in settings.items() if key not in before or before[key] != value})


def _lay(settings: dict[str, Any], layer: ConfigLayer) -> None:
    for kind in _KINDS:
        section: BackendSection | None = getattr(layer, kind)
        if section is None:
            continue
        options_key = f"{kind}_options"
        if section.name is not None and section.name != settings.get(kind):
            # options given below for another backend do not apply to this one
            settings[kind] = section.name
            settings[options_key] = {}
        if section.options is not None:
            settings[options_key] = {**settings.get(options_key, {}), **section.options}
    if layer.strict is not None:
        settings["strict"] = layer.strict
    if layer.sla is not None:
        if layer.sla.scan_tolerance is not None:
            settings["sla_scan_tolerance"] = layer.sla.scan_tolerance
        if layer.sla.calendars is not None:
            settings["sla_calendars"] = {**settings.get("sla_calendars", {}), **layer.sla.calendars}


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ServiceDeskConfig:
    """The desk configuration: defaults < the file < ``SERVICECORE_*`` variables < ``overrides``.

    ``path`` names the file (else ``$SERVICECORE_CONFIG``, else ``./servicecore.toml``
    if present, else none); ``environ`` defaults to :data:`os.environ`;
    ``overrides`` are keyword names of :class:`~servicecore.ServiceDeskConfig`
    (``{"storage": "memory"}``), applied last. Giving a backend a different name
    in a higher layer drops the options lower layers gave the old one.
    """
    defaults = ServiceDeskConfig()
    settings: dict[str, Any] = {field.name: getattr(defaults, field.name) for field in attrs.fields(ServiceDeskConfig)}
    for kind in _KINDS:
        settings[f"{kind}_options"] = dict(settings[f"{kind}_options"])
    origins: dict[str, str] = {}
    file = find_config_file(path, environ)
    if file is not None:
        _apply(settings, read_config_file(file), origins, str(file))
    _apply(settings, environment_layer(environ), origins, "environment")
    for key, value in (overrides or {}).items():
        if key not in settings:
            raise ConfigurationError(f"unknown setting {key!r}; settings: {', '.join(sorted(settings))}")
        if key in _KINDS and value != settings[key]:
            settings[f"{key}_options"] = {}
            origins[f"{key}_options"] = "overrides"
        settings[key] = value
        origins[key] = "overrides"
    try:
        return ServiceDeskConfig(**settings)
    except ValidationError as exc:
        field, _, rest = exc.field.partition("[")
        source = origins.get(field, "configuration")
        key = _KEY_PATHS.get(field, field) + (f".{rest.strip(']').strip(chr(39))}" if rest else "")
        if source == "environment":
            key = _environment_name(key)
        elif source == "overrides":
            key = exc.field
        raise ConfigurationError(f"{source}: {key}: {exc.message}") from exc


def _environment_name(key: str) -> str:
    """``sla.scan_tolerance`` → ``SERVICECORE_SLA_SCAN_TOLERANCE``, ``storage.options.path`` →
    ``SERVICECORE_STORAGE_OPTIONS__PATH``: the variable that set a key."""
    section, _, rest = key.partition(".")
    if rest in {"", "name"}:
        return f"{ENV_PREFIX}{section.upper()}"
    if rest.startswith("options."):
        return f"{ENV_PREFIX}{section.upper()}_OPTIONS__{rest.removeprefix('options.').upper()}"
    return f"{ENV_PREFIX}{key.replace('.', '_').upper()}"


def command_policy(plugins: Plugins, base: CommandPolicy | None = None) -> CommandPolicy:
    """``base`` (default: the built-in policy) with every plugin's overrides applied.

    A plugin whose overrides are malformed or name an unknown command makes this a
    :class:`~servicecore.ConfigurationError` naming the plugin: a permission table
    is not silently half-applied.
    """
    return apply_overrides(base or DEFAULT_POLICY, plugins.command_policy_overrides())


def bootstrap(
    config: ServiceDeskConfig | None = None,
    *,
    plugins: Plugins | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    notification_policy: NotificationPolicy | None = None,
    desk_class: type[ServiceDesk] = ServiceDesk,
) -> ServiceDesk:
    """Build a desk from ``config`` (default: :func:`load_config`) and explicit dependencies.

    ``plugins`` defaults to :class:`~servicecore.plugins.Plugins` (built-ins and
    installed entry points), ``clock`` to the system clock, ``ids`` to UUIDs.
    Backends are looked up by name in ``plugins`` and each built backend is
    checked against its port. The command policy is the default one with the
    plugins' overrides applied; SLA clocks run on the configured ``calendar``
    (and the further ``sla_calendars``) under ``sla_policies`` (default: the
    default policies); ``calendar=None`` runs no clocks. ``desk_class`` builds a
    subclass of the facade instead.
    """
    cfg = load_config() if config is None else config
    registry = plugins if plugins is not None else Plugins()
    if clock is None or ids is None:
        from servicecore_adapters.clocks import SystemClock
        from servicecore_adapters.ids import UuidIds

        clock = clock or SystemClock()
        ids = ids or UuidIds()
    sla = None
    if cfg.calendar:
        sla = SlaService(
            registry.calendar(cfg.calendar, cfg.calendar_options),
            cfg.sla_policies,
            calendars={name: _calendar(registry, name, spec) for name, spec in cfg.sla_calendars.items()},
            scan_tolerance=cfg.sla_scan_tolerance,
        )
    # every other backend first: a refused choice must not leave a new database file behind
    notifier = registry.notifier(cfg.notifier, cfg.notifier_options)
    renderer = registry.renderer(cfg.renderer, cfg.renderer_options)
    storage = registry.storage(cfg.storage, cfg.storage_options)
    try:
        return desk_class(
            storage=storage,
            notifier=notifier,
            renderer=renderer,
            clock=clock,
            ids=ids,
            templates=registry.checklist_templates(),
            notification_policy=notification_policy,
            permissions=command_policy(registry),
            sla=sla,
            strict=cfg.strict,
        )
    except ServiceCoreError:  # the storage opened; do not leave it open behind a refused configuration
        storage.close()
        raise


def _calendar(registry: Plugins, name: str, spec: BusinessCalendar | str | Mapping[str, Any]) -> BusinessCalendar:
    """A further SLA calendar of the configuration, under its name."""
    if isinstance(spec, BusinessCalendar):
        if spec.name != name:
            raise ConfigurationError(
                f"sla_calendars[{name!r}] is a calendar named {spec.name!r}; give it name={name!r}"
            )
        return spec
    if isinstance(spec, str):
        return registry.calendar(spec, {"name": name})
    options = dict(spec)
    provider = options.pop("provider", None)
    if not isinstance(provider, str):
        raise ConfigurationError(f"sla_calendars[{name!r}] needs a 'provider' (a calendar plugin name like 'cn')")
    return registry.calendar(provider, {"name": name, **options})


__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE",
    "ENV_PREFIX",
    "BackendSection",
    "ConfigLayer",
    "SlaSection",
    "bootstrap",
    "command_policy",
    "environment_layer",
    "find_config_file",
    "load_config",
    "parse_option_value",
    "read_config_file",
]
