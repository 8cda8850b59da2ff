"""SLA clocks through the ServiceDesk facade, on memory storage and on SQLite.

Commands keep each case's clocks in step with its status; ``scan_sla`` records
warnings, breaches and escalation levels once each and queues their notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.application.sla import SlaAlert, SlaScanResult, SlaService, default_policies
from servicecore.bootstrap import bootstrap
from servicecore.ports.notification import Notification
from servicecore.ports.storage import StorageBackend
from servicecore.sla import AlertKind, BusinessCalendar, ClockSpec, ClockState, EscalationLevel, SlaPolicy, Target
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = sc.Actor("E-001", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-002", "Zhou Wei", ["reviewer"])
ENGINEER = sc.Actor("E-010", "Chen Gang", ["engineer"])
SUPERVISOR = sc.Actor("E-020", "Sun Li", ["supervisor"])
CUSTOMER = sc.Actor("C-100", "Wang Fang", ["customer"])
WANG = sc.Customer("C-100", "Wang Fang", phone="+86 138 0000 0000")
WEEKDAYS = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"], name="weekdays")


def at(*args: int) -> datetime:
    """An instant in Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return sc.Plugins().calendar("cn", {"years": "2024-2027"})


# --- a desk to drive ----------------------------------------------------------------


class World:
    """A desk with SLA clocks on ``calendar``, a manual clock and sequential ids."""

    def __init__(
        self,
        storage: StorageBackend,
        calendar: BusinessCalendar,
        start: datetime,
        *,
        policies: dict[str, SlaPolicy] | None = None,
        notification_policy: sc.NotificationPolicy | None = None,
        ids: SequentialIds | None = None,
        calendars: list[BusinessCalendar] | None = None,
    ) -> None:
        self.clock = ManualClock(start)
        self.ids = ids or SequentialIds()
        self.storage = storage
        self.desk = sc.ServiceDesk(
            storage=storage,
            notifier=RecordingNotifier(),
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=self.ids,
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
            notification_policy=notification_policy,
            sla=SlaService(calendar, policies, calendars=calendars),
        )

    def receive(self, priority: str = "normal") -> sc.ServiceRequest:
        return self.desk.receive_request(
            actor=AGENT, customer=WANG, channel="phone", category="pest control", priority=priority, description="Ants"
        )

    def scan(self, now: datetime) -> SlaScanResult:
        if now > self.clock.now():  # a scan never looks past the desk clock: time has come
            self.clock.set(now)
        return self.desk.scan_sla(now, actor=SUPERVISOR)

    def sla_notices(self) -> list[Notification]:
        pending = self.desk.pending_notifications(limit=1000)
        return [m.notification for m in pending if m.notification.event == "SlaCheckpointReached"]

    def work_order(self, window: sc.Schedule | None = None) -> sc.WorkOrder:
        """A work order for an agreement the customer confirmed; its visit starts now unless ``window`` says."""
        desk = self.desk
        request = self.receive()
        desk.acknowledge_request(request.id, actor=AGENT, message="We will call you")
        desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="feasible")
        terms = sc.AgreementTerms(
            items=[sc.ServiceItem("Kitchen", "GB/T 27770", "1", "room", sc.Money("450", "CNY"))],
            schedule=sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"),
            criteria=[sc.AcceptanceCriterion("no-live-insects", "No live insects", "site_check")],
        )
        agreement = desk.draft_agreement(request.id, actor=AGENT, title="Pest control", terms=terms)
        desk.submit_agreement_for_review(agreement.id, actor=AGENT)
        desk.approve_agreement(agreement.id, actor=REVIEWER)
        desk.offer_agreement(agreement.id, actor=AGENT)
        desk.confirm_agreement(agreement.id, actor=CUSTOMER)
        desk.activate_agreement(agreement.id, actor=AGENT)
        now = self.clock.now()
        return desk.create_work_order(
            agreement.id,
            actor=AGENT,
            title="Treat",
            assignees=[ENGINEER.id],
            template="pest-control",
            window=window or sc.Schedule(now, now + timedelta(hours=3), "Block 3, Room 201"),
        )

    def complaint(self, severity: str = "major") -> sc.Complaint:
        return self.desk.receive_complaint(
            actor=AGENT,
            complainant=WANG,
            subject=sc.ComplaintSubject(staff_ids=["E-099"]),
            channel="hotline",
            category="attitude",
            severity=severity,
            description="The technician was rude",
        )


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBackend]:
    backend: StorageBackend = MemoryStorage() if request.param == "memory" else SQLAlchemyStorage(tmp_path / "sla.db")
    yield backend
    backend.close()


