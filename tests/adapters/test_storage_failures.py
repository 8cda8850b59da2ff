"""Driver failures are StorageErrors, everywhere; a database that comes back costs no failed command.

SQLite: a read-only file, a file deleted behind the storage's back, connections
closed under it. PostgreSQL: a real server stopped and started again while a
service desk holds pooled connections.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import servicecore as sc
from servicecore.application.dispatcher import Dispatcher
from servicecore.bootstrap import bootstrap
from servicecore.testing import START, full_lifecycle, sample_notification
from servicecore.testing.storage_contract import save
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage, StorageError
from servicecore_adapters.sqlalchemy.engine import make_engine
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres

AGENT = sc.Actor("E-001", "Li Na", ["agent", "administrator"])
LATER = START + timedelta(days=400)


def test_the_storage_error_is_a_core_error_and_the_old_import_still_works() -> None:
    assert StorageError is sc.StorageError
    assert issubclass(sc.StorageError, sc.ServiceCoreError)
    assert "StorageError" in sc.__all__


def _every_read(storage: SQLAlchemyStorage) -> dict[str, Callable[[], Any]]:
    def run(action: Callable[[Any], Any]) -> Callable[[], Any]:
        def go() -> Any:
            with storage.unit_of_work() as uow:
                return action(uow)

        return go

    return {
        "get": run(lambda uow: uow.requests.get("REQ-1")),
        "list": run(lambda uow: uow.requests.list()),
        "due_for_sla": run(lambda uow: uow.requests.due_for_sla(at_or_before=LATER)),
        "outbox.pending": run(lambda uow: uow.outbox.pending()),
        "outbox.claim_due": run(lambda uow: uow.outbox.claim_due(at=LATER)),
        "dispatch": lambda: Dispatcher(
            storage=storage, notifier=RecordingNotifier(), clock=ManualClock(LATER)
        ).dispatch(),
    }


def _add_request(storage: SQLAlchemyStorage, suffix: str) -> None:
    request = full_lifecycle(suffix).requests[0]
    with storage.unit_of_work() as uow:
        uow.requests.add(request)
        uow.outbox.add(sample_notification(f"NTF-{suffix}"))
        uow.commit()


def test_a_read_only_database_refuses_writes_with_a_storage_error_at_commit(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    save(SQLAlchemyStorage(path), full_lifecycle("1").requests[0])
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")  # every write fails in the driver, as on a read-only disk

    storage = SQLAlchemyStorage(engine)
    for name, read in _every_read(storage).items():
        if name not in {"dispatch", "outbox.claim_due"}:  # claiming takes the write lock
            read()  # reads still work
    with pytest.raises(StorageError, match="readonly") as caught:
        _add_request(storage, "2")
    assert isinstance(caught.value.__cause__, Exception)
    with pytest.raises(StorageError):
        _every_read(storage)["dispatch"]()  # the outbox claim is a write: refused the same way
    storage.close()


def test_a_deleted_file_is_a_storage_error_on_every_path_and_is_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite3"
    storage = SQLAlchemyStorage(path)
    _add_request(storage, "1")
    storage.close()  # drop the open connections: the next command needs a new one
    for leftover in tmp_path.glob("gone.sqlite3*"):
        leftover.unlink()
    for name, read in _every_read(storage).items():
        with pytest.raises(StorageError, match="was deleted"):
            read()
        assert not path.exists(), name
    with pytest.raises(StorageError):
        _add_request(storage, "2")
    assert not path.exists(), "a connection silently created a new, empty database"


def test_connections_closed_under_the_storage_cost_no_failed_command(tmp_path: Path) -> None:
    """A dead kept connection is replaced before the first statement of a transaction fails for good."""
    engine = make_engine(f"sqlite:///{tmp_path / 'closed.sqlite3'}")
    opened: list[sqlite3.Connection] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: opened.append(dbapi_connection))
    storage = SQLAlchemyStorage(engine)
    _add_request(storage, "1")
    for read in _every_read(storage).values():
        for connection in opened:
            connection.close()  # as if the database had dropped them
        read()  # no failure reaches the caller
    _add_request(storage, "2")
    storage.close()


# --- PostgreSQL stopped and started again -----------------------------------------------------------


@pytest.fixture
def own_server() -> Iterator[TemporaryPostgres]:
    """A server of the test's own: it is stopped and started again, which the shared one must not be."""
    from servicecore_adapters.sqlalchemy.testing import server_for_tests

    server_for_tests()  # skips (or fails under SERVICECORE_REQUIRE_POSTGRES=1) where PostgreSQL cannot run
    server = TemporaryPostgres()
    server.start()
    yield server
    server.stop()


