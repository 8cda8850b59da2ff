"""The ``servicecore`` command line: the demo, database migrations, the outbox dispatcher and the SLA scan.

Every command reads the configuration shared with the application
(``--config``, ``$SERVICECORE_CONFIG`` or ``./servicecore.toml``, then
``SERVICECORE_*`` variables; see docs/configuration.md); the options given on
the command line override it. Plugins add commands through the
``servicecore_register_commands`` hook.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import click
from click.core import ParameterSource

from servicecore.application.config import ServiceDeskConfig
from servicecore.bootstrap import bootstrap, load_config, parse_option_value
from servicecore.demo import run_demo
from servicecore.domain.errors import ServiceCoreError, ValidationError
from servicecore.domain.values import Actor, ActorId
from servicecore.plugins import Plugins
from servicecore_adapters.markdown.renderer import LOCALES

URL_ENV = "SERVICECORE_DATABASE_URL"
"""Environment variable read when ``--url`` is not given."""


@attrs.define
class CliState:
    """What every command of one run shares: the plugins, the ``--config`` path and the verbosity."""

    plugins: Plugins = attrs.field(factory=Plugins)
    config_path: Path | None = None
    verbosity: int = 0
    """-1 with ``--quiet``, 0 by default, one more per ``-v``."""


class ServicecoreGroup(click.Group):
    """The top-level group: loads the plugins once per run and lets them add commands."""

    make_plugins: Callable[[], Plugins] = Plugins
    """How a run gets its plugins (tests replace it to register their own)."""

    _plugin_commands: tuple[str, ...] = ()

    def main(self, *args: Any, **extra: Any) -> Any:
        """Load the plugins, add their commands, then run the command line."""
        plugins = self.make_plugins()
        for name in self._plugin_commands:  # a previous run's plugins (tests run the group several times)
            self.commands.pop(name, None)
        self._plugin_commands = plugins.register_commands(self)
        extra.setdefault("obj", CliState(plugins=plugins))
        return super().main(*args, **extra)


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("servicecore").setLevel(level)
    # alembic announces every connection at INFO ("Context impl SQLiteImpl."): noise unless asked for
    logging.getLogger("alembic").setLevel(logging.INFO if verbosity > 0 else logging.WARNING)


@click.group(cls=ServicecoreGroup)
@click.version_option(package_name="servicecore")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file shared with the application (default: $SERVICECORE_CONFIG, else ./servicecore.toml).",
)
@click.option("-v", "--verbose", count=True, help="More output: debug logs, alembic's, plugin tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and each command's summary line.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """servicecore: run a customer-facing service end to end."""
    if verbose and quiet:
        raise click.UsageError("give either -v or -q, not both")
    state = ctx.ensure_object(CliState)
    state.config_path = config_path
    state.verbosity = -1 if quiet else verbose
    _configure_logging(state.verbosity)


def _state() -> CliState:
    return click.get_current_context().ensure_object(CliState)


@main.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("servicecore-demo-output"),
    show_default=True,
    help="Folder for the rendered documents and the demo's SQLite database.",
)
@click.option(
    "--locale",
    "locales",
    type=click.Choice(LOCALES),
    multiple=True,
    help="Document language; repeat for several. Default: all.",
)
def demo(output_dir: Path, locales: tuple[str, ...]) -> None:
    """Run a request → agreement → work order → acceptance lifecycle, then a complaint → violation → appeal."""
    try:
        run_demo(output_dir, locales=locales or LOCALES, echo=click.echo)
    except OSError as exc:  # a folder that cannot be created or written: the operator's to fix, not a traceback
        raise click.ClickException(f"cannot write the demo output to {output_dir}: {exc.strerror or exc}") from exc


# --- where the data is --------------------------------------------------------------------------

_url_option = click.option(
    "--url",
    envvar=URL_ENV,
    help=f"Database URL (sqlite:///file.sqlite3 or postgresql+psycopg://user@host/db); also ${URL_ENV}.",
)
_path_option = click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database file (default: servicecore.sqlite3 in the working directory).",
)


_storage_name_option = click.option(
    "--storage",
    "storage_name",
    help="Storage backend by plugin name (sqlite, postgresql, memory or a plugin's); default: the configuration's.",
)
_storage_pairs_option = click.option(
    "--storage-option", "storage_pairs", multiple=True, help="KEY=VALUE for the storage; repeatable."
)


def _storage_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _storage_name_option(_storage_pairs_option(command))


_create_option = click.option(
    "--create",
    is_flag=True,
    help="Create and migrate the SQLite file if it is missing or empty (default: refuse, so a mistyped path "
    "is an error rather than a new empty database).",
)


def _storage_choice(url: str | None, path: Path | None, *, create: bool = False) -> tuple[str, dict[str, Any]]:
    """The storage backend name and options for ``--url`` / ``--path``; a missing SQLite file is created only
    with ``create``."""
    if url and path:
        raise click.UsageError("give either --url or --path, not both")
    if url:
        if url.startswith("postgres"):
            return "postgresql", {"url": url}
        return "sqlite", {"url": url, "create": create}
    return "sqlite", {"path": str(path), "create": create} if path else {"create": create}


def _parsed(pairs: Sequence[str], param_hint: str) -> dict[str, Any]:
    return {key: parse_option_value(value) for key, value in _key_values(tuple(pairs), param_hint).items()}


def _backend(
    overrides: dict[str, Any], kind: str, name: str | None, pairs: Sequence[str], param_hint: str
) -> dict[str, Any]:
    """Options given for ``kind`` without a name add to the configured backend's options."""
    if name:
        overrides[kind] = name
        overrides[f"{kind}_options"] = _parsed(pairs, param_hint)
        return {}
    return _parsed(pairs, param_hint)


