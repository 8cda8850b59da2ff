"""Fixtures for the reliability tests: each test gets a fresh, migrated database on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.testing import server_for_tests


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the worker processes store data: a SQLite file path or a PostgreSQL URL, migrated and empty."""
    where = str(tmp_path / "shared.sqlite3") if request.param == "sqlite" else server_for_tests().create_database()
    SQLAlchemyStorage(where if "://" in where else Path(where), migrate=True).close()
    return where
