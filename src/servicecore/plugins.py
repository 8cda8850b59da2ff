"""The plugin manager: built-ins, the ``servicecore`` entry-point group, and lookup by name.

Built-in adapters are registered exactly like third-party plugins. Two things
differ from a bare pluggy setup:

* one broken plugin does not take down the others: a plugin that fails to
  import, or whose hook raises, is recorded in :attr:`Plugins.failures` and
  logged, and every other plugin keeps working;
* ``SERVICECORE_DISABLE_PLUGINS`` (comma-separated plugin names) blocks
  plugins, built-in or installed, before they are loaded.

A misspelled hook name (``servicecore_notifier`` for ``servicecore_notifiers``)
fails loudly with :class:`~servicecore.PluginError` when the plugin is registered.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
import os
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from servicecore import hookspecs
from servicecore.domain.checklists import PEST_CONTROL, ChecklistTemplate
from servicecore.domain.errors import BackendNotFoundError, ConfigurationError, PluginError
from servicecore.ports.notification import Notifier
from servicecore.ports.rendering import DocumentRenderer
from servicecore.ports.storage import StorageBackend
from servicecore.sla.calendar import BusinessCalendar

if TYPE_CHECKING:
    import click

logger = logging.getLogger(__name__)

DISABLE_ENV = "SERVICECORE_DISABLE_PLUGINS"
"""Environment variable: comma-separated names of plugins not to load."""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "servicecore_adapters.memory",
    "servicecore_adapters.sqlalchemy",
    "servicecore_adapters.notifiers",
    "servicecore_adapters.markdown",
    "servicecore_adapters.calendars",
)
"""Modules registered as plugins by default, under their module name."""


class _BuiltinTemplates:
    """Contributes the templates that ship with the core."""

    @hookspecs.hookimpl
    def servicecore_checklist_templates(self) -> list[ChecklistTemplate]:
        return [PEST_CONTROL]


@attrs.frozen
class PluginFailure:
    """A plugin that could not be loaded, or whose hook raised."""

    plugin: str
    stage: str
    error: str
    traceback: str = attrs.field(default="", eq=False, repr=False)
    """The formatted traceback, for ``servicecore plugins -v``."""


def _unknown_hooks(exc: pluggy.PluginValidationError) -> str:
    message = str(exc)
    return message.split("unknown hook ", 1)[1].split(" in plugin", 1)[0] if "unknown hook " in message else message


def _blocked_names() -> frozenset[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class Plugins:
    """The registered plugins and the backends they provide.

    ``Plugins()`` registers the built-ins and the installed entry points;
    ``Plugins(builtins=False, entry_points=False)`` starts empty (handy in tests).
    """

    def __init__(self, *, builtins: bool = True, entry_points: bool = True) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._failures: list[PluginFailure] = []
        self._blocked = _blocked_names()
        if builtins:
            self.register(_BuiltinTemplates(), name="servicecore.checklists")
            for module_name in BUILTIN_PLUGINS:
                self._load(module_name, functools.partial(importlib.import_module, module_name))
        if entry_points:
            for ep in importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME):
                self._load(ep.name, ep.load)

    # --- registration -------------------------------------------------------

    @property
    def manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager (for advanced use; prefer the methods here)."""
        return self._pm

    @property
    def failures(self) -> tuple[PluginFailure, ...]:
        """Plugins that failed to load or whose hooks raised, in order."""
        return tuple(self._failures)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object or module; return its name.

        Raises :class:`PluginError` if the plugin implements a hook that does
        not exist (usually a misspelling) or the name is taken.
        """
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if plugin_name in self._blocked:
            logger.info("plugin %s is disabled by %s", plugin_name, DISABLE_ENV)
            return plugin_name
        if self._pm.is_registered(plugin):
            existing = self._pm.get_name(plugin)
            raise PluginError(f"plugin {plugin_name!r} is already registered as {existing!r}")
        if self._pm.get_plugin(plugin_name) is not None:
            raise PluginError(f"a plugin named {plugin_name!r} is already registered")
        try:
            self._pm.register(plugin, name=plugin_name)
        except ValueError as exc:
            raise PluginError(f"plugin {plugin_name!r} cannot be registered: {exc}") from exc
        try:
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self._pm.unregister(plugin)  # only the plugin just added; earlier ones stay
            known = ", ".join(hookspecs.HOOK_NAMES)
            raise PluginError(
                f"plugin {plugin_name!r} implements a hook servicecore does not define "
                f"(misspelled?): {_unknown_hooks(exc)}; hooks: {known}"
            ) from None
        return plugin_name

    def _load(self, name: str, load: Callable[[], object]) -> None:
        if name in self._blocked:
            logger.info("plugin %s is disabled by %s", name, DISABLE_ENV)
            return
        try:
            plugin = load()
            if isinstance(plugin, type):  # an entry point may name a plugin class
                plugin = plugin()
            self.register(plugin, name=name)
        except Exception as exc:  # one broken plugin must not break the rest
            self._record_failure(name, "load", exc)

    def _record_failure(self, plugin: str, stage: str, exc: BaseException) -> None:
        failure = PluginFailure(
            plugin=plugin,
            stage=stage,
            error=f"{type(exc).__name__}: {exc}",
            traceback="".join(traceback.format_exception(exc)),
        )
        if failure in self._failures:  # the same hook failing on every lookup is one failure
            return
        self._failures.append(failure)
        logger.warning("servicecore plugin %s failed during %s: %s", plugin, stage, failure.error)

    # --- hook calls ----------------------------------------------------------

    def _collect(self, hook_name: str, **kwargs: Any) -> Iterable[tuple[str, Any]]:
        """Call each implementation separately, so one raising plugin is isolated."""
        hook = getattr(self._pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            yield from self._collect_one(impl, hook_name, **kwargs)

    def _collect_one(self, impl: pluggy.HookImpl, hook_name: str, **kwargs: Any) -> Iterable[tuple[str, Any]]:
        try:
            result = impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:
            self._record_failure(impl.plugin_name, hook_name, exc)
            return
        if result is not None:
            yield impl.plugin_name, result

    def _factories(self, hook_name: str) -> dict[str, list[tuple[str, Any]]]:
        found: dict[str, list[tuple[str, Any]]] = {}
        for plugin_name, mapping in self._collect(hook_name):
            if not isinstance(mapping, Mapping):
                self._record_failure(plugin_name, hook_name, TypeError("hook must return a mapping"))
                continue
            for backend_name, factory in mapping.items():
                found.setdefault(str(backend_name), []).append((plugin_name, factory))
        return found

    def _build(self, kind: str, hook_name: str, name: str, options: Mapping[str, Any] | None, port: type) -> Any:
        factories = self._factories(hook_name)
        candidates = factories.get(name)
        if not candidates:
            broken = [f"{f.plugin} ({f.stage}): {f.error}" for f in self._failures if f.stage in {hook_name, "load"}]
            raise BackendNotFoundError(kind, name, factories, broken)
        if len(candidates) > 1:
            owners = ", ".join(plugin for plugin, _ in candidates)
            raise ConfigurationError(f"{kind} backend {name!r} is provided by several plugins: {owners}")
        plugin_name, factory = candidates[0]
        try:
            built = factory(dict(options or {}))
        except ConfigurationError:
            raise
        except Exception as exc:
            raise PluginError(f"{kind} backend {name!r} from plugin {plugin_name!r} failed to start: {exc}") from exc
        if not isinstance(built, port):  # caught at build, not on the first send or save
            missing = [member for member in _port_members(port) if not hasattr(built, member)]
            lacking = f" (missing {', '.join(missing)})" if missing else ""
            close = getattr(built, "close", None)
            if kind == "storage" and callable(close):
                close()
            raise PluginError(
                f"{kind} backend {name!r} from plugin {plugin_name!r} returned a {type(built).__name__}, "
                f"not a {port.__name__}{lacking}"
            )
        return built

    def available(self, kind: str) -> tuple[str, ...]:
        """Names registered for ``kind``: ``"storage"``, ``"notifier"``, ``"renderer"`` or ``"calendar"``."""
        hook_name = _HOOKS.get(kind)
        if hook_name is None:
            raise ConfigurationError(f"unknown backend kind {kind!r}; kinds: {sorted(_HOOKS)}")
        return tuple(sorted(self._factories(hook_name)))

    def storage(self, name: str, options: Mapping[str, Any] | None = None) -> StorageBackend:
        """Build the storage backend registered as ``name``."""
        backend: StorageBackend = self._build("storage", _HOOKS["storage"], name, options, StorageBackend)
        return backend

    def notifier(self, name: str, options: Mapping[str, Any] | None = None) -> Notifier:
        """Build the notifier registered as ``name``."""
        notifier: Notifier = self._build("notifier", _HOOKS["notifier"], name, options, Notifier)
        return notifier

    def renderer(self, name: str, options: Mapping[str, Any] | None = None) -> DocumentRenderer:
        """Build the document renderer registered as ``name``."""
        renderer: DocumentRenderer = self._build("renderer", _HOOKS["renderer"], name, options, DocumentRenderer)
        return renderer

    def calendar(self, name: str, options: Mapping[str, Any] | None = None) -> BusinessCalendar:
        """Build the business calendar registered as ``name`` (``"cn"``, ``"holidays"``, ``"24x7"``...)."""
        calendar: BusinessCalendar = self._build("calendar", _HOOKS["calendar"], name, options, BusinessCalendar)
        return calendar

    def command_policy_overrides(self) -> list[tuple[str, Any]]:
        """Every plugin's command-policy overrides, as ``(plugin name, overrides)`` pairs.

        The composition root applies them to the built-in policy
        (:func:`servicecore.bootstrap.command_policy`); a plugin whose hook raises
        is recorded in :attr:`failures` like any other.
        """
        return list(self._collect("servicecore_command_policy"))

    def register_commands(self, cli: click.Group) -> tuple[str, ...]:
        """Let every plugin add its commands to ``cli`` (the ``servicecore_register_commands`` hook).

        Returns the names of the commands the plugins added. A plugin whose hook
        raises is recorded in :attr:`failures`; the commands of the others stay.
        """
        before = dict(cli.commands)
        hook = self._pm.hook.servicecore_register_commands
        for impl in hook.get_hookimpls():
            taken = dict(cli.commands)
            for _ in self._collect_one(impl, "servicecore_register_commands", cli=cli):
                pass
            replaced = sorted(name for name, command in taken.items() if cli.commands.get(name) is not command)
            if replaced:  # an existing command keeps its first owner
                cli.commands.update({name: taken[name] for name in replaced})
                self._record_failure(
                    impl.plugin_name,
                    "servicecore_register_commands",
                    PluginError(f"command names already taken: {', '.join(replaced)}"),
                )
        return tuple(name for name in cli.commands if name not in before)

    def provided(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """What each registered plugin provides: plugin name → kind → names, in registration order.

        Kinds are ``storage``, ``notifier``, ``renderer``, ``calendar``,
        ``checklist templates`` (template keys) and ``command policy`` (the
        commands it overrides); a plugin providing none of them maps to ``{}``.
        A hook that raises is recorded in :attr:`failures`.
        """
        found: dict[str, dict[str, tuple[str, ...]]] = {name: {} for name, _ in self._pm.list_name_plugin()}
        for kind, hook_name in _HOOKS.items():
            for plugin_name, mapping in self._collect(hook_name):
                if isinstance(mapping, Mapping):
                    found.setdefault(plugin_name, {})[kind] = tuple(sorted(str(key) for key in mapping))
        for plugin_name, templates in self._collect("servicecore_checklist_templates"):
            if isinstance(templates, list | tuple):
                keys = [template.key for template in templates if isinstance(template, ChecklistTemplate)]
                found.setdefault(plugin_name, {})["checklist templates"] = tuple(keys)
        for plugin_name, overrides in self._collect("servicecore_command_policy"):
            if isinstance(overrides, Mapping):
                found.setdefault(plugin_name, {})["command policy"] = tuple(sorted(str(key) for key in overrides))
        return found

    def checklist_templates(self) -> dict[str, ChecklistTemplate]:
        """Every contributed checklist template by key; a repeated key is a ConfigurationError."""
        templates: dict[str, ChecklistTemplate] = {}
        owners: dict[str, str] = {}
        for plugin_name, contributed in self._collect("servicecore_checklist_templates"):
            if isinstance(contributed, ChecklistTemplate) or not isinstance(contributed, list | tuple):
                self._record_failure(
                    plugin_name,
                    "servicecore_checklist_templates",
                    TypeError(f"hook must return a list of ChecklistTemplate, got {type(contributed).__name__}"),
                )
                continue
            for template in contributed:
                if not isinstance(template, ChecklistTemplate):
                    self._record_failure(
                        plugin_name,
                        "servicecore_checklist_templates",
                        TypeError(f"not a ChecklistTemplate: {template!r}"),
                    )
                    continue
                if template.key in templates:
                    raise ConfigurationError(
                        f"checklist template {template.key!r} is contributed by both "
                        f"{owners[template.key]!r} and {plugin_name!r}"
                    )
                templates[template.key] = template
                owners[template.key] = plugin_name
        return templates


def _port_members(port: type) -> tuple[str, ...]:
    """The methods and properties a protocol port requires (none listed for a concrete class)."""
    if not getattr(port, "_is_protocol", False):
        return ()
    return tuple(sorted(name for name in vars(port) if not name.startswith("_")))


_HOOKS = {
    "storage": "servicecore_storage_backends",
    "notifier": "servicecore_notifiers",
    "renderer": "servicecore_renderers",
    "calendar": "servicecore_calendars",
}


__all__ = ["BUILTIN_PLUGINS", "DISABLE_ENV", "PluginFailure", "Plugins"]