def _config(
    url: str | None = None,
    path: Path | None = None,
    storage_name: str | None = None,
    storage_pairs: Sequence[str] = (),
    *,
    create: bool = False,
    notifier: str | None = None,
    notifier_pairs: Sequence[str] = (),
    calendar: str | None = None,
    calendar_pairs: Sequence[str] = (),
) -> ServiceDeskConfig:
    """The configuration shared with the application, with this command's options on top."""
    url = _explicit_url(url, storage_name, storage_pairs)
    if (url or path) and (storage_name or storage_pairs):
        raise click.UsageError("give either --storage/--storage-option or --url/--path, not both")
    overrides: dict[str, Any] = {}
    if url or path:
        overrides["storage"], overrides["storage_options"] = _storage_choice(url, path, create=create)
    extra = {
        "storage": _backend(overrides, "storage", storage_name, storage_pairs, "--storage-option"),
        "notifier": _backend(overrides, "notifier", notifier, notifier_pairs, "--notifier-option"),
        "calendar": _backend(overrides, "calendar", calendar, calendar_pairs, "--calendar-option"),
    }
    config_path = _state().config_path
    if config_path is not None and not config_path.is_file():
        raise click.ClickException(f"reading the configuration failed: {str(config_path)!r} (--config) does not exist")
    try:
        cfg = load_config(config_path, overrides=overrides)
        changes: dict[str, Any] = {
            f"{kind}_options": {**getattr(cfg, f"{kind}_options"), **found} for kind, found in extra.items()
        }
        if cfg.storage == "sqlite" and "create" not in cfg.storage_options:
            changes["storage_options"] = {**changes["storage_options"], "create": create}
        return attrs.evolve(cfg, **changes)
    except ServiceCoreError as exc:
        raise _fail_on_errors("reading the configuration", exc) from exc


def _explicit_url(url: str | None, storage_name: str | None, storage_pairs: Sequence[str]) -> str | None:
    """``$SERVICECORE_DATABASE_URL`` yields to a ``--storage`` given on the command line."""
    ctx = click.get_current_context()
    if url and (storage_name or storage_pairs) and ctx.get_parameter_source("url") is ParameterSource.ENVIRONMENT:
        return None
    return url


