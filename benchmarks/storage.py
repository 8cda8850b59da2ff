"""Cost of real storage: servicecore on SQLite and PostgreSQL against hand-written SQL, in the same run.

    python benchmarks/storage.py [--cases 100] [--repeat 3] [--sla-rows 1000000] [--postgres-url URL | --no-postgres]
    python benchmarks/storage.py --quick          # a smoke run: small sizes

1. The full delivery lifecycle of ``benchmarks/lifecycle.py`` (request →
   agreement → work order with the 11-step checklist → acceptance with a failed
   round), one transaction per command, through ``ServiceDesk`` on a SQLite file
   (WAL, ``synchronous=NORMAL``). The baseline is plain ``sqlite3`` on a file
   with the same settings, doing per command what a hand-written application
   would: ``BEGIN IMMEDIATE``, read the case's state and version, the state
   write (compare-and-set ``UPDATE ... WHERE version = ?``, or the ``INSERT`` of
   a new case), one history insert, one outbox insert, ``COMMIT``. The domain
   alone (no storage at all) is printed too, to show where the time goes.
2. The same lifecycle on PostgreSQL (a throwaway server is started when the
   binaries are installed, or ``--postgres-url``), against the same statements
   through plain psycopg.
3. The SLA scan: the first 100 overdue clocks among ``--sla-rows`` open ones,
   through ``Repository.due_for_sla`` against the same query written by hand on
   the same database file. Rows the scan never reaches carry a placeholder
   document, so the file stays small; both sides read the same rows.

Absolute times on shared machines are noise; the ratios measured in one run
are what carry over. Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lifecycle
import servicecore as sc
from servicecore.serialization import unstructure
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.statements import to_micros
from servicecore_adapters.sqlalchemy.testing import PostgresUnavailable, TemporaryPostgres

HISTORY = {"at": "2026-03-02T09:00:00+08:00", "actor": {"id": "E-001", "name": "Li Na"}, "note": "", "action": "x"}


Timed = Callable[[], tuple[float, int]]
"""One run that times itself (leaving its set-up out): (seconds, commands)."""


def interleaved(repeat: int, runs: dict[str, Timed]) -> dict[str, float]:
    """Commands per second of each run, best of ``repeat``; the runs take turns, so load that comes
    and goes on a shared machine falls on all of them alike."""
    best = dict.fromkeys(runs, 0.0)
    for _ in range(repeat):
        for label, run in runs.items():
            seconds, commands = run()
            best[label] = max(best[label], commands / seconds)
    return best


def timed(work: Callable[[], int]) -> Timed:
    def run() -> tuple[float, int]:
        started = time.perf_counter()
        commands = work()
        return time.perf_counter() - started, commands

    return run


def _desk(storage: Any) -> sc.ServiceDesk:
    return sc.ServiceDesk(
        storage=storage,
        notifier=RecordingNotifier(),
        renderer=MarkdownRenderer(),
        clock=ManualClock(lifecycle.START),
        ids=SequentialIds(),
    )


# --- the plain baseline: what a hand-written application writes per command -----------------------

BASELINE_SCHEMA = (
    "CREATE TABLE cases (id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE history (seq INTEGER PRIMARY KEY, case_id TEXT NOT NULL, entry TEXT NOT NULL)",
    "CREATE TABLE outbox (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL)",
)


def _baseline_script(cases: int) -> list[tuple[str, str]]:
    """(case id, kind) per command, in ``lifecycle.desk_lifecycle``'s order: which case each command writes."""
    steps = len(sc.PEST_CONTROL.steps)
    per_case = (
        ["request"] * 3  # receive, acknowledge, assess
        + ["agreement"] * 6  # draft, submit, approve, offer, confirm, activate
        + ["work_order"] * (3 + steps)  # create, start, every step, complete
        + ["acceptance"] * 6  # open, inspect, order rectification, rectified, inspect, sign
    )
    assert len(per_case) == lifecycle.FACADE_COMMANDS + steps
    return [(f"{kind}-{n}", kind) for n in range(cases) for kind in per_case]


def baseline_run(execute: Callable[..., Any], begin: str, commit: Callable[[], None], script: list[tuple[str, str]]):
    """One pass of the baseline through ``execute`` (a DB-API cursor's); returns the commands issued."""
    versions: dict[str, int] = {}
    entry = json.dumps(HISTORY)
    body = json.dumps({"subject": "Your request was received", "recipients": ["customer:C-1"], "body": "x" * 80})
    for n, (case_id, kind) in enumerate(script):
        if begin:
            execute(begin)
        current = versions.get(case_id)
        execute("SELECT state, version FROM cases WHERE id = ?", (case_id,))
        if current is None:
            execute("INSERT INTO cases (id, kind, state, version) VALUES (?, ?, ?, 1)", (case_id, kind, "new"))
        else:
            execute(
                "UPDATE cases SET state = ?, version = ? WHERE id = ? AND version = ?",
                (f"s{current}", current + 1, case_id, current),
            )
        versions[case_id] = (current or 0) + 1
        execute("INSERT INTO history (case_id, entry) VALUES (?, ?)", (case_id, entry))
        execute("INSERT INTO outbox (id, case_id, created_at, body) VALUES (?, ?, ?, ?)", (f"N-{n}", case_id, n, body))
        commit()
    return len(script)


