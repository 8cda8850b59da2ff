"""The README's benchmark command still runs (a smoke run; nothing here is timed)."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_lifecycle_benchmark_runs_and_reports_a_ratio(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["lifecycle.py", "--cases", "2", "--repeat", "1"])
    runpy.run_path(str(BENCHMARKS / "lifecycle.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "commands/s" in output
    assert "cost per command, facade / domain:" in output


def test_storage_benchmark_runs_and_reports_ratios(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from servicecore_adapters.sqlalchemy.testing import REQUIRE_ENV, PostgresUnavailable, shared_server

    try:
        postgres = ["--postgres-url", shared_server().url()]
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL is required here: {exc}")
        postgres = ["--no-postgres"]
    monkeypatch.setattr(sys, "argv", ["storage.py", "--quick", *postgres])
    runpy.run_path(str(BENCHMARKS / "storage.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "servicecore: ServiceDesk on SQLite" in output
    assert "ratio, cost per command, servicecore / plain sqlite3:" in output
    assert "ratio, due_for_sla / hand-written:" in output
    if "--postgres-url" in postgres:
        assert "ratio, cost per command, servicecore / plain psycopg:" in output


def test_sla_calendar_benchmark_runs_and_reports_ratios(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["sla_calendar.py", "--quick"])
    runpy.run_path(str(BENCHMARKS / "sla_calendar.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "ratio naive / engine:" in output
    assert "same answers as the reference: yes; add-then-measure exact: yes" in output
    assert "new alerts: idempotent" in output
    assert "scan_sla / bare Clocks.scan" in output


def test_imports_benchmark_runs_and_reports_the_ratio(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["imports.py", "--runs", "1"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(BENCHMARKS / "imports.py"), run_name="__main__")
    assert exited.value.code == 0
    output = capsys.readouterr().out
    assert "baseline: 'import attrs, cattrs'" in output
    assert "ratio, import servicecore / import attrs, cattrs (medians):" in output
