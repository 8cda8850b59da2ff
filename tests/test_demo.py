"""`servicecore demo`: works with no arguments, tells the whole story, writes the documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import servicecore as sc
from servicecore.cli import main
from servicecore.demo import DEMO_DATABASE, DemoResult, run_demo
from servicecore.ports.notification import DeliveryStatus
from servicecore.storage_kinds import ListQuery
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage


def test_demo_with_no_arguments_writes_documents_to_the_default_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "servicecore-demo-output").iterdir() if p.suffix == ".md")
    assert written == [
        "acceptance_report-ACC-0001.en.md",
        "acceptance_report-ACC-0001.zh-CN.md",
        "appeal_decision-APPEAL-0001.en.md",
        "appeal_decision-APPEAL-0001.zh-CN.md",
        "complaint_reply-COMPLAINT-0001-1.en.md",
        "complaint_reply-COMPLAINT-0001-1.zh-CN.md",
        "publication_notice-VIOLATION-0001-2.en.md",
        "publication_notice-VIOLATION-0001-2.zh-CN.md",
        "rectification_notice-ACC-0001-round-1.en.md",
        "rectification_notice-ACC-0001-round-1.zh-CN.md",
        "violation_decision_letter-VIOLATION-0001-2.en.md",
        "violation_decision_letter-VIOLATION-0001-2.zh-CN.md",
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
    assert len(result.files) == 14
    assert all(path.read_text("utf-8").startswith("# ") for path in result.files)


@pytest.fixture(scope="module")
def discipline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    lines: list[str] = []
    result = run_demo(tmp_path_factory.mktemp("demo"), echo=lines.append)
    return result, "\n".join(lines)


def test_demo_tells_the_discipline_story_after_the_delivery(discipline_run):
    result, output = discipline_run
    delivery, _, discipline = output.partition("== Complaint")
    assert "completed → closed" in delivery
    assert discipline, "the discipline case follows the delivery lifecycle"
    steps = [
        "COMPLAINT-0001 Li Na      receive                 · → received",
        "received → acknowledged",
        "acknowledged → investigating",
        "VIOLATION-0001 Huang Lei  report                  · → reported",
        "COMPLAINT-0001 Huang Lei  link_violation            (violation VIOLATION-0001)",
        "reported → investigating",
        "#1 interview_record",
        "#2 service_record",
        "investigating → determined",
        "determined → decided  (decision 1: warning for Chen Gang; fine 500.00 CNY for Chen Gang; "
        "appeal by 2026-04-03T18:00:00+08:00)",
        "decided → published  (decision 1 published)",
        "APPEAL-0001    Chen Gang  file                    · → filed",
        "filed → under_review  (panel: Xu Hua, Ma Jun)",
        "under_review → upheld",
        "published → decided  (appeal APPEAL-0001 upheld; decision 2 corrects 1)",
        "upheld → closed  (Chen Gang notified: decision handed over and signed for)",
        "decided → published  (corrected decision 2 published)",
        "investigating → resolved",
        "resolved → closed",
        "published → final  (decision 2 final)",
    ]
    positions = [discipline.index(step) for step in steps]  # each printed, in story order
    assert positions == sorted(positions)
    assert (result.complaint_id, result.violation_id, result.appeal_id) == (
        "COMPLAINT-0001",
        "VIOLATION-0001",
        "APPEAL-0001",
    )


def test_demo_shows_the_three_refusals(discipline_run):
    _, output = discipline_run
    refusals = [line for line in output.splitlines() if line.startswith("   refused: ")]
    assert len(refusals) == 3
    separation, role, late = refusals
    assert "actor E-010 may not start_investigation complaint COMPLAINT-0001" in separation
    assert "Chen Gang's own work" in separation
    assert "actor C-100 may not decide_violation: requires one of the roles discipline_officer" in role
    assert "the appeal deadline of decision 2 was 2026-04-03T18:00:00+08:00" in late
    assert "too late" in late


def test_demo_writes_the_discipline_documents_in_each_locale(discipline_run):
    result, _ = discipline_run
    files = {path.name: path.read_text("utf-8") for path in result.files}
    assert files["complaint_reply-COMPLAINT-0001-1.en.md"].startswith("# Reply to complaint COMPLAINT-0001")
    assert "Wang Fang" in files["complaint_reply-COMPLAINT-0001-1.en.md"], "the reply is addressed to her"
    assert files["complaint_reply-COMPLAINT-0001-1.zh-CN.md"].startswith("# 投诉答复 COMPLAINT-0001")
    for locale in ("en", "zh-CN"):
        letter = files[f"violation_decision_letter-VIOLATION-0001-2.{locale}.md"]
        assert "200.00 CNY" in letter
        assert "500.00 CNY" in letter, "the corrected decision 1 stays visible"
        appeal = files[f"appeal_decision-APPEAL-0001.{locale}.md"]
        assert "Xu Hua" in appeal
        assert "200.00 CNY" in appeal
    assert "Corrects | decision 1, after an upheld appeal" in files["publication_notice-VIOLATION-0001-2.en.md"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_demo_publication_notice_contains_no_customer_personal_data(discipline_run, locale):
    result, output = discipline_run
    notice = (result.files[0].parent / f"publication_notice-VIOLATION-0001-2.{locale}.md").read_text("utf-8")
    assert "Chen Gang" in notice, "the notice names the staff member"
    assert "200.00 CNY" in notice
    assert r"\*\*\*" in notice, "the customer's data was redacted, not merely left out"
    for personal in ("Wang Fang", "Wang", "138 0000 0000", "13800000000", "Block 3", "Room 201", "C-100"):
        assert personal not in notice
    printed = next(line for line in output.splitlines() if line.startswith("   notice: "))
    assert "Wang Fang" not in printed
    assert "Chen Gang" in printed


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
        assert uow.repository(sc.Complaint).get(result.complaint_id).status is sc.ComplaintStatus.CLOSED
        violation = uow.repository(sc.Violation).get(result.violation_id)
        assert violation.status is sc.ViolationStatus.FINAL
        assert [d.number for d in violation.decisions] == [1, 2]
        assert uow.repository(sc.Appeal).get(result.appeal_id).status is sc.AppealStatus.CLOSED
        assert [o.id for o in uow.work_orders.list(ListQuery(assignee_id="E-010"))] == [result.work_order_id]
        assert list(uow.outbox.pending()) == [], "every notification was dispatched through the outbox"
        assert uow.outbox.get("NTF-0001").status is DeliveryStatus.DELIVERED
    storage.close()


def test_demo_runs_again_in_the_same_folder_on_a_fresh_database(tmp_path: Path):
    first = run_demo(tmp_path, echo=lambda line: None, locales=("en",))
    second = run_demo(tmp_path, echo=lambda line: None, locales=("en",))
    assert first.request_id == second.request_id == "REQ-0001"
