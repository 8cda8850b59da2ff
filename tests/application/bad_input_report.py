"""The bad-input guard's figures, from a real run: ``python -m tests.application.bad_input_report [examples]``.

Drives every ServiceDesk command ``examples`` times (default 6) on memory, SQLite and, when a
PostgreSQL server can be started here, PostgreSQL, counting instead of stopping at the first
broken property, and prints per backend: calls made, accepted, refused, non-library exceptions,
unreadable cases and refusals that wrote, with the first few offenders.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.testing import PostgresUnavailable, TemporaryPostgres
from tests.application.bad_input import COMMANDS, Figures, World, drive


def _run(backend: str, world: World, examples: int) -> Figures:
    figures = Figures()
    for command in COMMANDS:
        drive(world, command, figures, examples=examples, strict=False)
    print(figures.line(backend))
    for kind, found in (
        ("non-library", figures.non_library),
        ("unreadable", figures.unreadable),
        ("wrote", figures.wrote_when_refused),
        ("long message", figures.long_messages),
    ):
        for line in found[:5]:
            print(f"  {kind}: {line[:300]}")
    return figures


def _sql(url: str) -> World:
    return World(SQLAlchemyStorage(url, migrate=True), fresh=lambda: SQLAlchemyStorage(url, cache_size=0)).build()


def main(examples: int) -> int:
    """Run every backend available here; 1 if any property broke."""
    results = [_run("memory", World(MemoryStorage()).build(), examples)]
    with tempfile.TemporaryDirectory() as folder:
        world = _sql(f"sqlite:///{Path(folder) / 'servicecore.sqlite3'}")
        results.append(_run("sqlite", world, examples))
        world.storage.close()
    try:
        with TemporaryPostgres() as server:
            world = _sql(server.create_database())
            results.append(_run("postgresql", world, examples))
            world.storage.close()
    except PostgresUnavailable as why:
        print(f"postgresql: not run ({why})")
    broken = any(f.non_library or f.unreadable or f.wrote_when_refused or f.long_messages for f in results)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 6))
