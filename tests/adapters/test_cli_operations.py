"""The operations command line an operator can trust: --config, any storage, -v/-q, plugins and their commands."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from servicecore.cli import CliState, main
from servicecore.hookspecs import hookimpl
from servicecore.plugins import Plugins
from servicecore.ports.notification import Notification
from servicecore.testing import sample_notification
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage

from .test_sla_cli import received_request

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SERVICECORE_CONFIG", "SERVICECORE_STORAGE", "SERVICECORE_CALENDAR", "SERVICECORE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=dict(env or {}))
    return result.exit_code, result.output


def queued(storage: Any, count: int, first: int = 0) -> None:
    with storage.unit_of_work() as uow:
        for n in range(first, first + count):
            uow.outbox.add(sample_notification(f"NTF-{n}"))
        uow.commit()


class Pager:
    """A third-party plugin: a storage the built-in commands have never heard of, and a notifier."""

    def __init__(self) -> None:
        self.storage = MemoryStorage()
        self.sent: list[str] = []
        self.options: list[dict[str, Any]] = []

    @hookimpl
    def servicecore_storage_backends(self) -> Mapping[str, Any]:
        def open_vault(options: Mapping[str, Any]) -> MemoryStorage:
            self.options.append(dict(options))
            return self.storage

        return {"acme-vault": open_vault}

    @hookimpl
    def servicecore_notifiers(self) -> Mapping[str, Any]:
        pager = self

        class Sender:
            def send(self, notification: Notification) -> None:
                pager.sent.append(notification.id)

        return {"acme-pager": lambda options: Sender()}

    @hookimpl
    def servicecore_register_commands(self, cli: click.Group) -> None:
        @cli.command("acme-ping")
        @click.pass_obj
        def ping(state: CliState) -> None:
            """Say which storages this run knows."""
            click.echo(f"pong: {', '.join(state.plugins.available('storage'))}")


class Clobber:
    """Tries to replace a built-in command, then fails."""

    @hookimpl
    def servicecore_register_commands(self, cli: click.Group) -> None:
        @cli.command("plugins")
        def fake() -> None:
            click.echo("not the real one")


class Crashing:
    @hookimpl
    def servicecore_register_commands(self, cli: click.Group) -> None:
        raise RuntimeError("the licence server is down")


@pytest.fixture
def pager(monkeypatch: pytest.MonkeyPatch) -> Pager:
    plugin = Pager()

    def make_plugins() -> Plugins:
        plugins = Plugins(entry_points=False)
        plugins.register(plugin, name="acme")
        plugins.register(Crashing(), name="crashing")
        plugins.register(Clobber(), name="clobber")
        return plugins

    monkeypatch.setattr(type(main), "make_plugins", staticmethod(make_plugins))
    return plugin


# --- any storage ----------------------------------------------------------------------------------


def test_a_plugin_storage_is_dispatched_through_its_plugin_notifier(pager: Pager) -> None:
    queued(pager.storage, 3)
    code, output = run(
        "outbox",
        "dispatch",
        "--storage",
        "acme-vault",
        "--storage-option",
        "region=cn-east",
        "--notifier",
        "acme-pager",
    )
    assert code == 0, output
    assert "delivered 3, failed attempts 0" in output
    assert sorted(pager.sent) == ["NTF-0", "NTF-1", "NTF-2"]
    assert pager.options == [{"region": "cn-east"}]


def test_a_plugin_storage_is_scanned(pager: Pager) -> None:
    code, output = run("sla", "scan", "--storage", "acme-vault", "--now", "2025-10-09T10:00:00+08:00")
    assert (code, output) == (0, "scanned 0 cases, 0 alerts\n")


def test_dispatch_on_the_memory_storage_and_on_sqlite_by_storage_options(tmp_path: Path) -> None:
    assert run("outbox", "dispatch", "--storage", "memory") == (0, "delivered 0, failed attempts 0\n")
    path = tmp_path / "desk.sqlite3"
    storage = SQLAlchemyStorage(path)
    queued(storage, 2)
    storage.close()
    code, output = run(
        "outbox",
        "dispatch",
        "--storage",
        "sqlite",
        "--storage-option",
        f"path={path}",
        "--storage-option",
        "busy_timeout=2",
    )
    assert (code, output) == (0, "delivered 2, failed attempts 0\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--storage", "memory", "--path", "x.sqlite3"], "either --storage/--storage-option or --url/--path"),
        (["--storage", "memory", "--storage-option", "size"], "KEY=VALUE"),
        (["--storage", "memory", "--storage-option", "size=3"], "the memory storage takes no options"),
        (["--storage", "carrier-pigeon"], "no storage backend named 'carrier-pigeon'"),
        (["--path", "typo.sqlite3"], "typo.sqlite3"),
    ],
)
def test_dispatch_refuses_bad_storage_choices(args: list[str], message: str) -> None:
    code, output = run("outbox", "dispatch", *args)
    assert code != 0
    assert message in output
    assert not Path("typo.sqlite3").exists()


def test_the_recording_notifier_is_refused_for_operations(tmp_path: Path) -> None:
    code, output = run("outbox", "dispatch", "--storage", "memory", "--notifier", "recording")
    assert code == 2
    assert "the 'recording' notifier keeps messages in memory and delivers nothing" in output
    config = tmp_path / "desk.toml"
    config.write_text('storage = "memory"\nnotifier = "recording"\n', encoding="utf-8")
    code, output = run("--config", str(config), "outbox", "dispatch")
    assert code == 2
    assert "'recording' notifier" in output


# --- one configuration for the application and the command line ----------------------------------


def test_the_scan_runs_on_the_configured_storage_and_calendar(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    received_request(path, "cn", {"years": "2025-2026"}, datetime(2025, 9, 30, 16, tzinfo=SHANGHAI))
    config = tmp_path / "desk.toml"
    config.write_text(
        f'[storage]\nname = "sqlite"\noptions = {{ path = "{path}" }}\n'
        '[calendar]\nname = "cn"\noptions = { years = "2025-2026" }\n',
        encoding="utf-8",
    )
    code, output = run("--config", str(config), "sla", "scan", "--now", "2025-10-09T10:12:00+08:00")
    assert code == 0, output
    assert output.splitlines()[0] == "scanned 1 case, 1 alert"
    assert "due 2025-10-09T11:00:00+08:00" in output  # National Day holidays skipped

    # the same through $SERVICECORE_CONFIG, and --calendar still overrides the file
    code, output = run("sla", "scan", "--now", "2025-10-09T10:12:00+08:00", env={"SERVICECORE_CONFIG": str(config)})
    assert (code, output) == (0, "scanned 0 cases, 0 alerts\n")  # recorded once
    code, output = run("--config", str(config), "sla", "recompute", "--calendar", "24x7")
    assert code == 0, output
    assert output.splitlines()[:2] == [
        "examined 1 case, 2 clocks moved",
        "ServiceRequest REQ-0001 first_response: due 2025-10-09T11:00:00+08:00 -> 2025-09-30T12:00:00+00:00",
    ]
    code, output = run("--config", str(config), "sla", "recompute")  # back on the configured cn calendar
    assert code == 0, output
    assert output.splitlines()[1].endswith("-> 2025-10-09T11:00:00+08:00")


def test_db_commands_read_the_configured_database(tmp_path: Path) -> None:
    path = tmp_path / "configured.sqlite3"
    config = tmp_path / "desk.toml"
    config.write_text(f'[storage]\nname = "sqlite"\noptions = {{ path = "{path}" }}\n', encoding="utf-8")
    code, output = run("--config", str(config), "db", "upgrade")
    assert code == 0, output
    assert str(path) in output
    code, output = run("db", "current", "--storage", "memory")
    assert code == 2
    assert "storage 'memory' has no schema to migrate" in output


def test_a_missing_config_file_is_refused(tmp_path: Path) -> None:
    code, output = run("--config", str(tmp_path / "nope.toml"), "outbox", "dispatch", "--storage", "memory")
    assert code == 1
    assert "nope.toml" in output
    assert "does not exist" in output


def test_a_bad_config_file_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text('[storage]\nname = "memory"\noptions = "none"\n', encoding="utf-8")
    code, output = run("--config", str(config), "sla", "scan")
    assert code == 1
    assert "storage.options: expected a mapping" in output


# --- verbosity -----------------------------------------------------------------------------------


def test_quiet_keeps_the_summary_and_drops_the_details(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))
    code, output = run("-q", "sla", "scan", "--path", str(path), "--simulate")
    assert code == 0, output
    assert output == "simulated: would record scanned 1 case, 6 alerts\n"
    code, output = run("-q", "-v", "sla", "scan", "--path", str(path))
    assert code == 2
    assert "either -v or -q" in output


def test_alembic_lines_only_with_verbose(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code, output = run("outbox", "dispatch", "--create", "--path", str(tmp_path / "new.sqlite3"))
    assert code == 0, output
    assert not [r for r in caplog.records if r.name.startswith("alembic")]
    code, output = run("-v", "outbox", "dispatch", "--create", "--path", str(tmp_path / "other.sqlite3"))
    assert code == 0, output
    assert [r for r in caplog.records if r.name.startswith("alembic") and r.levelno == logging.INFO]


# --- plugins -------------------------------------------------------------------------------------


def test_plugins_lists_the_backends_by_kind_and_the_failures(pager: Pager) -> None:
    code, output = run("plugins")
    assert code == 0, output
    assert "acme\n  storage: acme-vault\n  notifier: acme-pager\n" in output
    assert "crashing (servicecore_register_commands): RuntimeError: the licence server is down" in output
    assert "clobber (servicecore_register_commands): PluginError: command names already taken: plugins" in output
    assert "Traceback" not in output
    code, output = run("-v", "plugins")
    assert "Traceback (most recent call last)" in output


def test_the_built_in_plugins_are_listed() -> None:
    code, output = run("plugins")
    assert code == 0, output
    assert "servicecore_adapters.memory\n  storage: memory\n" in output
    assert "servicecore_adapters.calendars\n  calendar: 24x7, cn, holidays, weekly\n" in output
    assert "servicecore.checklists\n  checklist templates: pest-control\n" in output


def test_a_plugin_adds_a_command(pager: Pager) -> None:
    code, output = run("acme-ping")
    assert (code, output) == (0, "pong: acme-vault, memory, postgresql, sqlite\n")
    code, output = run("--help")
    assert "acme-ping" in output


def test_a_plugin_command_is_gone_when_its_plugin_is(pager: Pager, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("acme-ping")[0] == 0
    monkeypatch.setattr(type(main), "make_plugins", staticmethod(lambda: Plugins(entry_points=False)))
    code, output = run("acme-ping")
    assert code == 2
    assert "No such command 'acme-ping'" in output


def test_dispatch_counts_on_a_terminal_only(pager: Pager, monkeypatch: pytest.MonkeyPatch) -> None:
    queued(pager.storage, 3)
    code, output = run("outbox", "dispatch", "--storage", "acme-vault", "--notifier", "acme-pager", "--batch-size", "2")
    assert (code, output) == (0, "delivered 3, failed attempts 0\n")  # not a terminal: the summary only
    queued(pager.storage, 3, first=3)
    monkeypatch.setattr("servicecore.cli._show_progress", lambda: True)
    code, output = run("outbox", "dispatch", "--storage", "acme-vault", "--notifier", "acme-pager", "--batch-size", "2")
    assert code == 0, output
    assert "\rdispatching: 2 delivered, 0 failed attempts\rdispatching: 3 delivered, 0 failed attempts\n" in output
    assert output.endswith("delivered 3, failed attempts 0\n")


def test_sla_scan_and_recompute_count_cases_on_a_terminal_unless_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "desk.sqlite3"
    received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))
    summary = "simulated: would record scanned 1 case, 6 alerts\n"
    code, output = run("sla", "scan", "--path", str(path), "--simulate")
    assert (code, output.startswith(summary)) == (0, True), output  # not a terminal: no count
    monkeypatch.setattr("click.testing._NamedTextIOWrapper.isatty", lambda self: True)  # the runner's stdout
    code, output = run("sla", "scan", "--path", str(path), "--simulate")
    assert (code, output.startswith("\rscanning: 1 case\n" + summary)) == (0, True), output
    code, output = run("-q", "sla", "scan", "--path", str(path), "--simulate")
    assert (code, output) == (0, summary)

    code, output = run("sla", "recompute", "--path", str(path))
    assert (code, output) == (0, "\rrecomputing: 1 case\nexamined 1 case, 0 clocks moved\n")
    code, output = run("-q", "sla", "recompute", "--path", str(path))
    assert (code, output) == (0, "examined 1 case, 0 clocks moved\n")


def test_a_storage_given_on_the_command_line_beats_the_database_url_variable() -> None:
    code, output = run("outbox", "dispatch", "--storage", "memory", env={"SERVICECORE_DATABASE_URL": "sqlite:///x.db"})
    assert (code, output) == (0, "delivered 0, failed attempts 0\n")
    code, output = run("outbox", "dispatch", "--storage", "memory", "--url", "sqlite:///x.db")
    assert code == 2
    assert "either --storage/--storage-option or --url/--path" in output


def test_an_installed_plugin_storage_is_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed through the ``servicecore`` entry-point group, as a third party ships it."""
    plugin = Pager()
    queued(plugin.storage, 2)

    class EntryPoint:
        name = "acme"

        @staticmethod
        def load() -> Pager:
            return plugin

    def entry_points(**kwargs: Any) -> list[Any]:
        return [EntryPoint()] if kwargs.get("group") == "servicecore" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    code, output = run("outbox", "dispatch", "--storage", "acme-vault", "--notifier", "acme-pager")
    assert (code, output) == (0, "delivered 2, failed attempts 0\n")
    assert sorted(plugin.sent) == ["NTF-0", "NTF-1"]


