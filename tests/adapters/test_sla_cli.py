"""`servicecore sla scan`: the SLA scan from cron, on a SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import servicecore as sc
from servicecore.cli import main
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = sc.Actor("E-001", "Li Na", ["agent"])


def received_request(path: Path, calendar: str, options: dict[str, str], at: datetime) -> str:
    """Receive one normal-priority request at ``at`` on a desk whose clocks run on ``calendar``."""
    storage = SQLAlchemyStorage(path)
    desk = sc.ServiceDesk(
        storage=storage,
        notifier=RecordingNotifier(),
        renderer=MarkdownRenderer(),
        clock=ManualClock(at),
        ids=SequentialIds(),
        sla=sc.SlaService(sc.Plugins().calendar(calendar, options)),
    )
    request = desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-100", "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="Ants",
    )
    desk.close()
    return request.id


def sla_notices(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    storage = SQLAlchemyStorage(path)
    try:
        with storage.unit_of_work() as uow:
            pending = uow.outbox.pending(limit=100)
    finally:
        storage.close()
    return [
        (m.notification.aggregate_id, m.notification.recipients) for m in pending if "SLA" in m.notification.subject
    ]


def scan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["sla", "scan", *args])
    return result.exit_code, result.output


def test_sla_scan_records_each_checkpoint_once_on_the_default_24x7_calendar(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    request_id = received_request(path, "24x7", {}, datetime(2026, 3, 7, 22, tzinfo=SHANGHAI))  # 4 h to answer

    code, output = scan("--path", str(path), "--now", "2026-03-08T01:00:00+08:00")
    assert (code, output) == (0, "scanned 0 cases, 0 alerts\n")  # the warning comes at 80 %: 01:12

    code, output = scan("--path", str(path), "--now", "2026-03-07T19:30:00+00:00")  # 03:30 in Shanghai
    assert code == 0, output
    assert output.splitlines() == [
        "scanned 1 case, 2 alerts",
        f"ServiceRequest {request_id} first_response warning at 2026-03-07T17:12:00+00:00 "  # the 24x7 calendar is UTC
        "(due 2026-03-07T18:00:00+00:00) -> role:agent",
        f"ServiceRequest {request_id} first_response breach at 2026-03-07T18:00:00+00:00 "
        "(due 2026-03-07T18:00:00+00:00) -> role:agent, role:supervisor",
    ]
    assert sorted(sla_notices(path)) == [(request_id, ("role:agent",)), (request_id, ("role:agent", "role:supervisor"))]

    code, output = scan("--url", f"sqlite:///{path}", "--now", "2026-03-08T03:30:00+08:00")
    assert (code, output) == (0, "scanned 0 cases, 0 alerts\n")
    assert len(sla_notices(path)) == 2

    code, output = scan("--path", str(path), "--now", "2026-03-08T06:00:00+08:00")
    assert code == 0, output
    assert output.splitlines()[1].endswith(
        "first_response escalation overdue at 2026-03-07T22:00:00+00:00 (due 2026-03-07T18:00:00+00:00) -> role:manager"
    )


def test_sla_scan_on_the_cn_calendar_waits_for_working_time(tmp_path: Path) -> None:
    path = tmp_path / "cn.sqlite3"
    received_request(path, "cn", {"years": "2025-2026"}, datetime(2025, 9, 30, 16, tzinfo=SHANGHAI))
    cn = ("--calendar", "cn", "--calendar-option", "years=2025-2026")

    code, output = scan("--path", str(path), *cn, "--now", "2025-10-06T12:00:00+08:00")  # National Day holidays
    assert (code, output) == (0, "scanned 0 cases, 0 alerts\n")
    code, output = scan("--path", str(path), *cn, "--now", "2025-10-09T10:12:00+08:00")
    assert code == 0, output
    assert output.splitlines()[0] == "scanned 1 case, 1 alert"
    assert "first_response warning at 2025-10-09T10:12:00+08:00 (due 2025-10-09T11:00:00+08:00)" in output


def test_sla_scan_without_now_uses_the_system_clock(tmp_path: Path) -> None:
    path = tmp_path / "now.sqlite3"
    received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))  # long overdue by now
    code, output = scan("--path", str(path))
    assert code == 0, output
    assert output.startswith("scanned 1 case, 6 alerts\n")  # warning, breach and overdue of both clocks


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--now", "2025-10-09T12:00:00"], 2, "no UTC offset"),
        (["--now", "next tuesday"], 2, "expected an ISO 8601 date and time"),
        (["--calendar-option", "years"], 2, "KEY=VALUE"),
        (["--calendar", "martian"], 1, "opening the service desk failed"),
        (["--calendar", "cn", "--calendar-option", "colour=red"], 1, "colour"),
        (["--url", "sqlite:///x.sqlite3"], 2, "either --url or --path"),
    ],
)
def test_sla_scan_reports_bad_options(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    result = CliRunner().invoke(main, ["sla", "scan", "--path", str(tmp_path / "bad.sqlite3"), *args])
    assert result.exit_code == code, result.output
    assert message in result.output


def test_sla_scan_refuses_a_future_now_unless_simulating(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    request_id = received_request(path, "24x7", {}, datetime(2020, 1, 6, 9, tzinfo=SHANGHAI))
    code, output = scan("--path", str(path), "--now", "2999-01-01T00:00:00+00:00")
    assert code == 1
    assert "later than the desk clock" in output
    assert "simulate" in output

    code, output = scan("--path", str(path), "--now", "2999-01-01T00:00:00+00:00", "--simulate")
    assert code == 0, output
    assert output.startswith("simulated: would record scanned 1 case, 6 alerts\n")
    assert request_id in output
    assert sla_notices(path) == [], "a simulation records nothing"


def test_sla_recompute_reports_the_clocks_it_moved(tmp_path: Path) -> None:
    path = tmp_path / "recompute.sqlite3"
    received = datetime(2025, 9, 26, 18, tzinfo=SHANGHAI)  # a Friday, after hours in Shanghai, not in Berlin
    request_id = received_request(path, "weekly", {"time_zone": "Europe/Berlin"}, received)
    # the office hours are now kept in Shanghai time
    now_in_shanghai = ("--calendar", "weekly", "--calendar-option", "time_zone=Asia/Shanghai")
    result = CliRunner().invoke(main, ["sla", "recompute", "--path", str(path), *now_in_shanghai])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "examined 1 case, 2 clocks moved"
    shanghai = sc.Plugins().calendar("weekly", {"time_zone": "Asia/Shanghai"})
    new_due = shanghai.add(received, timedelta(hours=4)).isoformat()
    assert lines[1].startswith(f"ServiceRequest {request_id} first_response: due ")
    assert lines[1].endswith(f" -> {new_due}")
    again = CliRunner().invoke(main, ["sla", "recompute", "--path", str(path), *now_in_shanghai])
    assert again.output == "examined 1 case, 0 clocks moved\n"
