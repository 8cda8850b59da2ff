"""A throwaway PostgreSQL server for tests and benchmarks: ``initdb`` and ``pg_ctl`` in a temporary folder.

The server listens on 127.0.0.1 on a free port, trusts local connections, and is
deleted when stopped. The binaries are looked for in ``$SERVICECORE_PG_BIN``,
then ``pg_config --bindir``, then ``/usr/lib/postgresql/*/bin`` (newest first),
then ``PATH``. PostgreSQL refuses to run as root, so when the current user is
root the server runs as the ``postgres`` system user (``nobody`` if there is
none) through ``runuser``.

In a test suite, :func:`server_for_tests` skips when no server can be started,
unless ``SERVICECORE_REQUIRE_POSTGRES=1`` is set (CI sets it), in which case it
fails: a PostgreSQL test that CI skips silently would prove nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

REQUIRE_ENV = "SERVICECORE_REQUIRE_POSTGRES"
"""Set to ``1`` to make a missing PostgreSQL server fail the tests instead of skipping them."""

BIN_ENV = "SERVICECORE_PG_BIN"
"""Folder of the PostgreSQL server binaries, if they are not found on their own."""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates: list[str] = []
    if os.environ.get(BIN_ENV):
        candidates.append(os.environ[BIN_ENV])
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates.extend(sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        folder = Path(candidate)
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _version_key(path: str) -> tuple[int, ...]:
    digits = Path(path).parent.name
    return tuple(int(part) for part in digits.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_user() -> str | None:
    """The unprivileged user to run the server as when we are root (``None``: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresUnavailable("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


class TemporaryPostgres:
    """A PostgreSQL server in a temporary folder. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    ``durable=False`` (the default, for tests) turns ``fsync`` off; benchmarks
    pass ``durable=True`` and get fsync on with ``synchronous_commit=off``,
    the PostgreSQL counterpart of SQLite's WAL with ``synchronous=NORMAL``.
    """

    def __init__(self, *, bin_dir: Path | None = None, durable: bool = False) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries not found (install the 'postgresql' package, or set SERVICECORE_PG_BIN)"
            )
        self.bin_dir = found
        self.durable = durable
        self.port = 0
        self._user = _server_user()
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, cwd=self._folder, timeout=180)

    def _fail(self, what: str, result: subprocess.CompletedProcess[str]) -> NoReturn:
        log = ""
        if self._folder is not None and (self._folder / "server.log").exists():
            log = (self._folder / "server.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise PostgresUnavailable(f"{what} failed ({result.returncode}): {result.stderr.strip()}\n{log}".strip())

    def start(self) -> None:
        """Create the cluster and start the server (waits until it accepts connections)."""
        folder = Path(tempfile.mkdtemp(prefix="servicecore-pg-"))
        self._folder = folder
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        init = self._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        if init.returncode != 0:
            self._fail("initdb", init)
        for _ in range(3):  # the free port may be taken between probing and binding
            self.port = _free_port()
            started = self._pg_ctl_start()
            if started.returncode == 0:
                return
        self._fail("pg_ctl start", started)

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        folder = self._folder
        assert folder is not None
        settings = ["-c listen_addresses=127.0.0.1", f"-k {folder}", "-c max_connections=200"]
        if self.durable:
            settings.append("-c synchronous_commit=off")
        else:
            settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return self._run(
            "pg_ctl",
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-t",
            "120",
            "-o",
            " ".join([f"-p {self.port}", *settings]),
            "start",
        )

    def halt(self) -> None:
        """Shut the server down cleanly, keeping its data, as an administrator stopping it would
        (connections are dropped; new ones are refused until :meth:`resume`)."""
        folder = self._folder
        if folder is None:
            raise PostgresUnavailable("the server was never started")
        result = self._run("pg_ctl", "-D", str(folder / "data"), "-m", "fast", "-w", "stop")
        if result.returncode != 0:
            self._fail("pg_ctl stop", result)

    def resume(self) -> None:
        """Start the server stopped by :meth:`halt` again, on the same port, with its data."""
        started = self._pg_ctl_start()
        if started.returncode != 0:
            self._fail("pg_ctl start", started)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        folder, self._folder = self._folder, None
        if folder is None:
            return
        if (folder / "data" / "postmaster.pid").exists():
            self._folder = folder
            self._run("pg_ctl", "-D", str(folder / "data"), "-m", "immediate", "-w", "stop")
            self._folder = None
        shutil.rmtree(folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh unique name by default) and return its URL."""
        import psycopg

        database = name or f"servicecore_{uuid.uuid4().hex[:12]}"
        with (
            self._lock,
            psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c,
        ):
            c.execute(f'CREATE DATABASE "{database}"')  # a name we made or were given by test code
        return self.url(database)


_shared: TemporaryPostgres | None = None
_shared_error: PostgresUnavailable | None = None
_shared_lock = threading.Lock()


def shared_server() -> TemporaryPostgres:
    """One server for this process, started on first use and stopped at exit.

    Raises :class:`PostgresUnavailable` (every time, without retrying) if it cannot start.
    """
    global _shared, _shared_error
    with _shared_lock:
        if _shared is not None:
            return _shared
        if _shared_error is not None:
            raise _shared_error
        try:
            server = TemporaryPostgres()
            server.start()
        except PostgresUnavailable as exc:
            _shared_error = exc
            raise
        atexit.register(server.stop)
        _shared = server
        return server


def server_for_tests() -> TemporaryPostgres:
    """:func:`shared_server` for pytest: skip without a server, or fail if ``SERVICECORE_REQUIRE_POSTGRES=1``."""
    import pytest

    try:
        return shared_server()
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but PostgreSQL is unavailable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL is unavailable: {exc}")


__all__ = [
    "BIN_ENV",
    "REQUIRE_ENV",
    "PostgresUnavailable",
    "TemporaryPostgres",
    "find_bin_dir",
    "server_for_tests",
    "shared_server",
]