def sqlite_baseline(folder: Path, script: list[tuple[str, str]]) -> Timed:
    runs = iter(range(1_000_000))

    def run() -> tuple[float, int]:
        connection = sqlite3.connect(folder / f"baseline-{next(runs)}.sqlite3", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        for statement in BASELINE_SCHEMA:
            connection.execute(statement)
        cursor = connection.cursor()
        try:
            started = time.perf_counter()
            commands = baseline_run(cursor.execute, "BEGIN IMMEDIATE", lambda: cursor.execute("COMMIT"), script)
            return time.perf_counter() - started, commands
        finally:
            connection.close()

    return run


def postgres_baseline(url: str, script: list[tuple[str, str]]) -> Timed:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")

    def run() -> tuple[float, int]:
        with psycopg.connect(dsn) as connection:
            with connection.cursor() as cursor:
                for table in ("cases", "history", "outbox"):
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in BASELINE_SCHEMA:
                    cursor.execute(statement.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"))
            connection.commit()
            cursor = connection.cursor()

            def execute(sql: str, params: tuple[Any, ...] = ()) -> Any:
                return cursor.execute(sql.replace("?", "%s"), params)

            started = time.perf_counter()
            commands = baseline_run(execute, "", connection.commit, script)
            return time.perf_counter() - started, commands

    return run


# --- servicecore ----------------------------------------------------------------------------------


def servicecore_run(make_storage: Callable[[], Any], cases: int) -> Timed:
    def run() -> tuple[float, int]:
        storage = make_storage()  # creating and migrating the database is not timed
        try:
            desk = _desk(storage)
            started = time.perf_counter()
            commands = sum(lifecycle.desk_lifecycle(desk) for _ in range(cases))
            return time.perf_counter() - started, commands
        finally:
            storage.close()

    return run


def report(title: str, rates: dict[str, float], labels: dict[str, str]) -> None:
    print(f"\n{title}")
    for key, label in labels.items():
        print(f"  {label:<46} {rates[key]:>10,.0f} commands/s")


def per_command(rate: float) -> float:
    return 1 / rate


@contextmanager
def postgres_server(url: str | None, skip: bool) -> Iterator[str | None]:
    if skip:
        yield None
        return
    if url:
        yield url
        return
    try:
        server = TemporaryPostgres(durable=True)  # fsync on, synchronous_commit=off: like SQLite's NORMAL
        server.start()
    except PostgresUnavailable as exc:
        print(f"\n(PostgreSQL skipped: {exc})")
        yield None
        return
    try:
        yield server.url()
    finally:
        server.stop()


def _fresh_postgres_database(url: str, name: str) -> str:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


# --- the SLA scan ---------------------------------------------------------------------------------


def sla_benchmark(folder: Path, rows: int, repeat: int) -> None:
    path = folder / "sla.sqlite3"
    SQLAlchemyStorage(path).close()  # the migrated schema
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    random.seed(5)
    due = sorted(
        (to_micros(now + timedelta(seconds=random.randint(-30 * 86400, 30 * 86400))), f"REQ-{n:07d}")
        for n in range(rows)
    )
    template = unstructure(lifecycle_request())
    real = {request_id for _, request_id in due[:1000]}  # every row the scans below can return
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO servicecore_aggregates (kind, id, version, status, customer_id, sla_check_at, document)"
        " VALUES ('ServiceRequest', ?, 1, 'received', 'C-1', ?, ?)",
        (
            (request_id, at, json.dumps({**template, "id": request_id}) if request_id in real else "{}")
            for at, request_id in due
        ),
    )
    connection.execute("COMMIT")
    loaded = time.perf_counter() - started
    print(f"\nSLA scan: first 100 overdue among {rows:,} open clocks (SQLite; rows loaded in {loaded:.1f} s)")
    hand_sql = (
        "SELECT id, version, document FROM servicecore_aggregates WHERE kind = 'ServiceRequest'"
        " AND sla_check_at IS NOT NULL AND sla_check_at <= ? ORDER BY sla_check_at, id LIMIT 100"
    )
    instant = to_micros(now)
    expected = [row[0] for row in connection.execute(hand_sql, (instant,))]
    iterations = 200

    def hand() -> int:
        for _ in range(iterations):
            connection.execute(hand_sql, (instant,)).fetchall()
        return iterations

    def scan(storage: SQLAlchemyStorage) -> Callable[[], int]:
        def run() -> int:
            for _ in range(iterations):
                with storage.unit_of_work() as uow:
                    uow.requests.due_for_sla(at_or_before=now, limit=100)
            return iterations

        return run

    warm = SQLAlchemyStorage(path)
    cold = SQLAlchemyStorage(path, cache_size=0)
    with warm.unit_of_work() as uow:
        got = [r.id for r in uow.requests.due_for_sla(at_or_before=now, limit=100)]
    assert got == expected, "the two queries disagree"
    best = interleaved(repeat, {"hand": timed(hand), "warm": timed(scan(warm)), "cold": timed(scan(cold))})
    per = {label: 1000 / rate for label, rate in best.items()}
    print(f"  hand-written SQL, rows only                   {per['hand']:>8.3f} ms/query")
    print(f"  due_for_sla, aggregates cached                {per['warm']:>8.3f} ms/query")
    print(f"  due_for_sla, cache off (100 documents parsed) {per['cold']:>8.3f} ms/query")
    print(
        f"  ratio, due_for_sla / hand-written: {per['warm'] / per['hand']:.2f}x (cached), "
        f"{per['cold'] / per['hand']:.2f}x (every document parsed)"
    )
    warm.close()
    cold.close()
    connection.close()


def lifecycle_request() -> sc.ServiceRequest:
    return sc.ServiceRequest.receive(
        id=sc.RequestId("REQ-0000000"),
        customer=sc.Customer(sc.CustomerId("C-1"), "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="Cockroaches in the kitchen",
        actor=lifecycle.AGENT,
        at=lifecycle.START,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100, help="lifecycles per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is reported")
    parser.add_argument("--sla-rows", type=int, default=1_000_000, help="open SLA clocks in the scan's table")
    parser.add_argument("--postgres-url", help="an existing PostgreSQL server to use (default: start one)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 cases, 1 repeat, 5,000 SLA rows")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.repeat, args.sla_rows = 3, 1, 5_000
    script = _baseline_script(args.cases)

    with tempfile.TemporaryDirectory(prefix="servicecore-bench-") as tmp:
        folder = Path(tmp)
        files = iter(range(1_000_000))
        clock, ids = ManualClock(lifecycle.START), SequentialIds()
        rates = interleaved(
            args.repeat,
            {
                "domain": timed(lambda: sum(lifecycle.domain_lifecycle(clock, ids) for _ in range(args.cases))),
                "memory": servicecore_run(MemoryStorage, args.cases),
                "baseline": sqlite_baseline(folder, script),
                "sqlite": servicecore_run(
                    lambda: SQLAlchemyStorage(folder / f"servicecore-{next(files)}.sqlite3"), args.cases
                ),
            },
        )
        print(f"lifecycles per run: {args.cases} ({len(script)} commands), best of {args.repeat}")
        report(
            "Lifecycle on SQLite (WAL, synchronous=NORMAL, one transaction per command)",
            rates,
            {
                "domain": "domain only, no storage (reference)",
                "memory": "ServiceDesk on memory storage (reference)",
                "baseline": "plain sqlite3 (baseline)",
                "sqlite": "servicecore: ServiceDesk on SQLite",
            },
        )
        base, desk, memory = (per_command(rates[k]) for k in ("baseline", "sqlite", "memory"))
        print(f"  ratio, cost per command, servicecore / plain sqlite3: {desk / base:.2f}x")
        print(f"  ratio, what the SQLite adapter adds (SQLite - memory) / plain sqlite3: {(desk - memory) / base:.2f}x")

        with postgres_server(args.postgres_url, args.no_postgres) as url:
            if url:
                databases = iter(range(1_000_000))

                def pg_storage() -> SQLAlchemyStorage:
                    return SQLAlchemyStorage(_fresh_postgres_database(url, f"bench_sc_{next(databases)}"), migrate=True)

                pg = interleaved(
                    args.repeat,
                    {
                        "baseline": postgres_baseline(_fresh_postgres_database(url, "bench_plain"), script),
                        "postgresql": servicecore_run(pg_storage, args.cases),
                    },
                )
                report(
                    "Lifecycle on PostgreSQL (loopback, one transaction per command)",
                    pg,
                    {"baseline": "plain psycopg (baseline)", "postgresql": "servicecore: ServiceDesk on PostgreSQL"},
                )
                base, desk = per_command(pg["baseline"]), per_command(pg["postgresql"])
                print(f"  ratio, cost per command, servicecore / plain psycopg: {desk / base:.2f}x")
                added = (desk - memory) / base
                print(f"  ratio, what the adapter adds (PostgreSQL - memory) / plain psycopg: {added:.2f}x")

        sla_benchmark(folder, args.sla_rows, args.repeat)


if __name__ == "__main__":
    main()
