"""The ``servicecore`` command line: the demo, database migrations and the outbox dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from servicecore.demo import run_demo
from servicecore.domain.errors import ServiceCoreError
from servicecore_adapters.markdown.renderer import LOCALES

URL_ENV = "SERVICECORE_DATABASE_URL"
"""Environment variable read when ``--url`` is not given."""


@click.group()
@click.version_option(package_name="servicecore")
def main() -> None:
    """servicecore: run a customer-facing service end to end."""


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
    """Run a full request → agreement → work order → acceptance lifecycle."""
    run_demo(output_dir, locales=locales or LOCALES, echo=click.echo)


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


def _storage_choice(url: str | None, path: Path | None) -> tuple[str, dict[str, Any]]:
    """The storage backend name and options for ``--url`` / ``--path``."""
    if url and path:
        raise click.UsageError("give either --url or --path, not both")
    if url:
        name = "postgresql" if url.startswith("postgres") else "sqlite"
        return name, {"url": url}
    return "sqlite", {"path": str(path)} if path else {}


def _engine_for(url: str | None, path: Path | None) -> Any:
    from servicecore_adapters.sqlalchemy.engine import DEFAULT_SQLITE_PATH, make_engine, sqlite_url

    if url and path:
        raise click.UsageError("give either --url or --path, not both")
    return make_engine(url or sqlite_url(path or Path(DEFAULT_SQLITE_PATH)))


def _fail_on_errors(action: str, error: Exception) -> click.ClickException:
    return click.ClickException(f"{action} failed: {error}")


# --- db ------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database schema (SQLite file or PostgreSQL)."""


@db.command()
@_url_option
@_path_option
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def upgrade(url: str | None, path: Path | None, revision: str) -> None:
    """Create or upgrade servicecore's tables to the newest schema revision."""
    from servicecore_adapters.sqlalchemy import migrate

    engine = _engine_for(url, path)
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
def current(url: str | None, path: Path | None) -> None:
    """Show the database's schema revision and the newest one this servicecore ships."""
    from servicecore_adapters.sqlalchemy import migrate

    engine = _engine_for(url, path)
    try:
        found = migrate.current_revision(engine)
    except Exception as exc:
        raise _fail_on_errors("reading the revision", exc) from exc
    finally:
        engine.dispose()
    click.echo(f"current: {found or 'none (no servicecore schema)'}")
    click.echo(f"newest:  {migrate.head_revision()}")


# --- outbox --------------------------------------------------------------------------------------


def _key_values(pairs: tuple[str, ...]) -> Mapping[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--notifier-option")
        options[key] = value
    return options


@main.group()
def outbox() -> None:
    """The transactional outbox of notifications."""


@outbox.command()
@_url_option
@_path_option
@click.option("--notifier", default="logging", show_default=True, help="Notifier backend, by plugin name.")
@click.option("--notifier-option", "notifier_options", multiple=True, help="KEY=VALUE for the notifier; repeatable.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1), help="Messages per batch.")
@click.option("--max-attempts", default=5, show_default=True, type=click.IntRange(min=1), help="Attempts per message.")
@click.option("--once", is_flag=True, help="Run one batch only (default: batches until nothing is due).")
def dispatch(
    url: str | None,
    path: Path | None,
    notifier: str,
    notifier_options: tuple[str, ...],
    batch_size: int,
    max_attempts: int,
    once: bool,
) -> None:
    """Deliver due notifications through the notifier, with retries and back-off.

    Safe to run from several processes at once on PostgreSQL (messages are
    claimed with row locks); run it from cron, a systemd timer or a loop.
    """
    from servicecore.application.dispatcher import Dispatcher, RetryPolicy
    from servicecore.plugins import Plugins
    from servicecore_adapters.clocks import SystemClock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    storage_name, storage_options = _storage_choice(url, path)
    plugins = Plugins()
    try:
        storage = plugins.storage(storage_name, storage_options)
    except ServiceCoreError as exc:
        raise _fail_on_errors("opening the database", exc) from exc
    try:
        sender = plugins.notifier(notifier, _key_values(notifier_options))
        dispatcher = Dispatcher(
            storage=storage, notifier=sender, clock=SystemClock(), retry=RetryPolicy(max_attempts=max_attempts)
        )
        result = dispatcher.dispatch_all(batch_size=batch_size, max_batches=1 if once else None)
    except ServiceCoreError as exc:
        raise _fail_on_errors("dispatch", exc) from exc
    finally:
        storage.close()
    click.echo(f"delivered {result.delivered}, failed attempts {result.failed}")