def _sql_target(
    url: str | None, path: Path | None, storage_name: str | None, storage_pairs: Sequence[str]
) -> tuple[str | None, Path | None]:
    """The database of the db commands: --url/--path, else the configured sqlite or postgresql storage."""
    url = _explicit_url(url, storage_name, storage_pairs)
    if url or path:
        if storage_name or storage_pairs:
            raise click.UsageError("give either --storage/--storage-option or --url/--path, not both")
        return url, path
    cfg = _config(None, None, storage_name, storage_pairs)
    if cfg.storage not in {"sqlite", "postgresql"}:
        raise click.UsageError(
            f"storage {cfg.storage!r} has no schema to migrate: db commands are for sqlite and postgresql"
        )
    found_url, found_path = cfg.storage_options.get("url"), cfg.storage_options.get("path")
    return (str(found_url) if found_url else None), (Path(str(found_path)) if found_path else None)


def _engine_for(url: str | None, path: Path | None, action: str) -> Any:
    from servicecore_adapters.sqlalchemy.engine import DEFAULT_SQLITE_PATH, make_engine, sqlite_url

    if url and path:
        raise click.UsageError("give either --url or --path, not both")
    target = path or Path(DEFAULT_SQLITE_PATH)
    try:
        return make_engine(url or sqlite_url(target))
    except ServiceCoreError as exc:  # a missing driver, a bad option: one line, not a traceback
        raise _fail_on_errors(action, exc) from exc
    except OSError as exc:  # the folder of a new SQLite file cannot be made
        where = url or target
        raise click.ClickException(
            f"{action} failed: cannot create the database file {where}: {exc.strerror or exc}"
        ) from exc


def _fail_on_errors(action: str, error: Exception) -> click.ClickException:
    original = getattr(error, "orig", None)  # the driver's own words, without SQLAlchemy's wrapping and links
    return click.ClickException(f"{action} failed: {original if original is not None else error}")


# --- db ------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database schema (SQLite file or PostgreSQL)."""