def levels(result: SlaScanResult) -> list[tuple[str, str, datetime]]:
    return [(alert.clock, alert.level, alert.at) for alert in result.alerts]


def due_ids(world: World, kind: type, when: datetime) -> list[str]:
    with world.storage.unit_of_work() as uow:
        return [case.id for case in uow.repository(kind).due_for_sla(at_or_before=when)]


# --- service requests -----------------------------------------------------------------


def test_receiving_a_request_starts_its_clocks_and_indexes_the_next_check(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 16))  # a Monday
    request = world.receive()

    first, resolution = request.clocks.get("first_response"), request.clocks.get("resolution")
    assert first is not None
    assert resolution is not None
    assert first.due_at == at(2026, 3, 3, 11)  # 4 h: 2 on Monday, 2 on Tuesday
    assert resolution.due_at == at(2026, 3, 10, 9, 30)  # 40 h: 2 + 4 × 7.5 + 7.5 + 0.5
    assert request.sla_check_at == first.checkpoint("warning").at == at(2026, 3, 3, 10, 12)  # 80 % of 4 h

    stored = world.desk.get_request(request.id)
    assert stored.clocks == request.clocks
    assert due_ids(world, sc.ServiceRequest, at(2026, 3, 3, 10, 12)) == [request.id]
    assert due_ids(world, sc.ServiceRequest, at(2026, 3, 3, 10, 11, 59)) == []


def test_acknowledging_stops_the_first_response_clock(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 16))
    request = world.receive()
    world.clock.set(at(2026, 3, 3, 10))
    request = world.desk.acknowledge_request(request.id, actor=AGENT, message="We will call you")

    first = request.clocks.get("first_response")
    assert first is not None
    assert first.stopped_at == at(2026, 3, 3, 10)
    assert first.state(at(2026, 3, 5)) is ClockState.MET
    resolution = request.clocks.get("resolution")
    assert resolution is not None
    assert resolution.is_running
    # 32 of 40 h runs out at 18:00 on Friday: the calendar's window_end default keeps it at Friday's close
    assert request.sla_check_at == resolution.checkpoint("warning").at == at(2026, 3, 6, 18)
    # the first response's warning instant has passed: nothing to record for a stopped clock
    assert world.scan(at(2026, 3, 3, 12)) == SlaScanResult(scanned=0, alerts=())
    assert world.sla_notices() == []


def test_a_scan_records_the_warning_once_and_queues_its_notification(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 16))
    request = world.receive()

    assert world.scan(at(2026, 3, 3, 10, 11)) == SlaScanResult(scanned=0, alerts=())
    assert world.sla_notices() == []

    warned = world.scan(at(2026, 3, 3, 10, 12))
    assert warned.scanned == 1
    assert levels(warned) == [("first_response", "warning", at(2026, 3, 3, 10, 12))]
    (alert,) = warned.alerts
    assert isinstance(alert, SlaAlert)
    assert (alert.kind, alert.case_type, alert.case_id) == (AlertKind.WARNING, "ServiceRequest", request.id)
    assert alert.recipients == ("role:agent",)  # nobody is assigned to a request: the front desk hears it
    (notice,) = world.sla_notices()
    assert (notice.aggregate_type, notice.aggregate_id, notice.recipients) == (
        "ServiceRequest",
        request.id,
        ("role:agent",),
    )
    stored = world.desk.get_request(request.id)
    assert stored.clocks.get("first_response").checkpoint("warning").recorded_at == at(2026, 3, 3, 10, 12)
    assert stored.sla_check_at == at(2026, 3, 3, 11)  # the breach is next

    for again in (at(2026, 3, 3, 10, 12), at(2026, 3, 3, 10, 59)):
        assert world.scan(again) == SlaScanResult(scanned=0, alerts=())
    assert len(world.sla_notices()) == 1
    assert world.desk.get_request(request.id).version == stored.version


