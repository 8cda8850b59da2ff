"""Runs the README's Python blocks as tests, so the first example a newcomer sees works; Hypothesis profiles.

Hypothesis has no deadline and no "too slow" health check: these machines are shared, and timing is noise,
not a property of the code under test. The ``quick`` profile (10 examples a property) is for the fast
loop, ``pytest -m "not slow" --hypothesis-profile=quick``, or ``SERVICECORE_HYPOTHESIS_PROFILE=quick``;
CI runs the default profile.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser

settings.register_profile("servicecore", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", settings.get_profile("servicecore"), max_examples=10)
settings.load_profile(os.environ.get("SERVICECORE_HYPOTHESIS_PROFILE", "servicecore"))

SLOW_MODULES = frozenset(
    {
        "tests/reliability/test_processes.py",  # worker processes, killed and restarted
        "tests/domain/test_state_machines.py",  # the longest Hypothesis state machines
        "tests/domain/test_discipline_state_machines.py",
        "tests/adapters/test_storage_failures.py",  # stops and restarts a PostgreSQL server
        "tests/test_benchmarks_run.py",  # whole benchmark runs
    }
)
"""Test modules that are slow as a whole."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` what the fast loop leaves to CI: the modules above, every test that uses a PostgreSQL
    server (its ``postgres`` fixture or a ``postgresql`` parameter), and the bad-input guard on SQLite."""
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        params = item.callspec.id.split("-") if hasattr(item, "callspec") else []
        postgres = "postgres" in getattr(item, "fixturenames", ()) or "postgresql" in params
        bad_input_on_sql = path == "tests/application/test_bad_input.py" and "sqlite" in params
        if path in SLOW_MODULES or postgres or bad_input_on_sql or "Postgres" in item.nodeid:
            item.add_marker(pytest.mark.slow)


pytest_collect_file = Sybil(parsers=[PythonCodeBlockParser()], patterns=["README.md"]).pytest()
