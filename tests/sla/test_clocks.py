"""SLA clocks: start, pause, resume, stop, reopen, policy changes, checkpoints and scans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import servicecore as sc
from servicecore.serialization import converter
from servicecore.sla import (
    Alert,
    AlertKind,
    BusinessCalendar,
    Clocks,
    ClockSpec,
    ClockState,
    EscalationLevel,
    HoldTime,
    OnReopen,
    PausedStart,
    SlaPolicy,
    Target,
    format_duration,
    parse_duration,
)
from servicecore_adapters.calendars import china_calendar

SH = ZoneInfo("Asia/Shanghai")
CN = china_calendar(years=range(2024, 2028))
OFFICE = BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"])
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)
OPEN = "received"
WAITING = "waiting_customer"
WORKING = "in_service"
DONE = "completed"
CLOSED = "closed"
STATUSES = (OPEN, "acknowledged", WAITING, WORKING, DONE, CLOSED)

FIRST_RESPONSE = ClockSpec(
    name="first_response",
    start_on={OPEN},
    stop_on=set(STATUSES) - {OPEN},
    targets={"urgent": Target.business(H), "*": Target.business(2 * H)},
)
RESOLUTION = ClockSpec(
    name="resolution",
    start_on={OPEN},
    pause_on={WAITING},
    stop_on={DONE, CLOSED},
    targets={"urgent": Target.business(4 * H), "normal": Target.business(8 * H), "low": Target.business(16 * H)},
)
POLICY = SlaPolicy(name="standard", clocks=[FIRST_RESPONSE, RESOLUTION])


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


def run(
    events: list[tuple[str, datetime]],
    *,
    policy: SlaPolicy = POLICY,
    calendar: BusinessCalendar = OFFICE,
    priority: str = "normal",
) -> Clocks:
    clocks = Clocks()
    for status, when in events:
        clocks = clocks.observe(status, when, calendar=calendar, policy=policy, priority=priority)
    return clocks


def clock(clocks: Clocks, name: str = "resolution") -> sc.sla.SlaClock:
    found = clocks.get(name)
    assert found is not None
    return found


# --- starting, meeting, breaching ---------------------------------------------------------------


def test_clocks_start_on_their_status_with_the_priority_target() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9))])
    assert [c.name for c in clocks.clocks] == ["first_response", "resolution"]
    assert clock(clocks, "first_response").due_at == at(2025, 3, 3, 11)
    assert clock(clocks).due_at == at(2025, 3, 4, 9, 30)  # 7.5 h on Monday, 30 min on Tuesday
    urgent = run([(OPEN, at(2025, 3, 3, 9))], priority="urgent")
    assert clock(urgent, "first_response").due_at == at(2025, 3, 3, 10)


def test_a_clock_does_not_start_in_other_statuses() -> None:
    assert run([(WORKING, at(2025, 3, 3, 9))]).clocks == ()


def test_met_and_breached() -> None:
    start = [(OPEN, at(2025, 3, 3, 9))]
    met = clock(run([*start, ("acknowledged", at(2025, 3, 3, 10, 59))]), "first_response")
    assert met.state(at(2025, 3, 10)) is ClockState.MET
    assert met.failed_by(at(2025, 3, 10), OFFICE) == timedelta(0)
    assert met.remaining(at(2025, 3, 10), OFFICE) == MIN
    late = clock(run([*start, ("acknowledged", at(2025, 3, 3, 14))]), "first_response")
    assert late.state(at(2025, 3, 10)) is ClockState.BREACHED
    assert late.failed_by(at(2025, 3, 10), OFFICE) == 1.5 * H  # 11:00-12:00 and 13:30-14:00, not lunch
    assert late.remaining(at(2025, 3, 10), OFFICE) == -1.5 * H
    on_the_dot = clock(run([*start, ("acknowledged", at(2025, 3, 3, 11))]), "first_response")
    assert on_the_dot.state(at(2025, 3, 3, 11)) is ClockState.BREACHED, "due_at is the first late instant"


def test_states_of_a_running_clock_over_time() -> None:
    first = clock(run([(OPEN, at(2025, 3, 3, 9))]), "first_response")
    assert first.state(at(2025, 3, 3, 9)) is ClockState.RUNNING
    assert first.state(at(2025, 3, 3, 10, 35)) is ClockState.RUNNING
    assert first.state(at(2025, 3, 3, 10, 36)) is ClockState.WARNING  # 80 % of 2 h
    assert first.state(at(2025, 3, 3, 11)) is ClockState.BREACHED
    assert first.remaining(at(2025, 3, 3, 10), OFFICE) == H
    assert first.remaining(at(2025, 3, 3, 19), OFFICE) == -5.5 * H, "11:00-12:00 and the afternoon, not the evening"


# --- pauses ------------------------------------------------------------------------------------------


def test_a_pause_gives_back_the_business_time_it_lasted() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10))])
    paused = clock(clocks)
    assert paused.is_paused
    assert paused.state(at(2025, 3, 5)) is ClockState.PAUSED
    assert paused.remaining(at(2025, 3, 5), OFFICE) == 7 * H, "frozen while paused"
    assert clocks.next_check_at is None or clock(clocks, "first_response").is_stopped
    resumed = clock(run([(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10)), (WORKING, at(2025, 3, 5, 10))]))
    assert resumed.remaining(at(2025, 3, 5, 10), OFFICE) == 7 * H
    assert resumed.due_at == OFFICE.add(at(2025, 3, 5, 10), 7 * H)
    assert resumed.paused_time(at(2025, 3, 6), OFFICE) == 2 * 7.5 * H


def test_a_weekend_pause_gives_back_nothing_in_business_time() -> None:
    events = [(OPEN, at(2025, 3, 7, 9)), (WAITING, at(2025, 3, 7, 18)), (WORKING, at(2025, 3, 10, 9))]
    assert clock(run(events)).due_at == clock(run(events[:1])).due_at


def test_wall_clock_hold_time_moves_the_due_time_by_the_pause_length() -> None:
    policy = attrs.evolve(POLICY, hold_time=HoldTime.WALL_CLOCK)
    events = [(OPEN, at(2025, 3, 7, 9)), (WAITING, at(2025, 3, 7, 18)), (WORKING, at(2025, 3, 10, 9))]
    unpaused_due = clock(run(events[:1], policy=policy)).due_at  # Mon 10 Mar 09:30
    assert unpaused_due == at(2025, 3, 10, 9, 30)
    # 63 wall-clock hours later is Thu 13 Mar 00:30, then the next working instant
    assert clock(run(events, policy=policy)).due_at == at(2025, 3, 13, 9)


def test_failed_by_does_not_count_a_pause_after_the_due_time() -> None:
    events = [(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 4, 10, 30)), (WORKING, at(2025, 3, 5, 9))]
    late = clock(run([*events, (DONE, at(2025, 3, 5, 10))]))
    # due Tue 09:30; ran late 09:30-10:30 on Tuesday and 09:00-10:00 on Wednesday
    assert late.state(at(2025, 3, 6)) is ClockState.BREACHED
    assert late.failed_by(at(2025, 3, 6), OFFICE) == 2 * H
    paused_late = clock(run(events[:2]))
    assert paused_late.state(at(2025, 3, 4, 12)) is ClockState.BREACHED, "a pause does not cure lateness"


def test_stopping_while_paused_closes_the_pause() -> None:
    events = [(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10)), (CLOSED, at(2025, 3, 20, 10))]
    closed = clock(run(events))
    assert closed.is_stopped
    assert closed.pauses[-1].ended_at == at(2025, 3, 20, 10)
    assert closed.state(at(2025, 3, 21)) is ClockState.MET


# --- starting in a pausing status ----------------------------------------------------------------------

WAITING_FROM_THE_START = SlaPolicy(
    name="waiting",
    clocks=[
        ClockSpec(
            name="resolution",
            start_on={OPEN, WAITING},
            pause_on={WAITING},
            stop_on={DONE},
            targets={"*": Target.business(8 * H)},
        )
    ],
)


def test_a_clock_started_in_a_pausing_status_starts_paused_by_default() -> None:
    events = [(WAITING, at(2025, 3, 3, 9)), (WORKING, at(2025, 3, 4, 9))]
    started = clock(run(events[:1], policy=WAITING_FROM_THE_START))
    assert started.is_paused
    assert started.started_at == at(2025, 3, 3, 9)
    resumed = clock(run(events, policy=WAITING_FROM_THE_START))
    assert resumed.started_at == at(2025, 3, 3, 9)
    assert len(resumed.pauses) == 1
    assert resumed.due_at == OFFICE.add(at(2025, 3, 4, 9), 8 * H)


def test_a_deferred_start_begins_when_the_pause_ends() -> None:
    policy = attrs.evolve(WAITING_FROM_THE_START, paused_start=PausedStart.DEFER_START)
    resumed = clock(run([(WAITING, at(2025, 3, 3, 9)), (WORKING, at(2025, 3, 4, 9))], policy=policy))
    assert resumed.started_at == at(2025, 3, 4, 9)
    assert resumed.pauses == ()
    assert resumed.due_at == OFFICE.add(at(2025, 3, 4, 9), 8 * H)


def test_the_two_starts_differ_when_hold_time_is_wall_clock() -> None:
    events = [(WAITING, at(2025, 3, 7, 17)), (WORKING, at(2025, 3, 10, 10))]
    paused = attrs.evolve(WAITING_FROM_THE_START, hold_time=HoldTime.WALL_CLOCK)
    deferred = attrs.evolve(paused, paused_start=PausedStart.DEFER_START)
    assert clock(run(events, policy=deferred)).due_at == OFFICE.add(at(2025, 3, 10, 10), 8 * H)
    # started Fri 17:00: due Mon 17:30, moved by the 65 wall-clock hours of the pause
    assert clock(run(events, policy=paused)).due_at == at(2025, 3, 13, 10, 30)


# --- reopening ----------------------------------------------------------------------------------------------

REOPEN = [(OPEN, at(2025, 3, 3, 9)), (DONE, at(2025, 3, 3, 11)), (WORKING, at(2025, 3, 5, 9))]


def test_reopening_resumes_and_counts_the_closed_time_as_a_pause() -> None:
    reopened = clock(run(REOPEN))
    assert not reopened.is_stopped
    assert reopened.pauses[-1].started_at == at(2025, 3, 3, 11)
    assert reopened.pauses[-1].ended_at == at(2025, 3, 5, 9)
    assert reopened.remaining(at(2025, 3, 5, 9), OFFICE) == 6 * H


def test_reopening_can_restart_the_clock() -> None:
    policy = attrs.evolve(POLICY, on_reopen=OnReopen.RESTART)
    clocks = run(REOPEN[:1], policy=policy)
    clocks, alerts = clocks.scan(at(2025, 3, 3, 17))
    assert ("resolution", "warning") in [(a.clock, a.level) for a in alerts]
    clocks = clocks.observe(DONE, at(2025, 3, 3, 17, 30), calendar=OFFICE, policy=policy, priority="normal")
    clocks = clocks.observe(WORKING, at(2025, 3, 5, 9), calendar=OFFICE, policy=policy, priority="normal")
    restarted = clock(clocks)
    assert restarted.started_at == at(2025, 3, 5, 9)
    assert restarted.pauses == ()
    assert restarted.remaining(at(2025, 3, 5, 9), OFFICE) == 8 * H
    assert all(cp.recorded_at is None for cp in restarted.checkpoints), "a restart re-arms the checkpoints"


def test_reopening_can_keep_the_first_verdict() -> None:
    policy = attrs.evolve(POLICY, on_reopen=OnReopen.KEEP_STOPPED)
    kept = clock(run(REOPEN, policy=policy))
    assert kept.stopped_at == at(2025, 3, 3, 11)
    assert kept.state(at(2025, 3, 6)) is ClockState.MET


# --- priority and policy changes --------------------------------------------------------------------------


def test_raising_the_priority_keeps_the_elapsed_and_paused_time() -> None:
    events = [(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10)), (WORKING, at(2025, 3, 4, 9))]
    normal = run(events)
    urgent = normal.observe(WORKING, at(2025, 3, 4, 10), calendar=OFFICE, policy=POLICY, priority="urgent")
    changed = clock(urgent)
    assert changed.started_at == at(2025, 3, 3, 9)
    assert changed.pauses == clock(normal).pauses
    # 1 h ran on Monday, 1 h on Tuesday morning: 2 h of the urgent 4 h are left
    assert changed.remaining(at(2025, 3, 4, 10), OFFICE) == 2 * H
    assert changed.target == Target.business(4 * H)


def test_lowering_the_priority_after_the_due_time_clears_the_breach_state() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9))])
    late = at(2025, 3, 4, 12)
    assert clock(clocks).state(late) is ClockState.BREACHED
    low = clocks.observe(OPEN, late, calendar=OFFICE, policy=POLICY, priority="low")
    assert clock(low).state(late) is ClockState.RUNNING


def test_a_new_policy_keeps_start_and_pauses_and_applies_its_settings() -> None:
    events = [(OPEN, at(2025, 3, 7, 9)), (WAITING, at(2025, 3, 7, 18)), (WORKING, at(2025, 3, 10, 9))]
    clocks = run(events)
    contract = SlaPolicy(
        name="contract",
        clocks=[attrs.evolve(RESOLUTION, targets={"*": Target.business(16 * H)})],
        hold_time=HoldTime.WALL_CLOCK,
    )
    switched = clock(clocks.observe(WORKING, at(2025, 3, 10, 9), calendar=OFFICE, policy=contract, priority="normal"))
    assert switched.started_at == at(2025, 3, 7, 9)
    assert switched.pauses == clock(clocks).pauses
    # 16 h from Fri 09:00 is Tue 10:00; the weekend pause adds its 63 wall-clock hours: Fri 01:00 -> 09:00
    assert switched.due_at == at(2025, 3, 14, 9)
    assert clocks.observe(WORKING, at(2025, 3, 10, 9), calendar=OFFICE, policy=contract, priority="x").get(
        "first_response"
    ) == clocks.get("first_response"), "a clock the policy no longer names is kept"


# --- days-based targets -------------------------------------------------------------------------------------


def test_a_rectification_deadline_in_working_days_ends_before_national_day() -> None:
    policy = SlaPolicy(
        name="acceptance",
        clocks=[
            ClockSpec(
                name="rectification",
                start_on={"ordered"},
                stop_on={"rectified"},
                targets={"*": Target.business_days(3)},
            )
        ],
    )
    clocks = Clocks().observe("ordered", at(2025, 9, 26, 15), calendar=CN, policy=policy, priority="normal")
    # Sun 28 Sep (make-up), Mon 29 and Tue 30 Sep: due at Tuesday's close, not after the holiday week
    assert clock(clocks, "rectification").due_at == at(2025, 9, 30, 18)
    later = attrs.evolve(CN, deadline_at="next_start")
    clocks = Clocks().observe("ordered", at(2025, 9, 26, 15), calendar=later, policy=policy, priority="normal")
    assert clock(clocks, "rectification").due_at == at(2025, 10, 9, 9)


def test_an_appeal_window_in_calendar_days_rolls_past_a_holiday() -> None:
    spec = ClockSpec(
        name="appeal_window", start_on={"decided"}, stop_on={"appealed"}, targets={"*": Target.calendar_days(15)}
    )
    policy = SlaPolicy(name="appeals", clocks=[spec], warning_at=None)
    clocks = Clocks().observe("decided", at(2025, 9, 20, 16), calendar=CN, policy=policy, priority="normal")
    # day 15 is Sun 5 Oct, a holiday: the window ends with Thu 9 Oct, the next working day
    assert clock(clocks, "appeal_window").due_at == at(2025, 10, 10)
    no_roll = attrs.evolve(
        policy, clocks=[attrs.evolve(spec, targets={"*": Target.calendar_days(15, roll_forward=False)})]
    )
    rolled = Clocks().observe("decided", at(2025, 9, 20, 16), calendar=CN, policy=no_roll, priority="normal")
    assert clock(rolled, "appeal_window").due_at == at(2025, 10, 6)
    breach = clock(clocks, "appeal_window").checkpoint("breach")
    assert breach is not None
    assert breach.at == at(2025, 10, 10, 9), "the breach is announced when work starts, not at midnight"


# --- checkpoints and scans -------------------------------------------------------------------------------------

ESCALATING = SlaPolicy(
    name="escalating",
    clocks=[attrs.evolve(FIRST_RESPONSE, escalations=()), RESOLUTION],
    escalations=[
        EscalationLevel.at_elapsed("team_lead", "0.75", notify=["team_lead"]),
        EscalationLevel.after("before_due", -H, notify=["assignee"]),
        EscalationLevel.at_due("at_due", notify=["supervisor"]),
        EscalationLevel.after("manager", 2 * H, notify=["manager"]),
    ],
)


def test_escalation_levels_are_counted_in_business_time_and_skip_holidays() -> None:
    resolution = clock(run([(OPEN, at(2025, 9, 29, 9))], policy=ESCALATING, calendar=CN))
    # 8 h from Mon 29 Sep 09:00: 7.5 h on Monday, 0.5 h on Tuesday -> due Tue 30 Sep 09:30
    assert resolution.due_at == at(2025, 9, 30, 9, 30)
    levels = {cp.level: cp.at for cp in resolution.checkpoints}
    assert levels == {
        "warning": at(2025, 9, 29, 16, 54),  # 6.4 h
        "breach": at(2025, 9, 30, 9, 30),
        "team_lead": at(2025, 9, 29, 16, 30),  # 6 h
        "before_due": at(2025, 9, 29, 17, 30),
        "at_due": at(2025, 9, 30, 9, 30),
        "manager": at(2025, 9, 30, 11, 30),
    }
    late = clock(run([(OPEN, at(2025, 9, 30, 9))], policy=ESCALATING, calendar=CN))
    assert late.due_at == at(2025, 10, 9, 9, 30), "the National Day holidays do not count"
    assert late.checkpoint("manager").at == at(2025, 10, 9, 11, 30)  # type: ignore[union-attr]


def test_a_scan_records_each_checkpoint_once_and_returns_alerts() -> None:
    clocks = run([(OPEN, at(2025, 9, 29, 9))], policy=ESCALATING, calendar=CN)
    assert clocks.next_check_at == at(2025, 9, 29, 10, 36)  # first response warning: 80 % of 2 h
    clocks, alerts = clocks.scan(at(2025, 9, 29, 17))
    assert [(a.clock, a.level) for a in alerts] == [
        ("first_response", "warning"),
        ("first_response", "breach"),
        ("resolution", "team_lead"),
        ("resolution", "warning"),
    ]
    breach = alerts[1]
    assert breach == Alert(
        clock="first_response",
        kind=AlertKind.BREACH,
        level="breach",
        due_at=at(2025, 9, 29, 11),
        at=at(2025, 9, 29, 11),
        detected_at=at(2025, 9, 29, 17),
        notify=("assignee", "supervisor"),
    )
    again, none = clocks.scan(at(2025, 9, 29, 17))
    assert none == ()
    assert again == clocks
    assert clocks.next_check_at == at(2025, 9, 29, 17, 30)
    _, later = clocks.scan(at(2025, 10, 9, 12))
    assert [a.level for a in later] == ["before_due", "breach", "at_due", "manager"]


def test_paused_and_stopped_clocks_send_nothing() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9)), ("acknowledged", at(2025, 3, 3, 9, 30)), (WAITING, at(2025, 3, 3, 10))])
    assert clocks.next_check_at is None
    assert clocks.scan(at(2025, 12, 31)) == (clocks, ())
    resumed = clocks.observe(WORKING, at(2025, 3, 10, 9), calendar=OFFICE, policy=POLICY, priority="normal")
    assert resumed.next_check_at is not None


def test_only_running_clocks_are_scanned() -> None:
    policy = SlaPolicy(
        name="separate",
        clocks=[attrs.evolve(FIRST_RESPONSE, stop_on={"acknowledged"}), RESOLUTION],
    )
    clocks = run([(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 9, 10))], policy=policy)
    assert clock(clocks, "first_response").is_running
    assert clock(clocks).is_paused
    clocks, alerts = clocks.scan(at(2025, 3, 10))
    assert {a.clock for a in alerts} == {"first_response"}, "the paused resolution clock sends nothing"
    assert all(cp.recorded_at is None for cp in clock(clocks).checkpoints)


def test_a_checkpoint_reached_as_the_clock_pauses_keeps_its_instant() -> None:
    events = [(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10, 36)), (WORKING, at(2025, 3, 3, 11))]
    policy = SlaPolicy(name="p", clocks=[attrs.evolve(RESOLUTION, targets={"*": Target.business(2 * H)})])
    resumed = clock(run(events, policy=policy))
    assert resumed.checkpoint("warning").at == at(2025, 3, 3, 10, 36)  # type: ignore[union-attr]
    assert resumed.due_at == at(2025, 3, 3, 11, 24)


def test_a_stopped_clock_keeps_its_recorded_checkpoints_when_reopened() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9))])
    clocks, alerts = clocks.scan(at(2025, 3, 4, 12))
    assert ("resolution", "breach") in [(a.clock, a.level) for a in alerts]
    clocks = clocks.observe(DONE, at(2025, 3, 4, 13), calendar=OFFICE, policy=POLICY, priority="normal")
    clocks = clocks.observe(WORKING, at(2025, 3, 5, 9), calendar=OFFICE, policy=POLICY, priority="normal")
    _, again = clocks.scan(at(2025, 3, 20))
    assert ("resolution", "breach") not in [(a.clock, a.level) for a in again]


# --- validation -------------------------------------------------------------------------------------------------


def test_observe_refuses_naive_and_backward_instants() -> None:
    clocks = run([(OPEN, at(2025, 3, 3, 9))])
    with pytest.raises(sc.ValidationError) as caught:
        clocks.observe(WORKING, datetime(2025, 3, 3, 10), calendar=OFFICE, policy=POLICY, priority="normal")
    assert caught.value.field == "at"
    with pytest.raises(sc.ValidationError, match="earlier than the last observation"):
        clocks.observe(WORKING, at(2025, 3, 3, 8), calendar=OFFICE, policy=POLICY, priority="normal")
    with pytest.raises(sc.ValidationError) as caught:
        clocks.scan(datetime(2025, 3, 3, 10))
    assert caught.value.field == "now"
    with pytest.raises(sc.ValidationError) as caught:
        clock(clocks).state(datetime(2025, 3, 3, 10))
    assert caught.value.field == "at"


def test_a_missing_target_is_a_configuration_error() -> None:
    with pytest.raises(sc.ConfigurationError, match="no target for priority 'high'"):
        run([(OPEN, at(2025, 3, 3, 9))], priority="high")


def test_statuses_may_be_str_enums() -> None:
    policy = SlaPolicy(
        name="requests",
        clocks=[
            ClockSpec(
                name="first_response",
                start_on={sc.RequestStatus.RECEIVED},
                stop_on={sc.RequestStatus.ACKNOWLEDGED},
                targets={sc.Priority.NORMAL: Target.business(H)},
            )
        ],
    )
    clocks = Clocks().observe(
        sc.RequestStatus.RECEIVED, at(2025, 3, 3, 9), calendar=OFFICE, policy=policy, priority=sc.Priority.NORMAL
    )
    clocks = clocks.observe(
        sc.RequestStatus.ACKNOWLEDGED, at(2025, 3, 3, 9, 30), calendar=OFFICE, policy=policy, priority="normal"
    )
    assert clock(clocks, "first_response").state(at(2025, 3, 3, 10)) is ClockState.MET
    assert clocks.status == "acknowledged"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Target.business(timedelta(0)), "amount"),
        (lambda: Target.business("soon"), "amount"),
        (lambda: Target("business_days", timedelta(hours=5)), "amount"),
        (lambda: Target("fortnights", timedelta(days=14)), "unit"),
        (lambda: EscalationLevel.at_elapsed("x", "1.5", notify=["a"]), "elapsed"),
        (lambda: EscalationLevel.at_due("breach", notify=["a"]), "name"),
        (lambda: EscalationLevel.at_due("x", notify="supervisor"), "notify"),
        (lambda: EscalationLevel(name="x", notify=["a"], elapsed="0.5", after_due=H), "after_due"),
        (lambda: ClockSpec(name="c", start_on=set(), stop_on={"b"}, targets={"*": Target.business(H)}), "start_on"),
        (lambda: ClockSpec(name="c", start_on={"a"}, stop_on={"b"}, targets={}), "targets"),
        (lambda: SlaPolicy(name="p", clocks=[FIRST_RESPONSE, FIRST_RESPONSE]), "clocks"),
        (lambda: SlaPolicy(name="p", clocks=[FIRST_RESPONSE], warning_at=0.8), "warning_at"),
        (lambda: SlaPolicy(name="p", clocks=[FIRST_RESPONSE], hold_time="sometimes"), "hold_time"),
        (lambda: SlaPolicy(name="p", clocks=[FIRST_RESPONSE], breach_notify=[]), "breach_notify"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_clocks_round_trip_through_the_converter_with_duration_hooks() -> None:
    conv = converter().copy()
    conv.register_unstructure_hook(timedelta, format_duration)
    conv.register_structure_hook(timedelta, lambda value, _: parse_duration(value))
    clocks, _ = run([(OPEN, at(2025, 3, 3, 9)), (WAITING, at(2025, 3, 3, 10))], policy=ESCALATING).scan(
        at(2025, 3, 3, 10)
    )
    data = conv.unstructure(clocks)
    assert data["clocks"][1]["target"] == {
        "unit": "business_time",
        "amount": "PT8H",
        "roll_forward": True,
        "end_of_day": True,
        "months": 0,
    }
    assert conv.structure(data, Clocks) == clocks


@settings(max_examples=100, deadline=None)
@given(st.timedeltas(min_value=-timedelta(days=999), max_value=timedelta(days=999)))
def test_durations_round_trip_as_iso_8601(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


# --- properties: exact next_check_at, exactly-once alerts ---------------------------------------------------------

EVENTS = st.lists(
    st.tuples(st.sampled_from(STATUSES), st.integers(0, 4 * 24 * 60), st.sampled_from(["urgent", "normal", "low"])),
    min_size=1,
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(EVENTS, st.sampled_from([OFFICE, CN, BusinessCalendar.always_open("Europe/Berlin")]))
def test_next_check_at_is_exact(events: list[tuple[str, int, str]], calendar: BusinessCalendar) -> None:
    clocks, now = Clocks(), datetime(2025, 9, 26, 8, tzinfo=UTC)
    for status, minutes, priority in events:
        now += timedelta(minutes=minutes)
        clocks = clocks.observe(status, now, calendar=calendar, policy=ESCALATING, priority=priority)
        due = clocks.next_check_at
        if due is None:
            assert clocks.scan(now + timedelta(days=3650)) == (clocks, ())
            continue
        assert clocks.scan(due - US) == (clocks, ())
        scanned, alerts = clocks.scan(due)
        assert alerts
        assert scanned.scan(due) == (scanned, ())


class ClockMachine(RuleBasedStateMachine):
    """Random observations and scans: alerts are never repeated and the clocks stay consistent."""

    @initialize(
        calendar=st.sampled_from([OFFICE, CN, attrs.evolve(OFFICE, deadline_at="next_start")]),
        priority=st.sampled_from(["urgent", "normal", "low"]),
    )
    def start(self, calendar: BusinessCalendar, priority: str) -> None:
        self.calendar = calendar
        self.now = datetime(2025, 9, 25, 9, tzinfo=SH)
        self.clocks = Clocks().observe(OPEN, self.now, calendar=calendar, policy=ESCALATING, priority=priority)
        self.sent: set[tuple[str, str]] = set()

    @rule(
        status=st.sampled_from(STATUSES),
        minutes=st.integers(0, 3 * 24 * 60),
        priority=st.sampled_from(["urgent", "normal", "low"]),
    )
    def observe(self, status: str, minutes: int, priority: str) -> None:
        self.now += timedelta(minutes=minutes)
        self.clocks = self.clocks.observe(
            status, self.now, calendar=self.calendar, policy=ESCALATING, priority=priority
        )

    @rule(minutes=st.integers(0, 3 * 24 * 60))
    def scan(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.clocks, alerts = self.clocks.scan(self.now)
        for alert in alerts:
            key = (alert.clock, alert.level)
            assert key not in self.sent, f"{key} alerted twice"
            self.sent.add(key)
            assert alert.at <= alert.detected_at == self.now
        assert self.clocks.scan(self.now) == (self.clocks, ())

    @invariant()
    def running_clocks_are_consistent(self) -> None:
        for item in self.clocks.clocks:
            assert (
                self.calendar.is_working(item.due_at)
                or self.calendar.settle(item.due_at) == item.due_at
                or item.target.unit is not sc.sla.TargetUnit.BUSINESS_TIME
            )
            for checkpoint in item.checkpoints:
                assert checkpoint.at >= item.started_at
                # inside working time, or at the close of a window (the calendar's window_end setting)
                assert self.calendar.is_working(checkpoint.at) or self.calendar.settle(checkpoint.at) == checkpoint.at
            if item.is_running:
                assert (item.state(self.now) is ClockState.BREACHED) == (self.now >= item.due_at)
                assert item.remaining(self.now, self.calendar) == self.calendar.between(self.now, item.due_at)
        pending = self.clocks.next_check_at
        if pending is not None:
            assert self.clocks.scan(pending - US)[1] == ()


ClockMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
test_clock_machine = ClockMachine.TestCase


def test_dates_are_not_datetimes_in_working_hours_queries() -> None:
    with pytest.raises(sc.ValidationError):
        OFFICE.is_working_day(datetime(2025, 3, 3, tzinfo=SH))  # type: ignore[arg-type]
    assert OFFICE.is_working_day(date(2025, 3, 3))