# --- a strict desk, failures without tracebacks ---------------------------------------------------


def test_the_operations_commands_run_as_the_operator_on_a_strict_desk(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))
    config = tmp_path / "desk.toml"
    config.write_text(f'strict = true\n[storage]\nname = "sqlite"\noptions = {{ path = "{path}" }}\n', encoding="utf-8")
    code, output = run("--config", str(config), "sla", "scan")
    assert code == 0, output
    assert output.startswith("scanned 1 case, 6 alerts")
    code, output = run("--config", str(config), "sla", "recompute", "--actor-id", "ops-7")
    assert code == 0, output
    assert output.startswith("examined 1 case")
    code, output = run("--config", str(config), "outbox", "dispatch", "--notifier", "logging")
    assert code == 0, output
    assert output.startswith("delivered ")
    code, output = run("--config", str(config), "sla", "scan", "--actor-id", " ")
    assert code == 2
    assert "--actor-id" in output


def test_the_operator_is_an_administrator_the_policy_lets_scan() -> None:
    from servicecore.application.permissions import DEFAULT_POLICY
    from servicecore.cli import operator_actor

    operator = operator_actor()
    assert (operator.id, operator.name, operator.roles) == ("system:cli", "servicecore command line", {"administrator"})
    for command in ("scan_sla", "recompute_sla", "dispatch_notifications"):
        DEFAULT_POLICY.check(operator, command)


