"""The SQLAlchemy backend on SQLite and PostgreSQL: the storage contract, migrations, options, indexes, errors."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, text

import servicecore as sc
from servicecore.ports.storage import StorageBackend
from servicecore.storage_kinds import ListQuery
from servicecore.testing import AGENT, START, full_lifecycle, sample_notification
from servicecore.testing.storage_contract import StorageContract, assert_stored_as, load, save
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage, StorageError
from servicecore_adapters.sqlalchemy import migrate as migrations
from servicecore_adapters.sqlalchemy.engine import make_engine
from servicecore_adapters.sqlalchemy.schema import VERSION_TABLE, aggregates, assignees, metadata, outbox
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres

LATER = START.replace(year=2027)


class TestSqliteStorage(StorageContract):
    """The contract on a SQLite file, with the loaded-aggregate cache off so every read is deserialized."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[StorageBackend]:
        backend = SQLAlchemyStorage(tmp_path / "servicecore.sqlite3", cache_size=0)
        yield backend
        backend.close()

    @pytest.fixture
    def reopen(self, tmp_path: Path) -> Callable[[], StorageBackend]:
        return lambda: SQLAlchemyStorage(tmp_path / "servicecore.sqlite3", cache_size=0)


@pytest.fixture(scope="module")
def postgres_url(postgres: TemporaryPostgres) -> str:
    """One database for the contract tests, migrated once; each test empties it."""
    url = postgres.create_database()
    SQLAlchemyStorage(url, migrate=True).close()
    return url


class TestPostgresStorage(StorageContract):
    """The contract on PostgreSQL, configured as in production (cache on)."""

    @pytest.fixture
    def storage(self, postgres_url: str) -> Iterator[StorageBackend]:
        backend = SQLAlchemyStorage(postgres_url)
        with backend.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {assignees.name}, {aggregates.name}, {outbox.name}"))
        yield backend
        backend.close()

    @pytest.fixture
    def reopen(self, postgres_url: str) -> Callable[[], StorageBackend]:
        return lambda: SQLAlchemyStorage(postgres_url, cache_size=0)


# --- migrations ----------------------------------------------------------------------------


def _schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_schema_the_models_describe_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    SQLAlchemyStorage(url).close()  # migrates a fresh file
    assert _schema_differences(url) == []
    engine = create_engine(url)
    with engine.connect() as connection:
        indexes = {row[1]: row[4] for row in connection.exec_driver_sql("PRAGMA index_list(servicecore_aggregates)")}
    engine.dispose()
    assert indexes["ix_servicecore_aggregates_sla"] == 1, "the SLA index is partial (open clocks only)"


def test_migrations_build_exactly_the_schema_the_models_describe_on_postgresql(postgres: TemporaryPostgres) -> None:
    url = postgres.create_database()
    with pytest.raises(sc.ConfigurationError, match="servicecore db upgrade"):
        SQLAlchemyStorage(url)  # PostgreSQL is never migrated behind the operator's back
    engine = create_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    assert _schema_differences(url) == []
    SQLAlchemyStorage(url).close()  # now at head: accepted


def test_the_comparison_notices_a_schema_that_drifted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drifted.sqlite3'}"
    SQLAlchemyStorage(url).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_servicecore_aggregates_customer")
    engine.dispose()
    assert [difference[0] for difference in _schema_differences(url)] == ["add_index"]


def test_a_fresh_sqlite_file_is_migrated_once_and_then_only_checked(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "servicecore.sqlite3"
    storage = SQLAlchemyStorage(path)
    assert migrations.current_revision(storage.engine) == migrations.head_revision()
    save(storage, full_lifecycle("1").requests[0])
    storage.close()
    again = SQLAlchemyStorage(path)
    assert load(again, sc.ServiceRequest, "REQ-1").version == 1
    again.close()


def test_an_unmigrated_sqlite_file_is_refused_when_migration_is_off(tmp_path: Path) -> None:
    with pytest.raises(sc.ConfigurationError, match=r"no servicecore schema.*db upgrade"):
        SQLAlchemyStorage(tmp_path / "empty.sqlite3", migrate=False)


# --- options --------------------------------------------------------------------------------


def test_sqlite_options(tmp_path: Path) -> None:
    storage = SQLAlchemyStorage.sqlite_from_options({"path": str(tmp_path / "a.sqlite3"), "synchronous": "full"})
    with storage.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    storage.close()
    by_url = SQLAlchemyStorage.sqlite_from_options({"url": f"sqlite:///{tmp_path / 'b.sqlite3'}"})
    with by_url.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL, the default
    by_url.close()
    assert (tmp_path / "b.sqlite3").exists()


def test_the_default_sqlite_file_is_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    SQLAlchemyStorage.sqlite_from_options({}).close()
    assert (tmp_path / "servicecore.sqlite3").exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"path": 3}, "path"),
        ({"migrate": "yes"}, "migrate"),
        ({"busy_timeout": 0}, "busy_timeout"),
        ({"busy_timeout": True}, "busy_timeout"),
        ({"cache_size": -1}, "cache_size"),
        ({"synchronous": "SOMETIMES"}, "synchronous"),
        ({"path": "a.sqlite3", "url": "sqlite:///b.sqlite3"}, "path"),
        ({"url": "postgresql+psycopg://localhost/x"}, "url"),
        ({"url": "sqlite://"}, "url"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_bad_sqlite_options_name_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], field: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sc.ConfigurationError, match=f"^{field}:"):
        SQLAlchemyStorage.sqlite_from_options(options)


