"""`servicecore db upgrade` / `db current` and `servicecore outbox dispatch`, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from servicecore.bootstrap import bootstrap
from servicecore.cli import main
from servicecore.ports.notification import DeliveryStatus
from servicecore.testing import full_lifecycle, sample_notification
from servicecore.testing.storage_contract import outbox_message, save
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy import migrate as migrations
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres


def test_db_upgrade_creates_the_schema_once(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite3"
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade", "--path", str(path)])
    assert first.exit_code == 0, first.output
    assert f"upgraded from an empty database to revision {migrations.head_revision()}" in first.output
    again = runner.invoke(main, ["db", "upgrade", "--url", f"sqlite:///{path}"])
    assert again.exit_code == 0, again.output
    assert "already at revision" in again.output
    shown = runner.invoke(main, ["db", "current", "--path", str(path)])
    assert shown.exit_code == 0, shown.output
    assert f"current: {migrations.head_revision()}" in shown.output
    SQLAlchemyStorage(path, migrate=False).close()  # accepted without migrating


def test_db_upgrade_on_postgresql_lets_the_backend_start(postgres: TemporaryPostgres) -> None:
    url = postgres.create_database()
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"SERVICECORE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "upgraded from an empty database" in result.output
    SQLAlchemyStorage(url).close()


def test_db_upgrade_reports_an_unreachable_database() -> None:
    result = CliRunner().invoke(main, ["db", "upgrade", "--url", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "upgrade failed" in result.output


def test_db_commands_refuse_both_url_and_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade", "--path", "a.sqlite3", "--url", "sqlite:///b.sqlite3"])
    assert result.exit_code == 2
    assert "either --url or --path" in result.output


def test_outbox_dispatch_delivers_what_commands_queued(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    storage = SQLAlchemyStorage(path)
    save(storage, full_lifecycle("1").requests[0])
    with storage.unit_of_work() as uow:
        for n in range(3):
            uow.outbox.add(sample_notification(f"NTF-{n}"))
        uow.commit()
    result = CliRunner().invoke(
        main,
        [
            "outbox",
            "dispatch",
            "--path",
            str(path),
            "--notifier",
            "logging",
            "--notifier-option",
            "level=DEBUG",
            "--timeout",
            "2.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "delivered 3, failed attempts 0" in result.output
    for n in range(3):
        message = outbox_message(storage, f"NTF-{n}")
        assert message is not None
        assert message.status is DeliveryStatus.DELIVERED
    storage.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--notifier-option", "oops"], "KEY=VALUE"),
        (["--notifier", "carrier-pigeon"], "no notifier backend named 'carrier-pigeon'"),
        (["--batch-size", "0"], "0"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_outbox_dispatch_reports_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["outbox", "dispatch", "--create", "--path", str(tmp_path / "x.sqlite3"), *args])
    assert result.exit_code != 0
    assert message in result.output


def test_operator_mistakes_are_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import servicecore as sc

    runner = CliRunner()
    not_a_database = tmp_path / "notes.sqlite3"
    not_a_database.write_text("meeting notes, not a database\n" * 200)
    result = runner.invoke(main, ["db", "upgrade", "--path", str(not_a_database)])
    assert result.exit_code != 0
    assert "is not a SQLite database" in result.output
    assert "sqlalche.me" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not_a_database.read_text().startswith("meeting notes"), "the file was changed"

    result = runner.invoke(main, ["demo", "--output-dir", "/proc/servicecore-demo", "--locale", "en"])
    assert result.exit_code != 0
    assert "cannot write the demo output to /proc/servicecore-demo" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)

    with pytest.raises(sc.ServiceCoreError, match="is a directory, not a database file"):
        bootstrap(sc.ServiceDeskConfig(storage="sqlite", storage_options={"path": str(tmp_path)}))

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra was not installed
    with pytest.raises(sc.ConfigurationError, match=r'pip install "servicecore\[postgresql\]"'):
        bootstrap(sc.ServiceDeskConfig(storage="postgresql", storage_options={"url": "postgresql://u@localhost/db"}))