@pytest.mark.parametrize("command", ["current", "upgrade"])
def test_db_commands_say_psycopg_is_missing_in_one_line(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)
    code, output = run("db", command, "--url", "postgresql+psycopg://u@127.0.0.1:1/x")
    assert code == 1
    assert output.startswith("Error: "), output
    assert output.count("\n") == 1, output
    assert "psycopg" in output


def test_db_upgrade_names_a_file_it_cannot_create() -> None:
    code, output = run("db", "upgrade", "--path", "/proc/nope/x.sqlite3")
    assert code == 1
    assert (
        output
        == "Error: upgrade failed: cannot create the database file /proc/nope/x.sqlite3: No such file or directory\n"
    )


def test_a_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_bytes(b'strict = "\xff"\n')
    code, output = run("--config", str(config), "outbox", "dispatch", "--storage", "memory")
    assert code == 1
    assert f"{config}: not valid UTF-8" in output
    assert "Traceback" not in output


def test_the_command_line_names_its_own_options(tmp_path: Path) -> None:
    code, output = run("--config", str(tmp_path / "nope.toml"), "sla", "scan", "--storage", "memory")
    assert (code, "(--config) does not exist" in output) == (1, True)
    path = tmp_path / "desk.sqlite3"
    received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))
    code, output = run("sla", "scan", "--path", str(path), "--now", "2999-01-01T00:00:00+00:00")
    assert code == 1
    assert "pass --simulate" in output
    assert "simulate=True" not in output
    code, output = run("sla", "scan", "--help")
    assert "the configured tolerance, 5 minutes by default" in " ".join(output.split())
    code, output = run("sla", "recompute", "--help")
    assert "There is no --create" in " ".join(output.split())