@db.command()
@_url_option
@_path_option
@_storage_options
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def upgrade(
    url: str | None, path: Path | None, storage_name: str | None, storage_pairs: tuple[str, ...], revision: str
) -> None:
    """Create or upgrade servicecore's tables to the newest schema revision."""
    from servicecore_adapters.sqlalchemy import migrate
    from servicecore_adapters.sqlalchemy.engine import DEFAULT_SQLITE_PATH, inspect_sqlite_file, parse_url, sqlite_url
    from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE

    url, path = _sql_target(url, path, storage_name, storage_pairs)
    if not url or not url.startswith("postgres"):
        try:
            target = parse_url(url) if url else sqlite_url(path or Path(DEFAULT_SQLITE_PATH))
            if target.get_backend_name() == "sqlite" and target.database:
                found = inspect_sqlite_file(target.database, VERSION_TABLE)
                if found.kind == "not-sqlite":  # never migrated over: it is someone's file
                    raise click.ClickException(f"upgrade refused: {found.describe()}")
        except ServiceCoreError as exc:
            raise _fail_on_errors("upgrade", exc) from exc
    engine = _engine_for(url, path, "upgrade")
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine, revision)
        after = migrate.current_revision(engine)
    except Exception as exc:
        raise _fail_on_errors("upgrade", exc) from exc
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where}: already at revision {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


@db.command()
@_url_option
@_path_option
@_storage_options
def current(url: str | None, path: Path | None, storage_name: str | None, storage_pairs: tuple[str, ...]) -> None:
    """Show the database's schema revision and the newest one this servicecore ships (changes nothing)."""
    from servicecore_adapters.sqlalchemy import migrate
    from servicecore_adapters.sqlalchemy.engine import DEFAULT_SQLITE_PATH, inspect_sqlite_file, parse_url, sqlite_url
    from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE

    url, path = _sql_target(url, path, storage_name, storage_pairs)

    if url and path:
        raise click.UsageError("give either --url or --path, not both")
    try:
        target = parse_url(url) if url else sqlite_url(path or Path(DEFAULT_SQLITE_PATH))
    except ServiceCoreError as exc:
        raise _fail_on_errors("reading the revision", exc) from exc
    if target.get_backend_name() == "sqlite":  # looked at read-only: the file stays as it is
        file = inspect_sqlite_file(target.database or "", VERSION_TABLE)
        if file.kind in {"foreign", "not-sqlite"}:
            raise click.ClickException(file.describe())
        found = file.revision
    else:
        engine = _engine_for(url, None, "reading the revision")
        try:
            found = migrate.current_revision(engine)
        except Exception as exc:
            raise _fail_on_errors("reading the revision", exc) from exc
        finally:
            engine.dispose()
    click.echo(f"current: {found or 'none (no servicecore schema)'}")
    click.echo(f"newest:  {migrate.head_revision()}")
    if found is not None and found not in migrate.known_revisions():
        click.echo(f"note: revision {found} was written by a servicecore newer than {migrate.package_version()}")


# --- outbox --------------------------------------------------------------------------------------


def _key_values(pairs: tuple[str, ...], param_hint: str = "--notifier-option") -> Mapping[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=param_hint)
        options[key] = value
    return options


@main.group()
def outbox() -> None:
    """The transactional outbox of notifications."""


@outbox.command()
@_url_option
@_path_option
@_storage_options
@click.option("--notifier", help="Notifier backend, by plugin name (default: the configuration's, logging).")
@click.option("--notifier-option", "notifier_options", multiple=True, help="KEY=VALUE for the notifier; repeatable.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1), help="Messages per batch.")
@click.option("--max-attempts", default=5, show_default=True, type=click.IntRange(min=1), help="Attempts per message.")
@click.option("--once", is_flag=True, help="Run one batch only (default: batches until nothing is due).")
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds one notifier call may take before it counts as a failed attempt.",
)
@_create_option
def dispatch(
    url: str | None,
    path: Path | None,
    storage_name: str | None,
    storage_pairs: tuple[str, ...],
    notifier: str | None,
    notifier_options: tuple[str, ...],
    batch_size: int,
    max_attempts: int,
    once: bool,
    timeout: float,
    create: bool,
) -> None:
    """Deliver due notifications through the notifier, with retries and back-off.

    Safe to run from several processes at once on PostgreSQL (messages are
    claimed with row locks); run it from cron, a systemd timer or a loop.
    """
    from servicecore.application.dispatcher import Dispatcher, RetryPolicy
    from servicecore_adapters.clocks import SystemClock

    cfg = _config(
        url, path, storage_name, storage_pairs, create=create, notifier=notifier, notifier_pairs=notifier_options
    )
    if cfg.notifier in NOT_FOR_OPERATIONS:
        raise click.UsageError(
            f"the {cfg.notifier!r} notifier {NOT_FOR_OPERATIONS[cfg.notifier]}; choose one that delivers"
        )
    plugins = _state().plugins
    try:
        storage = plugins.storage(cfg.storage, cfg.storage_options)
    except ServiceCoreError as exc:
        raise _fail_on_errors("opening the database", exc) from exc
    try:
        sender = plugins.notifier(cfg.notifier, cfg.notifier_options)
        dispatcher = Dispatcher(
            storage=storage,
            notifier=sender,
            clock=SystemClock(),
            retry=RetryPolicy(max_attempts=max_attempts, timeout=timedelta(seconds=timeout)),
        )
        result = _dispatch_batches(dispatcher, batch_size=batch_size, max_batches=1 if once else None)
    except ServiceCoreError as exc:
        raise _fail_on_errors("dispatch", exc) from exc
    finally:
        storage.close()
    click.echo(f"delivered {result.delivered}, failed attempts {result.failed}")


NOT_FOR_OPERATIONS = {"recording": "keeps messages in memory and delivers nothing"}
"""Notifiers the operations commands refuse, with the reason."""


def _show_progress() -> bool:
    """A progress display only for a person at a terminal, and not with --quiet."""
    return _state().verbosity >= 0 and sys.stdout.isatty()


@contextmanager
def _counting(what: str) -> Iterator[Callable[[int], None] | None]:
    """A ``progress`` callback that counts the cases handled on one line, when :func:`_show_progress` says so.

    ``None`` otherwise, so the run reports nothing on the way. The line is ended
    when the run does, before its summary or error.
    """
    if not _show_progress():
        yield None
        return
    shown = False

    def show(handled: int) -> None:
        nonlocal shown
        shown = True
        click.echo(f"\r{what}: {_count(handled, 'case')}", nl=False)

    try:
        yield show
    finally:
        if shown:
            click.echo()


def _dispatch_batches(dispatcher: Any, *, batch_size: int, max_batches: int | None) -> Any:
    """:meth:`Dispatcher.dispatch_all`, counting the messages on a terminal as the batches go."""
    if not _show_progress():
        return dispatcher.dispatch_all(batch_size=batch_size, max_batches=max_batches)
    total = None
    batches = 0
    while max_batches is None or batches < max_batches:
        result = dispatcher.dispatch(limit=batch_size)
        total = result if total is None else total + result
        batches += 1
        click.echo(f"\rdispatching: {total.delivered} delivered, {total.failed} failed attempts", nl=False)
        if result.delivered + result.failed < batch_size:
            break
    click.echo()
    return total


OPERATOR_ID = "system:cli"
"""The default id of the operator actor the SLA commands run as."""

OPERATOR_NAME = "servicecore command line"
"""The name of the operator actor, as history would show it."""

OPERATOR_ROLE = "administrator"
"""The operator's role: the default command policy grants it scan_sla and recompute_sla."""

_actor_option = click.option(
    "--actor-id",
    default=OPERATOR_ID,
    show_default=True,
    help=f"Id of the operator actor the command runs as (named {OPERATOR_NAME!r}, role {OPERATOR_ROLE}); "
    "given on every desk, strict or not (see docs/trust-model.md).",
)


def operator_actor(actor_id: str = OPERATOR_ID) -> Actor:
    """The actor an operations command runs as: whoever can run it against the database is trusted with it."""
    try:
        return Actor(ActorId(actor_id), OPERATOR_NAME, [OPERATOR_ROLE])
    except ServiceCoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--actor-id") from exc


# --- sla -----------------------------------------------------------------------------------------


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO 8601 date and time, got {value!r}") from None
    if instant.utcoffset() is None:
        raise click.BadParameter(f"{value!r} has no UTC offset; write it like 2025-10-09T12:00:00+08:00")
    return instant


@main.group()
def sla() -> None:
    """Service levels: the SLA clocks of open cases."""


@sla.command()
@_url_option
@_path_option
@_storage_options
@click.option(
    "--calendar",
    help="Business calendar by plugin name (cn, holidays, weekly, 24x7); default: the configuration's, "
    "the one the service desk runs on (24x7 unless configured).",
)
@click.option("--calendar-option", "calendar_options", multiple=True, help="KEY=VALUE for the calendar; repeatable.")
@click.option(
    "--now", "now", callback=_instant, help="Scan as of this instant, ISO 8601 with offset (default: the system clock)."
)
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1), help="Cases per query.")
@_create_option
@click.option(
    "--simulate",
    is_flag=True,
    help="Show what a scan at --now would record, recording nothing; needed for a --now ahead of the system "
    "clock by more than the configured tolerance, 5 minutes by default.",
)
@_actor_option
def scan(
    url: str | None,
    path: Path | None,
    storage_name: str | None,
    storage_pairs: tuple[str, ...],
    calendar: str | None,
    calendar_options: tuple[str, ...],
    now: datetime | None,
    batch_size: int,
    create: bool,
    simulate: bool,
    actor_id: str,
) -> None:
    """Record every SLA warning, breach and escalation reached, and queue their notifications.

    Idempotent: a checkpoint is recorded once, so run it as often as you like
    (cron, a systemd timer), then `servicecore outbox dispatch` to deliver. Use
    the calendar your service desk is configured with: a command's due times
    are computed on it, and the scan keeps them in step on the one given here.
    A --now later than the system clock by more than the configured tolerance
    (5 minutes by default) is refused unless --simulate, which records nothing.
    """
    from servicecore.application.sla import SlaAlert

    actor = operator_actor(actor_id)
    desk = _sla_desk(url, path, calendar, calendar_options, create=create, storage=(storage_name, storage_pairs))
    try:
        with _counting("scanning") as progress:
            result = desk.scan_sla(now, batch=batch_size, simulate=simulate, progress=progress, actor=actor)
    except ValidationError as exc:
        if exc.field == "now":  # the facade's words are for Python callers
            exc = ValidationError("now", exc.message.replace("pass simulate=True", "pass --simulate"))
        raise _fail_on_errors("SLA scan", exc) from exc
    except ServiceCoreError as exc:
        raise _fail_on_errors("SLA scan", exc) from exc
    finally:
        desk.close()
    conflicts = f", {_count(result.conflicts, 'case')} changed meanwhile (next scan)" if result.conflicts else ""
    would = "simulated: would record " if result.simulated else ""
    click.echo(f"{would}scanned {_count(result.scanned, 'case')}, {_count(len(result.alerts), 'alert')}{conflicts}")
    for alert in result.alerts if _state().verbosity >= 0 else ():
        what = alert.level if alert.level == alert.kind.value else f"{alert.kind.value} {alert.level}"
        line = f"{alert.clock} {what} at {alert.at.isoformat()} (due {alert.due_at.isoformat()})"
        if isinstance(alert, SlaAlert):
            line = f"{alert.case_type} {alert.case_id} {line}" + (
                f" -> {', '.join(alert.recipients)}" if alert.recipients else ""
            )
        click.echo(line)


