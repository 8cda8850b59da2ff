"""`servicecore demo`: works with no arguments, tells the whole story, writes the documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import servicecore as sc
from servicecore.cli import main
from servicecore.demo import DEMO_DATABASE, run_demo
from servicecore.ports.notification import DeliveryStatus
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage


def test_demo_with_no_arguments_writes_documents_to_the_default_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "servicecore-demo-output").iterdir() if p.suffix == ".md")
    assert written == [
        "acceptance_report-ACC-0001.en.md",
        "acceptance_report-ACC-0001.zh-CN.md",
        "rectification_notice-ACC-0001-round-1.en.md",
        "rectification_notice-ACC-0001-round-1.zh-CN.md",
        "work_order_sheet-WO-0001.en.md",
        "work_order_sheet-WO-0001.zh-CN.md",
    ]


def test_demo_prints_the_lifecycle_including_a_failed_round_and_rectification(tmp_path: Path):
    lines: list[str] = []
    result = run_demo(tmp_path, echo=lines.append)
    output = "\n".join(lines)
    for expected in (
        "received → acknowledged",
        "in_review → returned",
        "offered → confirmed",
        "in_progress → on_hold",
        "on_hold → in_progress",
        "awaiting_inspection → failed",
        "failed → rectification_ordered",
        "rectified → passed",
        "passed → accepted",
        "active → fulfilled",
        "completed → closed",
    ):
        assert expected in output
    assert len(result.files) == 6
    assert all(path.read_text("utf-8").startswith("# ") for path in result.files)


def test_demo_locale_option_limits_the_documents(tmp_path: Path):
    result = CliRunner().invoke(main, ["demo", "--output-dir", str(tmp_path), "--locale", "zh-CN"])
    assert result.exit_code == 0, result.output
    assert {p.name.split(".")[-2] for p in tmp_path.glob("*.md")} == {"zh-CN"}


def test_demo_rejects_an_unknown_locale(tmp_path: Path):
    result = CliRunner().invoke(main, ["demo", "--output-dir", str(tmp_path), "--locale", "fr"])
    assert result.exit_code == 2
    assert "fr" in result.output


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"]])
def test_help(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "demo" in result.output


def test_demo_stores_the_case_in_sqlite_and_says_where(tmp_path: Path):
    lines: list[str] = []
    result = run_demo(tmp_path, echo=lines.append)
    database = tmp_path / DEMO_DATABASE
    assert any(str(database) in line for line in lines), "the demo prints where the database is"
    storage = SQLAlchemyStorage(database)
    with storage.unit_of_work() as uow:
        assert uow.requests.get(result.request_id).status is sc.RequestStatus.CLOSED
        assert uow.acceptances.get(result.acceptance_id).status is sc.AcceptanceStatus.ACCEPTED
        assert [o.id for o in uow.work_orders.list(assignee_id="E-010")] == [result.work_order_id]
        assert list(uow.outbox.pending()) == [], "every notification was dispatched through the outbox"
        assert uow.outbox.get("NTF-0001").status is DeliveryStatus.DELIVERED
    storage.close()


def test_demo_runs_again_in_the_same_folder_on_a_fresh_database(tmp_path: Path):
    first = run_demo(tmp_path, echo=lambda line: None, locales=("en",))
    second = run_demo(tmp_path, echo=lambda line: None, locales=("en",))
    assert first.request_id == second.request_id == "REQ-0001"
