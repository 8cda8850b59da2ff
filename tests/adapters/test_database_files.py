"""What servicecore opens: foreign files untouched, missing files created only when asked, newer schemas refused.

A SQLite file of some other application, or a file that is not a database at
all, is refused and stays byte for byte as it was (no WAL switch, no tables).
The operations commands refuse a missing database unless ``--create`` is given;
the application default keeps creating one. A database written by a newer
servicecore (a schema revision this package does not ship) is refused with a
message naming the revision, by the storage and by ``servicecore db upgrade``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

import servicecore as sc
from servicecore.application.dispatcher import Dispatcher
from servicecore.bootstrap import bootstrap
from servicecore.cli import main
from servicecore.ports.notification import DeliveryStatus, OutboxMessage
from servicecore.serialization import unstructure
from servicecore.testing import START, sample_notification
from servicecore.testing.storage_contract import outbox_message
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy import migrate as migrations
from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` and the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _foreign(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount TEXT)")
    connection.execute("INSERT INTO customers (name) VALUES ('Wang Fang')")
    connection.commit()
    connection.close()


def _refusals(path: Path) -> list[tuple[str, object]]:
    """Every way of opening ``path``: the outcome of each (an exception, or a CLI result)."""
    outcomes: list[tuple[str, object]] = []
    for name, open_it in [
        ("SQLAlchemyStorage", lambda: SQLAlchemyStorage(path)),
        ("migrate=True", lambda: SQLAlchemyStorage(path, migrate=True)),
        ("url", lambda: SQLAlchemyStorage(f"sqlite:///{path}")),
        ("plugin", lambda: sc.Plugins(entry_points=False).storage("sqlite", {"path": str(path)})),
        (
            "ServiceDeskConfig",
            lambda: bootstrap(sc.ServiceDeskConfig(storage_options={"path": str(path)})),
        ),
    ]:
        with pytest.raises(sc.ConfigurationError) as caught:
            open_it()
        outcomes.append((name, caught.value))
    runner = CliRunner()
    for args in (
        ["outbox", "dispatch", "--path", str(path)],
        ["outbox", "dispatch", "--create", "--path", str(path)],
        ["sla", "scan", "--path", str(path)],
        ["db", "current", "--path", str(path)],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert isinstance(result.exception, SystemExit), "a clean message, not a traceback"
        outcomes.append((" ".join(args[:2]), result.output))
    return outcomes


def test_a_foreign_sqlite_file_is_refused_and_left_byte_for_byte_untouched(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    _foreign(path)
    before = _snapshot(tmp_path)
    for name, outcome in _refusals(path):
        assert "customers, invoices" in str(outcome), f"{name}: {outcome}"
        assert "not servicecore's" in str(outcome), f"{name}: {outcome}"
        assert _snapshot(tmp_path) == before, f"{name} changed the folder"
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete", "switched to WAL"
    connection.close()


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("meeting notes, not a database\n" * 200)
    before = _snapshot(tmp_path)
    for name, outcome in _refusals(path):
        assert "not a SQLite database" in str(outcome), f"{name}: {outcome}"
        assert _snapshot(tmp_path) == before, f"{name} changed the folder"


def test_servicecore_db_upgrade_adds_the_tables_to_a_foreign_file_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    _foreign(path)
    result = CliRunner().invoke(main, ["db", "upgrade", "--path", str(path)])
    assert result.exit_code == 0, result.output
    SQLAlchemyStorage(path).close()  # now a servicecore database (that also holds the app's tables)
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT name FROM customers").fetchall() == [("Wang Fang",)]
    connection.close()


def test_the_operations_commands_refuse_a_missing_database_unless_asked_to_create_it(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in (["outbox", "dispatch"], ["sla", "scan"]):
        typo = tmp_path / "typo.sqlite3"
        result = runner.invoke(main, [*command, "--path", str(typo)])
        assert result.exit_code == 1, result.output
        assert f"there is no database file at {typo}" in result.output
        assert "--create" in result.output
        assert not typo.exists(), f"{command} created the file"
        created = runner.invoke(main, [*command, "--create", "--path", str(typo)])
        assert created.exit_code == 0, created.output
        assert typo.exists()
        typo.unlink()
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = runner.invoke(main, ["outbox", "dispatch", "--url", f"sqlite:///{empty}"])
    assert result.exit_code == 1
    assert "is an empty database" in result.output
    assert empty.stat().st_size == 0


def test_the_application_default_still_creates_its_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bootstrap(sc.ServiceDeskConfig()).close()
    assert migrations.current_revision(create_engine(f"sqlite:///{tmp_path / 'servicecore.sqlite3'}")) == (
        migrations.head_revision()
    )
    with pytest.raises(sc.ConfigurationError, match="creating one was not asked for"):
        SQLAlchemyStorage(tmp_path / "other.sqlite3", create=False)
    with pytest.raises(sc.ConfigurationError, match=r"^create:"):
        sc.Plugins(entry_points=False).storage("sqlite", {"path": "x.sqlite3", "create": "no"})
    assert not (tmp_path / "other.sqlite3").exists()
    assert not (tmp_path / "x.sqlite3").exists()


# --- a schema written by a newer servicecore -------------------------------------------------------


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :r"), {"r": revision})
    engine.dispose()


def _assert_newer_message(message: str) -> None:
    assert "revision '0099'" in message, message
    assert "newer servicecore" in message, message
    assert migrations.head_revision() in message, message


def test_a_sqlite_file_from_a_newer_servicecore_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    SQLAlchemyStorage(path).close()
    _stamp(f"sqlite:///{path}", "0099")
    before = _snapshot(tmp_path)[path.name]
    for migrate in (None, True, False):
        with pytest.raises(sc.ConfigurationError) as caught:
            SQLAlchemyStorage(path, migrate=migrate)
        _assert_newer_message(str(caught.value))
    upgrade = CliRunner().invoke(main, ["db", "upgrade", "--path", str(path)])
    assert upgrade.exit_code == 1
    assert isinstance(upgrade.exception, SystemExit), "a clean message, not a traceback"
    _assert_newer_message(upgrade.output)
    current = CliRunner().invoke(main, ["db", "current", "--path", str(path)])
    assert current.exit_code == 0, current.output
    assert "current: 0099" in current.output
    assert "newer than" in current.output
    assert _snapshot(tmp_path)[path.name] == before, "the database was changed"


def test_a_postgresql_database_from_a_newer_servicecore_is_refused_clearly(postgres: TemporaryPostgres) -> None:
    url = postgres.create_database()
    SQLAlchemyStorage(url, migrate=True).close()
    _stamp(url, "0099")
    for migrate in (False, True):
        with pytest.raises(sc.ConfigurationError) as caught:
            SQLAlchemyStorage(url, migrate=migrate)
        _assert_newer_message(str(caught.value))
    upgrade = CliRunner().invoke(main, ["db", "upgrade", "--url", url])
    assert upgrade.exit_code == 1
    assert isinstance(upgrade.exception, SystemExit)
    _assert_newer_message(upgrade.output)


# --- the upgrade from revision 0001 ---------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_outbox_written_at_revision_0001_is_upgraded_and_delivered(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    engine = create_engine(url)
    migrations.upgrade(engine, "0001")
    queued = OutboxMessage(notification=sample_notification("NTF-old"))
    failed_once = queued.failed(at=START, error="smtp down", retry_at=START)
    with engine.begin() as connection:
        for message in (queued, failed_once):
            notification_id = "NTF-old" if message is queued else "NTF-retry"
            document = json.dumps(unstructure(message))
            if message is failed_once:
                document = document.replace('"NTF-old"', '"NTF-retry"')
            connection.execute(
                text(
                    "INSERT INTO servicecore_outbox (id, status, attempts, created_at, due_at, document) "
                    "VALUES (:i, 'pending', :a, 0, 0, :d)"
                ),
                {"i": notification_id, "a": message.attempts, "d": document},
            )
    engine.dispose()
    storage = SQLAlchemyStorage(url, migrate=True)
    assert migrations.current_revision(storage.engine) == migrations.head_revision()
    notifier = RecordingNotifier()
    result = Dispatcher(storage=storage, notifier=notifier, clock=ManualClock(START)).dispatch()
    assert result == sc.DispatchResult(delivered=2, failed=0)
    retried = outbox_message(storage, "NTF-retry")
    assert retried is not None
    assert (retried.status, retried.attempts) == (DeliveryStatus.DELIVERED, 2)
    storage.close()


def test_a_path_that_cannot_be_read_is_a_storage_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()
    with pytest.raises(sc.StorageError, match=r"cannot read .*: it is a directory, not a database file"):
        SQLAlchemyStorage(folder)
    assert list(folder.iterdir()) == []