def _sla_desk(
    url: str | None,
    path: Path | None,
    calendar: str | None,
    calendar_options: tuple[str, ...],
    *,
    create: bool = False,
    storage: tuple[str | None, tuple[str, ...]] = (None, ()),
) -> Any:
    config = _config(url, path, *storage, create=create, calendar=calendar, calendar_pairs=calendar_options)
    try:
        return bootstrap(config, plugins=_state().plugins)
    except ServiceCoreError as exc:
        raise _fail_on_errors("opening the service desk", exc) from exc


@sla.command()
@_url_option
@_path_option
@_storage_options
@click.option(
    "--calendar",
    help="Business calendar by plugin name (cn, holidays, weekly, 24x7), as it is now; default: the configuration's.",
)
@click.option("--calendar-option", "calendar_options", multiple=True, help="KEY=VALUE for the calendar; repeatable.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1), help="Cases per query.")
@_actor_option
def recompute(
    url: str | None,
    path: Path | None,
    storage_name: str | None,
    storage_pairs: tuple[str, ...],
    calendar: str | None,
    calendar_options: tuple[str, ...],
    batch_size: int,
    actor_id: str,
) -> None:
    """Recompute the due times of open SLA clocks after the calendar changed (holidays announced, hours moved).

    Prints every clock that moved: case, clock, old and new due time. Recorded
    warnings and breaches stay recorded; stopped clocks keep their verdict.
    There is no --create: a missing database has no clocks to recompute, so it
    is refused as a mistyped path.
    """
    actor = operator_actor(actor_id)
    desk = _sla_desk(url, path, calendar, calendar_options, storage=(storage_name, storage_pairs))
    try:
        with _counting("recomputing") as progress:
            result = desk.recompute_sla(batch=batch_size, progress=progress, actor=actor)
    except ServiceCoreError as exc:
        raise _fail_on_errors("SLA recompute", exc) from exc
    finally:
        desk.close()
    conflicts = f", {_count(result.conflicts, 'case')} changed meanwhile (run again)" if result.conflicts else ""
    click.echo(f"examined {_count(result.examined, 'case')}, {_count(len(result.moves), 'clock')} moved{conflicts}")
    for move in result.moves if _state().verbosity >= 0 else ():
        moved = f"due {move.old_due.isoformat()} -> {move.new_due.isoformat()}"
        click.echo(f"{move.case_type} {move.case_id} {move.clock}: {moved}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- plugins -------------------------------------------------------------------------------------


@main.command("plugins")
def plugins_command() -> None:
    """List the registered plugins, the backends each provides by kind, and the plugins that failed."""
    state = _state()
    provided = state.plugins.provided()
    for plugin, kinds in provided.items():
        click.echo(plugin)
        for kind, names in kinds.items():
            click.echo(f"  {kind}: {', '.join(names) if names else '(none)'}")
    failures = state.plugins.failures
    if failures:
        click.echo(f"{_count(len(failures), 'failure')}:")
    for failure in failures:
        click.echo(f"  {failure.plugin} ({failure.stage}): {failure.error}")
        if state.verbosity > 0 and failure.traceback:
            click.echo("".join(f"    {line}\n" for line in failure.traceback.rstrip().splitlines()))
