"""The pluggy hook contract: everything an integrator's plugin can provide.

A plugin is any module or object with functions marked ``@hookimpl`` whose
names match the specs below. Install it under the ``servicecore`` entry-point
group (``[project.entry-points.servicecore] myplugin = "my_pkg.plugin"``) or
register it at run time with ``Plugins.register``.

Each backend hook returns a mapping from a backend *name* to a *factory*. The
factory receives the options the user configured for that backend (a plain
``Mapping[str, Any]``, possibly empty) and returns an object that satisfies the
port. Factories should validate their options and raise
:class:`~servicecore.ConfigurationError` naming the bad option.

servicecore calls every implementation separately: a plugin that raises is
reported (see ``Plugins.failures``) and the others keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from servicecore.domain.checklists import ChecklistTemplate
from servicecore.ports.notification import Notifier
from servicecore.ports.rendering import DocumentRenderer
from servicecore.ports.storage import StorageBackend
from servicecore.sla.calendar import BusinessCalendar

if TYPE_CHECKING:
    import click

PROJECT_NAME = "servicecore"
"""The pluggy project name and the entry-point group."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a hook specification (used only in this module)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a hook implementation in a plugin: ``@hookimpl def servicecore_notifiers(): ...``."""

StorageFactory = Callable[[Mapping[str, Any]], StorageBackend]
"""Builds a storage backend from its options."""
NotifierFactory = Callable[[Mapping[str, Any]], Notifier]
"""Builds a notifier from its options."""
RendererFactory = Callable[[Mapping[str, Any]], DocumentRenderer]
"""Builds a document renderer from its options."""
CalendarFactory = Callable[[Mapping[str, Any]], BusinessCalendar]
"""Builds a business calendar from its options."""


@hookspec
def servicecore_storage_backends() -> Mapping[str, StorageFactory]:  # type: ignore[empty-body]
    """Storage backends this plugin provides, by name (e.g. ``{"memory": factory}``).

    The backend must honour the storage port's contract
    (:mod:`servicecore.ports.storage`); run the kit in :mod:`servicecore.testing`.
    """


@hookspec
def servicecore_notifiers() -> Mapping[str, NotifierFactory]:  # type: ignore[empty-body]
    """Notifiers this plugin provides, by name (e.g. ``{"smtp": factory}``)."""


@hookspec
def servicecore_renderers() -> Mapping[str, RendererFactory]:  # type: ignore[empty-body]
    """Document renderers this plugin provides, by name (e.g. ``{"markdown": factory}``)."""


@hookspec
def servicecore_checklist_templates() -> Sequence[ChecklistTemplate]:  # type: ignore[empty-body]
    """Checklist templates this plugin contributes; work orders refer to them by ``key``."""


@hookspec
def servicecore_calendars() -> Mapping[str, CalendarFactory]:  # type: ignore[empty-body]
    """Business calendars this plugin provides, by name (e.g. ``{"cn": factory}``).

    The factory returns a :class:`~servicecore.sla.BusinessCalendar`; options typically
    choose years, working hours and the time zone.
    """


@hookspec
def servicecore_command_policy() -> Mapping[str, Iterable[str]]:  # type: ignore[empty-body]
    """Overrides of the command policy: command name → the roles allowed to run it.

    Applied on top of :data:`~servicecore.application.permissions.DEFAULT_POLICY`
    by :func:`servicecore.bootstrap.command_policy`; a command may be
    overridden by one plugin only, and an unknown command name is a
    :class:`~servicecore.ConfigurationError`. An empty role list disables a command.
    """


@hookspec
def servicecore_register_commands(cli: click.Group) -> None:
    """Add commands to the ``servicecore`` command line: ``cli`` is its top-level :class:`click.Group`.

    Decorate functions with ``@cli.command()`` (or add groups with
    ``@cli.group()``), as datasette's and llm's ``register_commands`` do. Called
    each time the command line starts; the command's context object
    (``click.get_current_context().obj``) is a :class:`servicecore.cli.CliState`
    carrying the loaded plugins and the ``--config`` path, so a command can build
    its desk with :func:`servicecore.bootstrap.bootstrap`. A plugin whose hook
    raises is listed by ``servicecore plugins`` and the other commands work.
    Do not replace the built-in commands: a name already taken is kept by its
    first owner.
    """


HOOK_NAMES: tuple[str, ...] = (
    "servicecore_storage_backends",
    "servicecore_notifiers",
    "servicecore_renderers",
    "servicecore_checklist_templates",
    "servicecore_calendars",
    "servicecore_command_policy",
    "servicecore_register_commands",
)
"""Every hook in this contract (a test checks each is documented)."""
