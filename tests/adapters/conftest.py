"""Fixtures for the storage adapters: a PostgreSQL server started once per test session."""

from __future__ import annotations

import pytest

from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres, server_for_tests


@pytest.fixture(scope="session")
def postgres() -> TemporaryPostgres:
    """A running throwaway PostgreSQL server (skips, or fails under SERVICECORE_REQUIRE_POSTGRES=1, without one)."""
    return server_for_tests()
