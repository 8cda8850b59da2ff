"""The README's benchmark command still runs (a smoke run; nothing here is timed)."""

from __future__ import annotations

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