def test_breach_and_overdue_escalation_fire_once_each_with_the_default_policies(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 16))
    request = world.receive()

    breached = world.scan(at(2026, 3, 3, 11, 30))  # the warning was never scanned: both are recorded now
    assert levels(breached) == [
        ("first_response", "warning", at(2026, 3, 3, 10, 12)),
        ("first_response", "breach", at(2026, 3, 3, 11)),
    ]
    assert [a.recipients for a in breached.alerts] == [("role:agent",), ("role:agent", "role:supervisor")]
    assert all(a.detected_at == at(2026, 3, 3, 11, 30) for a in breached.alerts)

    # 4 business hours after the breach: 1 h before lunch, 3 h after it
    assert world.scan(at(2026, 3, 3, 16, 29)).alerts == ()
    overdue = world.scan(at(2026, 3, 3, 16, 30))
    assert levels(overdue) == [("first_response", "overdue", at(2026, 3, 3, 16, 30))]
    assert overdue.alerts[0].kind is AlertKind.ESCALATION
    assert overdue.alerts[0].recipients == ("role:manager",)
    assert world.scan(at(2026, 3, 4, 9)).alerts == ()
    assert [n.recipients for n in world.sla_notices()] == [
        ("role:agent",),
        ("role:agent", "role:supervisor"),
        ("role:manager",),
    ]
    stored = world.desk.get_request(request.id)
    assert stored.clocks.get("first_response").state(at(2026, 3, 4, 9)) is ClockState.BREACHED
    assert stored.sla_check_at == at(2026, 3, 6, 18)  # the resolution clock's warning


def escalating_policy() -> SlaPolicy:
    return SlaPolicy(
        name="escalating",
        clocks=[
            ClockSpec(
                name="first_response",
                start_on={"received"},
                stop_on={"acknowledged", "declined", "withdrawn"},
                targets={"urgent": Target.business(timedelta(hours=1)), "*": Target.business(timedelta(hours=4))},
            )
        ],
        warning_at=None,
        escalations=[
            EscalationLevel.at_elapsed("team_lead", "0.5", notify=["team_lead"]),
            EscalationLevel.after("manager", timedelta(hours=2), notify=["manager", "customer"]),
        ],
    )


def test_escalation_levels_never_fall_on_a_holiday_or_a_night(storage: StorageBackend, cn: BusinessCalendar) -> None:
    world = World(storage, cn, at(2025, 9, 30, 16), policies={"ServiceRequest": escalating_policy()})
    request = world.receive()  # 16:00 on the last working day before National Day (1-8 October)
    first = request.clocks.get("first_response")
    assert first is not None
    assert [(cp.level, cp.at) for cp in first.checkpoints] == [
        ("breach", at(2025, 10, 9, 11)),  # 2 h on 30 September, 2 h on 9 October
        ("team_lead", at(2025, 9, 30, 18)),  # half of 4 h is gone at 18:00 on 30 September: told at that close
        ("manager", at(2025, 10, 9, 14, 30)),  # 2 business hours after the breach, lunch excluded
    ]

    assert world.scan(at(2025, 9, 30, 17, 59)).alerts == ()
    assert levels(world.scan(at(2025, 9, 30, 18))) == [("first_response", "team_lead", at(2025, 9, 30, 18))]
    for day in (30, *range(1, 9)):  # that evening and every day of the holiday, at noon and late at night
        for hour in (12, 23) if day != 30 else (23,):
            assert world.scan(at(2025, 9 if day == 30 else 10, day, hour)).alerts == ()
    assert world.scan(at(2025, 10, 9, 9)).alerts == ()
    assert world.scan(at(2025, 10, 9, 10, 59)).alerts == ()
    assert levels(world.scan(at(2025, 10, 9, 11))) == [("first_response", "breach", at(2025, 10, 9, 11))]
    manager = world.scan(at(2025, 10, 9, 23))  # a late scan finds it; it was reached in working time
    assert levels(manager) == [("first_response", "manager", at(2025, 10, 9, 14, 30))]
    assert manager.alerts[0].recipients == ("role:manager", "customer:C-100")
    assert world.scan(at(2025, 10, 10, 9)).alerts == ()
    assert len(world.sla_notices()) == 3