@pytest.mark.parametrize(
    ("options", "field"),
    [({}, "url"), ({"path": "x"}, "url"), ({"url": "sqlite:///x.sqlite3"}, "url"), ({"url": "mysql://h/d"}, "url")],
)
def test_bad_postgresql_options_name_the_option(options: dict[str, Any], field: str) -> None:
    with pytest.raises(sc.ConfigurationError, match=f"^({field}|path):"):
        SQLAlchemyStorage.postgresql_from_options(options)


def test_the_plugin_provides_sqlite_and_postgresql(tmp_path: Path) -> None:
    plugins = sc.Plugins(entry_points=False)
    assert {"sqlite", "postgresql"} <= set(plugins.available("storage"))
    storage = plugins.storage("sqlite", {"path": str(tmp_path / "p.sqlite3")})
    assert isinstance(storage, SQLAlchemyStorage)
    storage.close()


def test_the_postgresql_plugin_takes_a_psycopg_url(postgres: TemporaryPostgres) -> None:
    url = postgres.create_database()
    plain = url.replace("postgresql+psycopg://", "postgresql://")  # the driver is filled in
    storage = sc.Plugins(entry_points=False).storage("postgresql", {"url": plain, "migrate": True})
    save(storage, full_lifecycle("1").requests[0])
    storage.close()


# --- behaviour beyond the contract ----------------------------------------------------------


def test_a_cached_aggregate_is_not_served_after_another_process_changed_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    mine, theirs = SQLAlchemyStorage(path), SQLAlchemyStorage(path)
    request = full_lifecycle("1").requests[0]
    save(mine, request)
    assert load(mine, sc.ServiceRequest, request.id).version == 1  # now cached in ``mine``
    with theirs.unit_of_work() as uow:
        changed = uow.requests.get(request.id).acknowledge(actor=AGENT, at=LATER, message="from elsewhere")
        uow.requests.update(changed)
        uow.commit()
    assert_stored_as(load(mine, sc.ServiceRequest, request.id), changed, version=2)
    mine.close()
    theirs.close()


def test_a_locked_database_is_a_storage_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    storage = SQLAlchemyStorage(path, busy_timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with storage.unit_of_work() as uow:
            uow.requests.add(full_lifecycle("1").requests[0])
            with pytest.raises(StorageError, match="locked") as caught:
                uow.commit()
        assert isinstance(caught.value, sc.ServiceCoreError)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with storage.unit_of_work() as uow:
        assert list(uow.requests.list()) == []
    storage.close()


def test_an_unreachable_server_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot open"):
        SQLAlchemyStorage("postgresql+psycopg://nobody@127.0.0.1:1/none")


_PARTIAL = re.compile(r"USING (COVERING )?INDEX (ix_servicecore_outbox_pending|ix_servicecore_outbox_due)\b")


def _tracing_storage(path: Path) -> tuple[SQLAlchemyStorage, list[str]]:
    """A storage whose SQLite connections report every SELECT they run (with the values bound in)."""
    selects: list[str] = []
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(
            lambda sql: selects.append(sql) if sql.lstrip().upper().startswith("SELECT") else None
        )

    return SQLAlchemyStorage(engine, cache_size=0), selects


def test_every_query_is_answered_from_an_index_on_sqlite(tmp_path: Path) -> None:
    """No query reads the aggregate or outbox tables from end to end (SQLite's query plans say so)."""
    storage, selects = _tracing_storage(tmp_path / "plans.sqlite3")
    life = full_lifecycle("1")
    save(storage, *life.finals())
    with storage.unit_of_work() as uow:
        uow.outbox.add(sample_notification("NTF-1"))
        uow.commit()
    selects.clear()
    with storage.unit_of_work() as uow:
        uow.requests.get("REQ-1")
        uow.requests.list(ListQuery(status="closed", limit=5, offset=1))
        uow.agreements.list(ListQuery(customer_id="C-1"))
        uow.work_orders.list(ListQuery(assignee_id="E-010"))
        uow.work_orders.list(ListQuery(assignee_id="E-010", status="completed"))
        uow.requests.due_for_sla(at_or_before=LATER)
        uow.outbox.get("NTF-1")  # first: a message this unit of work has read is not read again
        uow.outbox.pending()
        uow.outbox.due(at=LATER)
        uow.requests.list()
    assert len(selects) == 10, selects
    with storage.engine.connect() as connection:
        for statement in selects:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")]
            # SEARCH reads one index range; SCAN is fine only over a partial index (pending messages, open clocks)
            full_scans = [step for step in plan if step.startswith("SCAN ") and not _PARTIAL.search(step)]
            assert not full_scans, f"{statement}\nreads a whole table or index: {plan}"
            assert not any("TEMP B-TREE" in step for step in plan), f"{statement}\nsorts in memory: {plan}"
    storage.close()


def test_importing_the_adapter_leaves_alembic_unloaded_until_a_database_is_opened(tmp_path: Path) -> None:
    """Alembic is the migration tool: importing the adapter does not load it, opening a database does."""
    code = (
        "import sys\n"
        "import servicecore_adapters.sqlalchemy as adapter\n"
        "assert 'alembic' not in sys.modules, 'alembic loaded by the import'\n"
        f"adapter.SQLAlchemyStorage({str(tmp_path / 'lazy.sqlite3')!r}).close()\n"
        "assert 'alembic' in sys.modules, 'the schema was not checked'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