def _desk(url: str) -> sc.ServiceDesk:
    return bootstrap(sc.ServiceDeskConfig(storage="postgresql", storage_options={"url": url, "migrate": True}))


def _receive(desk: sc.ServiceDesk) -> sc.ServiceRequest:
    return desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-100", "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="ants",
    )


def test_a_stopped_postgresql_is_a_storage_error_and_a_restart_costs_no_command(own_server: TemporaryPostgres) -> None:
    desk = _desk(own_server.create_database())
    first = _receive(desk)
    # several connections kept idle, as after concurrent requests in a web application
    threads = [threading.Thread(target=_receive, args=(desk,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    commands: dict[str, Callable[[], Any]] = {
        "receive": lambda: _receive(desk),
        "get": lambda: desk.get_request(first.id),
        "list": lambda: desk.list_requests(),
        "scan_sla": lambda: desk.scan_sla(),
        "pending": lambda: desk.pending_notifications(),
        "dispatch": lambda: desk.dispatch_notifications(actor=AGENT),
    }
    own_server.halt()
    for name, command in commands.items():
        for _ in range(2):  # the first and the second command alike
            with pytest.raises(sc.StorageError) as caught:
                command()
            assert caught.value.__cause__ is not None, name
    own_server.resume()
    failed = []
    for _ in range(3):
        for name, command in commands.items():
            try:
                command()
            except Exception as exc:
                failed.append(f"{name}: {exc!r}")
    assert failed == [], "a command failed after the server came back"
    assert desk.get_request(first.id).id == first.id
    desk.close()


def test_a_restart_between_commands_costs_no_command(own_server: TemporaryPostgres) -> None:
    """Stopped and started while the desk was idle: the kept connections are dead, and nobody notices."""
    desk = _desk(own_server.create_database())
    threads = [threading.Thread(target=_receive, args=(desk,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    own_server.halt()
    own_server.resume()
    for _ in range(6):
        _receive(desk)
    assert len(desk.list_requests()) == 10
    desk.close()


def test_an_unreachable_server_at_start_is_a_storage_error() -> None:
    with pytest.raises(sc.StorageError, match="cannot open the database"):
        SQLAlchemyStorage("postgresql+psycopg://nobody@127.0.0.1:1/none")


def _desk_on(path: Path) -> sc.ServiceDesk:
    return bootstrap(sc.ServiceDeskConfig(storage="sqlite", storage_options={"path": str(path)}))


def _receive(desk: sc.ServiceDesk) -> sc.ServiceRequest:
    return desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-100", "Wang Fang", phone="138"),
        channel="phone",
        category="repair",
        priority="normal",
        description="the boiler is leaking",
    )


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_file_deleted_or_replaced_under_a_running_desk_fails_every_command(tmp_path: Path, how: str) -> None:
    path = tmp_path / "desk.sqlite3"
    desk = _desk_on(path)
    first = _receive(desk)
    assert desk.get_request(first.id).id == first.id
    for leftover in tmp_path.glob("desk.sqlite3*"):
        leftover.unlink()  # the open connections keep the unlinked file alive: writes would vanish with it
    if how == "replaced":
        other = _desk_on(path)  # a new database now sits at the same path
        _receive(other)
    with pytest.raises(sc.StorageError, match=f"desk.sqlite3 was {how}") as caught:
        _receive(desk)
    assert "nothing was written" in str(caught.value)
    with pytest.raises(sc.StorageError, match=how):
        desk.get_request(first.id)
    if how == "replaced":
        assert len(_desk_on(path).list_requests()) == 1  # the other database got nothing from the old desk
    else:
        assert not path.exists()