@settings(max_examples=40, deadline=None)
@given(
    received=st.datetimes(min_value=datetime(2025, 9, 25), max_value=datetime(2025, 10, 12)),
    priority=st.sampled_from(["urgent", "normal"]),
    gaps=st.lists(st.integers(min_value=1, max_value=36 * 60), min_size=1, max_size=8),
)
def test_checkpoints_are_reached_in_working_time_and_recorded_once(
    cn: BusinessCalendar, received: datetime, priority: str, gaps: list[int]
) -> None:
    world = World(
        MemoryStorage(), cn, received.replace(tzinfo=SHANGHAI), policies={"ServiceRequest": escalating_policy()}
    )
    world.receive(priority)
    scan_at = world.clock.now()
    seen: list[tuple[str, str]] = []
    for gap in gaps:
        scan_at += timedelta(minutes=gap)
        for alert in world.scan(scan_at).alerts:
            # inside working time, or at the close of a window (the calendar's window_end default)
            assert cn.is_working(alert.at) or cn.settle(alert.at) == alert.at, f"{alert.level} reached at night"
            assert alert.at <= scan_at
            seen.append((alert.clock, alert.level))
    assert len(seen) == len(set(seen))
    assert len(world.sla_notices()) == len(seen)


# --- work orders ------------------------------------------------------------------------


def hold_and_resume(world: World, order_id: str, reason: str, held: datetime, resumed: datetime) -> sc.WorkOrder:
    desk = world.desk
    world.clock.set(held)
    order = desk.hold_work_order(order_id, actor=ENGINEER, reason=reason, description="exception")
    completion = order.clocks.get("completion")
    assert completion is not None
    if reason == "customer_unavailable":
        assert completion.is_paused
        assert order.sla_check_at is None
    else:
        assert completion.is_running
        assert order.sla_check_at is not None
    world.clock.set(resumed)
    desk.report_hold(order_id, actor=ENGINEER, supervisor=SUPERVISOR)
    desk.coordinate_hold(order_id, actor=SUPERVISOR, plan="come back later")
    desk.inform_customer_of_hold(order_id, actor=ENGINEER, message="we will come back")
    return desk.resume_work_order(order_id, actor=ENGINEER)


def test_a_customer_caused_hold_pauses_the_completion_clock(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    order = world.work_order()
    completion = order.clocks.get("completion")
    assert completion is not None
    assert completion.due_at == at(2026, 3, 4, 10)
    world.desk.start_work_order(order.id, actor=ENGINEER)

    # on hold from Monday 10:00 to Tuesday 10:00: 7.5 business hours given back
    order = hold_and_resume(world, order.id, "customer_unavailable", at(2026, 3, 2, 10), at(2026, 3, 3, 10))
    completion = order.clocks.get("completion")
    assert completion is not None
    assert completion.is_running
    assert completion.due_at == at(2026, 3, 5, 10)
    assert completion.pauses[0].started_at == at(2026, 3, 2, 10)
    assert completion.pauses[0].ended_at == at(2026, 3, 3, 10)
    assert completion.paused_time(at(2026, 3, 3, 10), WEEKDAYS) == timedelta(hours=7, minutes=30)
    assert world.desk.get_work_order(order.id).clocks == order.clocks


def test_a_scan_sends_nothing_while_the_customer_holds_the_work_up(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    order = world.work_order()
    world.desk.start_work_order(order.id, actor=ENGINEER)
    world.clock.set(at(2026, 3, 2, 10))
    world.desk.hold_work_order(order.id, actor=ENGINEER, reason="customer_unavailable", description="not home")
    found = world.scan(at(2026, 3, 6, 12))  # past the work order's original due time
    assert [a.case_type for a in found.alerts] == ["ServiceRequest"]  # only the request's resolution warning
    assert due_ids(world, sc.WorkOrder, at(2026, 3, 6, 12)) == []


def test_another_hold_reason_does_not_pause_the_completion_clock(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    order = world.work_order()
    world.desk.start_work_order(order.id, actor=ENGINEER)
    order = hold_and_resume(world, order.id, "material_shortage", at(2026, 3, 2, 10), at(2026, 3, 3, 10))
    completion = order.clocks.get("completion")
    assert completion is not None
    assert completion.pauses == ()
    assert completion.due_at == at(2026, 3, 4, 10)
    warned = world.scan(at(2026, 3, 3, 15, 48))  # 80 % of 16 h: 7.5 + 5.3 h
    assert levels(warned) == [("completion", "warning", at(2026, 3, 3, 15, 48))]
    assert warned.alerts[0].recipients == ("actor:E-010",)  # the work order's assignee
    assert world.sla_notices()[-1].recipients == ("actor:E-010",)


# --- complaints --------------------------------------------------------------------------


def test_complaint_clocks_and_a_reopening_that_counts_the_closed_time_as_a_pause(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    desk = world.desk
    complaint = world.complaint("major")
    ack, resolution = complaint.clocks.get("acknowledgement"), complaint.clocks.get("resolution")
    assert ack is not None
    assert resolution is not None
    assert ack.due_at == at(2026, 3, 3, 9, 30)  # 8 h: 7.5 on Monday, 0.5 on Tuesday
    assert resolution.due_at == at(2026, 3, 5, 10, 30)  # 24 h for a major complaint

    warned = world.scan(at(2026, 3, 2, 17, 30))  # 80 % of 8 h = 6.4 h
    assert levels(warned) == [("acknowledgement", "warning", at(2026, 3, 2, 16, 54))]
    assert warned.alerts[0].recipients == ("role:agent",)  # no investigator yet

    world.clock.set(at(2026, 3, 2, 17, 45))
    complaint = desk.acknowledge_complaint(complaint.id, actor=AGENT, message="We are looking into it")
    assert complaint.clocks.get("acknowledgement").state(at(2026, 3, 3, 12)) is ClockState.MET
    world.clock.set(at(2026, 3, 3, 9))
    desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR)
    world.clock.set(at(2026, 3, 3, 11))
    complaint = desk.resolve_complaint(complaint.id, actor=SUPERVISOR, summary="Spoke to him", reply="Sorry")
    resolution = complaint.clocks.get("resolution")
    assert resolution is not None
    assert resolution.stopped_at == at(2026, 3, 3, 11)
    assert complaint.sla_check_at is None
    # stopped: nothing past its due time would be recorded
    assert world.desk.scan_sla(at(2026, 3, 9, 12), simulate=True, actor=SUPERVISOR).alerts == ()

    world.clock.set(at(2026, 3, 4, 11))  # a business day later the customer is not satisfied
    complaint = desk.reopen_complaint(complaint.id, actor=AGENT, reason="He was rude again")
    resolution = complaint.clocks.get("resolution")
    assert resolution is not None
    assert resolution.is_running
    (closed,) = resolution.pauses
    assert (closed.started_at, closed.ended_at, closed.status) == (at(2026, 3, 3, 11), at(2026, 3, 4, 11), "closed")
    assert resolution.due_at == at(2026, 3, 6, 10, 30)  # moved by the 7.5 business hours it was closed
    assert complaint.clocks.get("acknowledgement").stopped_at == at(2026, 3, 2, 17, 45)  # stays stopped
    assert desk.get_complaint(complaint.id).clocks == complaint.clocks


def test_a_critical_complaint_has_shorter_targets(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    complaint = world.complaint("critical")
    assert complaint.clocks.get("acknowledgement").due_at == at(2026, 3, 2, 11)
    assert complaint.clocks.get("resolution").due_at == at(2026, 3, 4, 10)  # 16 h: 7.5 + 7.5 + 1


# --- configuration --------------------------------------------------------------------


def test_a_desk_without_sla_clocks_refuses_to_scan() -> None:
    desk = sc.ServiceDesk(
        storage=MemoryStorage(),
        notifier=RecordingNotifier(),
        renderer=MarkdownRenderer(),
        clock=ManualClock(at(2026, 3, 2, 9)),
        ids=SequentialIds(),
        sla=None,
    )
    request = desk.receive_request(
        actor=AGENT, customer=WANG, channel="phone", category="pest control", priority="normal", description="Ants"
    )
    assert request.clocks.clocks == ()
    assert request.sla_check_at is None
    assert desk.sla is None
    with pytest.raises(sc.ConfigurationError, match="runs no SLA clocks"):
        desk.scan_sla(at(2026, 3, 9))


def test_only_supervisors_and_administrators_may_scan() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    with pytest.raises(sc.PermissionDeniedError):
        world.desk.scan_sla(at(2026, 3, 2, 9), actor=AGENT)
    assert world.desk.scan_sla(at(2026, 3, 2, 9), actor=sc.Actor("E-900", "Ops", ["administrator"])).alerts == ()


def test_a_scan_refuses_a_naive_instant() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    with pytest.raises(sc.ValidationError) as error:
        world.desk.scan_sla(datetime(2026, 3, 9, 12))
    assert error.value.field == "now"


def test_a_scan_and_a_recompute_report_the_cases_handled_batch_by_batch(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 16))
    for _ in range(5):
        world.receive()
    world.complaint()  # its acknowledgement warning comes at 14:54 on Tuesday
    world.clock.set(at(2026, 3, 3, 15))
    handled: list[int] = []

    result = world.desk.scan_sla(batch=2, progress=handled.append, actor=SUPERVISOR)
    assert result.scanned == 6
    assert handled == [2, 4, 5, 6]  # the requests two by two, then the complaint: one count over all kinds

    handled.clear()
    assert world.desk.scan_sla(batch=2, progress=handled.append).scanned == 0
    assert handled == []  # nothing due: nothing to report

    recomputed = world.desk.recompute_sla(batch=2, progress=handled.append, actor=SUPERVISOR)
    assert (recomputed.examined, recomputed.moves) == (6, ())
    assert handled == [2, 4, 5, 6]


def test_scan_and_recompute_refuse_a_progress_that_cannot_be_called() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    world.receive()
    for run in (world.desk.scan_sla, world.desk.recompute_sla):
        with pytest.raises(sc.ValidationError) as error:
            run(progress="every batch")  # type: ignore[arg-type]
        assert error.value.field == "progress"


def test_bootstrap_runs_clocks_on_the_24x7_calendar_by_default() -> None:
    clock = ManualClock(at(2026, 3, 7, 22))  # a Saturday night: working time around the clock
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory"), clock=clock, ids=SequentialIds())
    assert desk.sla is not None
    assert desk.sla.calendar == sc.Plugins().calendar("24x7")
    request = desk.receive_request(
        actor=AGENT, customer=WANG, channel="online", category="pest control", priority="high", description="Rats"
    )
    assert request.clocks.get("first_response").due_at == at(2026, 3, 8, 0)  # 2 h for high priority
    clock.set(at(2026, 3, 8, 0))
    result = desk.scan_sla(at(2026, 3, 8, 0), actor=SUPERVISOR)
    assert levels(result) == [
        ("first_response", "warning", at(2026, 3, 7, 23, 36)),
        ("first_response", "breach", at(2026, 3, 8, 0)),
    ]
    assert desk.scan_sla(at(2026, 3, 8, 0)).alerts == ()


def test_bootstrap_without_a_calendar_runs_no_clocks() -> None:
    clock = ManualClock(at(2026, 3, 2, 9))
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory", calendar=None), clock=clock, ids=SequentialIds())
    assert desk.sla is None
    with pytest.raises(sc.ConfigurationError):
        desk.scan_sla()


def test_sla_service_refuses_what_is_not_a_calendar_or_a_policy() -> None:
    with pytest.raises(sc.ConfigurationError, match="BusinessCalendar"):
        SlaService("cn")  # type: ignore[arg-type]
    with pytest.raises(sc.ConfigurationError, match="'WorkOrder'"):
        SlaService(WEEKDAYS, {"WorkOrder": default_policies()["WorkOrder"].clocks[0]})  # type: ignore[dict-item]


def test_a_command_on_a_host_whose_clock_lags_behind_the_last_scan_does_not_fail() -> None:
    storage = MemoryStorage()
    desk = World(storage, WEEKDAYS, at(2026, 3, 2, 16))
    request = desk.receive()
    scanner = World(storage, WEEKDAYS, at(2026, 3, 3, 10, 13), ids=desk.ids)  # another host, a minute ahead
    assert levels(scanner.scan(at(2026, 3, 3, 10, 12))) == [("first_response", "warning", at(2026, 3, 3, 10, 12))]
    desk.clock.set(at(2026, 3, 3, 10, 12, 30))
    request = desk.desk.acknowledge_request(request.id, actor=AGENT, message="We will call you")
    assert request.clocks.get("first_response").stopped_at == at(2026, 3, 3, 10, 13)  # never before the scan


def test_the_default_notification_policy_tells_the_recipients_of_a_breach() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 16), notification_policy=sc.DefaultNotificationPolicy())
    request = world.receive()
    world.scan(at(2026, 3, 3, 11))
    notices = world.sla_notices()
    assert [n.recipients for n in notices] == [("role:agent",), ("role:agent", "role:supervisor")]
    assert {(n.aggregate_type, n.aggregate_id) for n in notices} == {("ServiceRequest", request.id)}
