"""Service levels that match real agreements, through the ServiceDesk facade on memory and SQLite.

Each test is a defect or capability of issue 9: the ordered rectification deadline is
the due time, a work order is measured from its agreed visit, the request waits while
the customer holds the ball, scans do not look into the future, clocks record what
they measured and under which policy and calendar, several calendars, recomputing
after a calendar change, and policies configured for a desk.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.application.sla import AWAITING_CUSTOMER, SCAN_TOLERANCE, SlaService, default_policies
from servicecore.bootstrap import bootstrap
from servicecore.ports.storage import StorageBackend
from servicecore.sla import BusinessCalendar, ClockSpec, ClockState, EscalationLevel, SlaPolicy, Target
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier
from tests.application.test_sla import (
    AGENT,
    CUSTOMER,
    ENGINEER,
    REVIEWER,
    SUPERVISOR,
    WANG,
    WEEKDAYS,
    World,
    at,
    levels,
    storage,
)

__all__ = ["storage"]  # the memory/SQLite fixture, shared with test_sla

ALWAYS = BusinessCalendar.always_open("Asia/Shanghai", name="24x7")


def terms(start: datetime) -> sc.AgreementTerms:
    return sc.AgreementTerms(
        items=[sc.ServiceItem("Kitchen", "GB/T 27770", "1", "room", sc.Money("450", "CNY"))],
        schedule=sc.Schedule(start, start + timedelta(hours=3), "Block 3, Room 201"),
        criteria=[sc.AcceptanceCriterion("no-live-insects", "No live insects", "site_check")],
    )


def assessed(world: World, priority: str = "normal") -> sc.ServiceRequest:
    request = world.receive(priority)
    world.desk.acknowledge_request(request.id, actor=AGENT, message="We will call you")
    return world.desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="feasible")


def offered(world: World, request: sc.ServiceRequest, visit: datetime) -> sc.ServiceAgreement:
    desk = world.desk
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Pest control", terms=terms(visit))
    desk.submit_agreement_for_review(agreement.id, actor=AGENT)
    desk.approve_agreement(agreement.id, actor=REVIEWER)
    return desk.offer_agreement(agreement.id, actor=AGENT)


def completed_order(world: World) -> sc.WorkOrder:
    desk = world.desk
    order = world.work_order()
    desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps:
        desk.complete_step(order.id, actor=ENGINEER, step_key=step.key, note="done")
    return desk.complete_work_order(order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", world.clock.now()))


def failed_acceptance(world: World) -> sc.Acceptance:
    order = completed_order(world)
    desk = world.desk
    acceptance = desk.open_acceptance(order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
    return desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER,
        results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False, note="two seen")],
    )


# --- 1. the rectification order's deadline is the due time ---------------------------------


def test_a_rectification_clock_is_due_at_the_ordered_deadline_and_tells_who_must_fix_it(
    storage: StorageBackend,
) -> None:
    world = World(storage, WEEKDAYS, at(2026, 5, 4, 9))  # Monday
    acceptance = failed_acceptance(world)
    world.clock.set(at(2026, 5, 6, 10))
    acceptance = world.desk.order_rectification(
        acceptance.id, actor=AGENT, responsible_party="Crew B", deadline=at(2026, 5, 8, 9)
    )
    clock = acceptance.clocks.get("rectification")
    assert clock is not None
    assert clock.due_at == at(2026, 5, 8, 9)  # not 5 business days later
    assert (clock.deadline, clock.target_key, clock.policy) == (at(2026, 5, 8, 9), "deadline", "acceptance")

    found = world.scan(at(2026, 5, 8, 17))
    breach = [a for a in found.alerts if a.case_type == "Acceptance" and a.level == "breach"]
    assert [(a.clock, a.at) for a in breach] == [("rectification", at(2026, 5, 8, 9))]
    assert breach[0].recipients == ("party:Crew B", "actor:E-010", "role:supervisor")
    acceptance_alerts = [a for a in found.alerts if a.case_type == "Acceptance"]
    assert all("actor:C-100" not in a.recipients for a in acceptance_alerts), "never the customer inspector"
    assert all(a.case_type != "Acceptance" for a in world.scan(at(2026, 5, 8, 17, 30)).alerts)


def test_each_rectification_order_gets_a_fresh_clock_on_its_own_deadline(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 5, 4, 9))
    desk = world.desk
    acceptance = failed_acceptance(world)
    desk.order_rectification(acceptance.id, actor=AGENT, responsible_party="Crew B", deadline=at(2026, 5, 6, 18))
    world.clock.set(at(2026, 5, 5, 15))
    stopped = desk.mark_rectified(acceptance.id, actor=ENGINEER, note="re-treated").clocks.get("rectification")
    assert stopped is not None
    assert stopped.is_stopped
    desk.record_inspection(
        acceptance.id, actor=CUSTOMER, results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False)]
    )
    world.clock.set(at(2026, 5, 6, 9))
    again = desk.order_rectification(
        acceptance.id, actor=AGENT, responsible_party="Crew C", deadline=at(2026, 5, 12, 12)
    ).clocks.get("rectification")
    assert again is not None
    assert (again.started_at, again.due_at, again.is_running) == (at(2026, 5, 6, 9), at(2026, 5, 12, 12), True)
    assert all(cp.recorded_at is None for cp in again.checkpoints)


# --- 2. a work order is measured from its agreed visit ---------------------------------------


def test_a_work_order_clock_starts_at_the_scheduled_window_and_sends_nothing_before_the_visit(
    storage: StorageBackend,
) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))  # Monday; the visit is agreed for Thursday 09:00
    order = world.work_order(sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"))
    completion = order.clocks.get("completion")
    assert completion is not None
    assert completion.started_at == at(2026, 3, 5, 9)
    assert completion.due_at == at(2026, 3, 9, 10)  # 16 business hours: Thursday, Friday, 1 h on Monday
    before_visit = world.scan(at(2026, 3, 4, 18))  # only the late call to the customer is chased
    assert [a.clock for a in before_visit.alerts if a.case_type == "WorkOrder"] == ["step:contact-customer"]
    assert world.desk.get_work_order(order.id).clocks.get("completion") == completion


def test_a_policy_may_measure_the_work_order_from_its_creation() -> None:
    policies = default_policies()
    spec = attrs.evolve(policies["WorkOrder"].clocks[0], start_at=None)
    policies["WorkOrder"] = attrs.evolve(policies["WorkOrder"], clocks=[spec])
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9), policies=policies)
    order = world.work_order(sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"))
    assert order.clocks.get("completion").started_at == at(2026, 3, 2, 9)


# --- 3. the request waits while the customer holds the ball ----------------------------------


def test_the_resolution_clock_pauses_while_an_offer_awaits_the_customer(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    request = assessed(world)
    due_before = request.clocks.get("resolution").due_at
    world.clock.set(at(2026, 3, 2, 10))
    agreement = offered(world, request, at(2026, 3, 20, 9))
    waiting = world.desk.get_request(request.id)
    resolution = waiting.clocks.get("resolution")
    assert resolution.is_paused
    assert resolution.pauses[-1].status == AWAITING_CUSTOMER
    assert waiting.history[-1].action == "awaiting_customer"

    # the customer answers ten days later, well past the 40 business hours: nothing was breached
    assert [a for a in world.scan(at(2026, 3, 12, 10)).alerts if a.clock == "resolution"] == []
    world.desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    resolution = world.desk.get_request(request.id).clocks.get("resolution")
    assert resolution.is_running
    assert resolution.due_at == WEEKDAYS.add(due_before, WEEKDAYS.between(at(2026, 3, 2, 10), at(2026, 3, 12, 10)))


def test_the_resolution_clock_pauses_while_the_customer_inspects_and_resumes_for_rectification(
    storage: StorageBackend,
) -> None:
    world = World(storage, WEEKDAYS, at(2026, 5, 4, 9))
    order = completed_order(world)
    world.clock.set(at(2026, 5, 4, 14))
    acceptance = world.desk.open_acceptance(
        order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
    )
    assert world.desk.get_request(order.request_id).clocks.get("resolution").is_paused
    world.clock.set(at(2026, 5, 6, 14))
    world.desk.record_inspection(
        acceptance.id, actor=CUSTOMER, results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False)]
    )
    resolution = world.desk.get_request(order.request_id).clocks.get("resolution")
    assert resolution.is_running  # a failed round puts the ball back with the provider
    assert (resolution.pauses[-1].started_at, resolution.pauses[-1].ended_at) == (
        at(2026, 5, 4, 14),
        at(2026, 5, 6, 14),
    )


# --- 4. a scan does not look into the future by accident ---------------------------------------


def test_a_scan_refuses_an_instant_past_the_desk_clock_unless_simulating(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    request = world.receive()
    desk = world.desk
    with pytest.raises(sc.ValidationError) as error:
        desk.scan_sla(at(2026, 3, 9, 9), actor=SUPERVISOR)
    assert error.value.field == "now"
    assert desk.get_request(request.id).clocks.get("first_response").checkpoints[0].recorded_at is None

    simulated = desk.scan_sla(at(2026, 3, 9, 9), simulate=True, actor=SUPERVISOR)
    assert simulated.simulated
    assert ("first_response", "breach", at(2026, 3, 2, 14, 30)) in levels(simulated)  # 3 h + 1 h after lunch
    assert desk.get_request(request.id) == request, "a simulation writes nothing"
    assert world.sla_notices() == []
    assert desk.scan_sla(at(2026, 3, 2, 9) + SCAN_TOLERANCE, actor=SUPERVISOR).alerts == ()  # within the tolerance


# --- 5, 6. measured times, policy, target key and calendar on the clock ---------------------------


def test_a_stopped_clock_records_its_measured_time_and_the_policy_in_force(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 17))
    request = world.receive("high")
    world.clock.set(at(2026, 3, 3, 10))  # the next morning: 1 + 1 business hours, 17 h on the wall
    desk = world.desk
    first = desk.acknowledge_request(request.id, actor=AGENT, message="Hello").clocks.get("first_response")
    assert (first.measured, first.measured_elapsed) == (timedelta(hours=2), timedelta(hours=17))
    assert (first.policy, first.target_key, first.calendar) == ("service-request", "high", "weekdays")
    resolution = desk.get_request(request.id).clocks.get("resolution")
    assert resolution.measured is None
    assert resolution.target_key == "*"
    assert desk.get_request(request.id).clocks == desk.get_request(request.id).clocks  # stored and reloaded


def test_the_measured_time_is_net_of_holds(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    desk = world.desk
    order = world.work_order()
    desk.start_work_order(order.id, actor=ENGINEER)
    world.clock.set(at(2026, 3, 2, 10))
    desk.hold_work_order(order.id, actor=ENGINEER, reason="customer_unavailable", description="not home")
    desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR)
    desk.coordinate_hold(order.id, actor=SUPERVISOR, plan="come back")
    desk.inform_customer_of_hold(order.id, actor=ENGINEER, message="we come back at 11")
    world.clock.set(at(2026, 3, 2, 11))
    desk.resume_work_order(order.id, actor=ENGINEER)
    for step in order.steps:
        desk.complete_step(order.id, actor=ENGINEER, step_key=step.key, note="done")
    world.clock.set(at(2026, 3, 2, 15))
    done = desk.complete_work_order(order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", world.clock.now()))
    completion = desk.get_work_order(done.id).clocks.get("completion")
    # 09:00-15:00 less the lunch break (1.5 h) and the hour on hold
    assert completion.measured == timedelta(hours=3, minutes=30)
    assert completion.measured_elapsed == timedelta(hours=5)


# --- 7, 8. policies and calendars configured for a desk ------------------------------------------


def urgent_around_the_clock() -> dict[str, SlaPolicy]:
    policies = default_policies()
    policies["ServiceRequest"] = SlaPolicy(
        name="hotline",
        calendar="24x7",
        clocks=[
            ClockSpec(
                name="first_response",
                start_on={"received"},
                stop_on={"acknowledged"},
                targets={"urgent": Target.business(timedelta(minutes=30)), "*": Target.business(timedelta(hours=4))},
            ),
            ClockSpec(
                name="callback",
                calendar="weekdays",
                start_on={"received"},
                stop_on={"acknowledged"},
                targets={"*": Target.business(timedelta(hours=8))},
            ),
        ],
    )
    return policies


def test_a_policy_counts_on_the_calendar_it_names(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 7, 22), policies=urgent_around_the_clock(), calendars=[ALWAYS])
    request = world.receive("urgent")  # Saturday night
    first, callback = request.clocks.get("first_response"), request.clocks.get("callback")
    assert (first.calendar, first.due_at) == ("24x7", at(2026, 3, 7, 22, 30))
    assert (callback.calendar, callback.due_at) == ("weekdays", at(2026, 3, 10, 9, 30))  # 7.5 h Monday, 0.5 h
    assert world.desk.sla is not None
    assert world.desk.sla.calendar_for(first) == ALWAYS


def test_a_policy_naming_an_unknown_calendar_is_refused_when_the_desk_is_built() -> None:
    with pytest.raises(sc.ConfigurationError, match="'24x7'"):
        SlaService(WEEKDAYS, urgent_around_the_clock())


def test_the_configuration_carries_policies_and_calendars() -> None:
    clock = ManualClock(at(2026, 3, 7, 22))
    config = sc.ServiceDeskConfig(
        storage="memory",
        calendar="weekly",
        calendar_options={"time_zone": "Asia/Shanghai", "hours": ["09:00-12:00", "13:30-18:00"], "name": "weekdays"},
        sla_policies=urgent_around_the_clock(),
        sla_calendars={"24x7": {"provider": "24x7", "time_zone": "Asia/Shanghai"}},
        sla_scan_tolerance="PT1M",
    )
    desk = bootstrap(config, clock=clock, ids=SequentialIds())
    assert desk.sla is not None
    assert desk.sla.scan_tolerance == timedelta(minutes=1)
    request = desk.receive_request(
        actor=AGENT, customer=WANG, channel="hotline", category="leak", priority="urgent", description="Water"
    )
    assert request.clocks.get("first_response").due_at == at(2026, 3, 7, 22, 30)
    assert request.clocks.get("first_response").policy == "hotline"
    with pytest.raises(sc.ValidationError, match="sla_policies"):
        sc.ServiceDeskConfig(sla_policies={"ServiceRequest": "standard"})  # type: ignore[dict-item]


def test_a_desk_built_by_hand_keeps_its_clocks_and_templates_unless_told_otherwise() -> None:
    ports = {
        "storage": MemoryStorage(),
        "notifier": RecordingNotifier(),
        "renderer": MarkdownRenderer(),
        "clock": ManualClock(at(2026, 3, 2, 9)),
        "ids": SequentialIds(),
    }
    desk = sc.ServiceDesk(**ports)  # type: ignore[arg-type]
    assert desk.sla is not None
    assert desk.sla.policies == default_policies()
    assert sc.PEST_CONTROL.key in desk.checklist_templates
    request = desk.receive_request(
        actor=AGENT, customer=WANG, channel="phone", category="pest control", priority="normal", description="Ants"
    )
    assert request.clocks.get("first_response") is not None
    bare = sc.ServiceDesk(**{**ports, "storage": MemoryStorage()}, sla=None, templates={})  # type: ignore[arg-type]
    assert bare.sla is None
    assert bare.checklist_templates == {}


# --- 9. recompute after a calendar change -------------------------------------------------------


def test_recompute_moves_open_clocks_to_the_changed_calendar_and_keeps_recorded_checkpoints(
    storage: StorageBackend,
) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 6, 17))  # Friday evening
    request = world.receive()
    world.scan(at(2026, 3, 9, 11, 30))  # Monday: the first-response warning (11:12) is recorded
    old_resolution = world.desk.get_request(request.id).clocks.get("resolution")

    tuesday_off = attrs.evolve(WEEKDAYS, holidays={at(2026, 3, 10, 9).date()})
    changed = World(storage, tuesday_off, at(2026, 3, 9, 11, 40))
    result = changed.desk.recompute_sla(actor=SUPERVISOR)
    assert result.examined == 1
    assert [(m.case_id, m.clock, m.old_due, m.new_due) for m in result.moves] == [
        (request.id, "resolution", old_resolution.due_at, tuesday_off.add(at(2026, 3, 6, 17), timedelta(hours=40)))
    ]
    stored = changed.desk.get_request(request.id)
    assert stored.clocks.get("resolution").due_at == result.moves[0].new_due
    assert stored.clocks.get("first_response").checkpoint("warning").recorded_at == at(2026, 3, 9, 11, 30)
    assert changed.desk.recompute_sla(actor=SUPERVISOR).moves == ()
    with pytest.raises(sc.PermissionDeniedError):
        changed.desk.recompute_sla(actor=AGENT)


# --- the clocks never send anything before a work order's visit, whatever the window -------------


@settings(max_examples=25, deadline=None)
@given(days_ahead=st.integers(1, 20), hour=st.integers(0, 23))
def test_nothing_is_recorded_for_a_work_order_before_its_visit(days_ahead: int, hour: int) -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    visit = at(2026, 3, 2, hour) + timedelta(days=days_ahead)
    order = world.work_order(sc.Schedule(visit, visit + timedelta(hours=2), "Room 201"))
    checkpoints = order.clocks.get("completion").checkpoints
    assert min(cp.at for cp in checkpoints) >= visit
    found = world.desk.scan_sla(visit - timedelta(microseconds=1), simulate=True, actor=SUPERVISOR)
    assert [a for a in found.alerts if a.case_type == "WorkOrder" and a.clock == "completion"] == []


# --- 11. internal targets (OLA) ------------------------------------------------------------------


def with_a_dispatch_ola() -> dict[str, SlaPolicy]:
    """The work-order policy plus an internal target: the crew starts within 1 hour of the visit, on its shift."""
    policies = default_policies()
    standard = policies["WorkOrder"]
    dispatch = ClockSpec(
        name="dispatch",
        internal=True,
        calendar="24x7",
        start_on={"scheduled"},
        start_at="window_start",
        stop_on={"in_progress", "completed", "cancelled"},
        targets={"*": Target.business(timedelta(hours=1))},
    )
    policies["WorkOrder"] = attrs.evolve(
        standard, clocks=[*standard.clocks, dispatch], warning_notify=("assignee", "customer")
    )
    return policies


def test_an_internal_target_runs_on_its_own_calendar_is_reported_apart_and_never_tells_the_customer(
    storage: StorageBackend,
) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9), policies=with_a_dispatch_ola(), calendars=[ALWAYS])
    order = world.work_order(sc.Schedule(at(2026, 3, 7, 8), at(2026, 3, 7, 11), "Room 201"))  # a Saturday visit
    dispatch = order.clocks.get("dispatch")
    assert (dispatch.internal, dispatch.calendar, dispatch.due_at) == (True, "24x7", at(2026, 3, 7, 9))
    assert order.clocks.get("completion").internal is False

    found = world.scan(at(2026, 3, 7, 9, 30))
    assert [(a.clock, a.level) for a in found.internal_alerts] == [("dispatch", "warning"), ("dispatch", "breach")]
    assert all(a.case_type != "WorkOrder" or a.clock != "dispatch" for a in found.customer_alerts)
    warning = found.internal_alerts[0]
    assert warning.recipients == ("actor:E-010",), "the customer never hears of an internal target"


# --- 10. escalation that acts --------------------------------------------------------------------


def acting_escalations() -> dict[str, SlaPolicy]:
    policies = default_policies()
    crew_lead = EscalationLevel(name="crew-lead", notify=["supervisor"], after_due="PT1H", reassign_to="E-011")
    policies["WorkOrder"] = attrs.evolve(policies["WorkOrder"], escalations=[crew_lead])
    raise_it = EscalationLevel(name="half-way", notify=["supervisor"], elapsed="0.5", raise_priority=True)
    policies["ServiceRequest"] = attrs.evolve(policies["ServiceRequest"], escalations=[raise_it])
    return policies


def test_an_escalation_level_reassigns_the_work_and_records_it_in_history(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9), policies=acting_escalations())
    order = world.work_order()  # 16 business hours from Monday 09:00: 7.5 + 7.5 + 1
    assert order.clocks.get("completion").due_at == at(2026, 3, 4, 10)
    world.scan(at(2026, 3, 4, 11, 30))  # the level is an hour past due, in business time
    reassigned = world.desk.get_work_order(order.id)
    assert reassigned.assignees == ("E-011",)
    entry = reassigned.history[-1]
    assert (entry.action, entry.actor.id, entry.at) == ("reassign", "system:sla", at(2026, 3, 4, 11, 30))
    assert "crew-lead" in entry.note
    world.scan(at(2026, 3, 4, 15))
    assert world.desk.get_work_order(order.id).version == reassigned.version, "acted once"


def test_an_escalation_level_raises_the_request_priority_and_its_targets_follow(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9), policies=acting_escalations())
    request = world.receive("normal")
    found = world.scan(at(2026, 3, 2, 11, 30))  # half of the 4 h first response: 11:00
    assert ("first_response", "half-way", at(2026, 3, 2, 11)) in levels(found)
    raised = world.desk.get_request(request.id)
    assert raised.priority is sc.Priority.HIGH
    assert raised.history[-1].action == "raise_priority"
    first = raised.clocks.get("first_response")
    assert (first.target_key, first.due_at) == ("high", at(2026, 3, 2, 11, 0))  # 2 h for high priority


def test_an_agent_raises_a_request_priority_by_hand_until_it_is_urgent(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    request = world.receive("high")
    raised = world.desk.raise_request_priority(request.id, actor=AGENT, reason="water near the wiring")
    assert raised.priority is sc.Priority.URGENT
    assert raised.clocks.get("first_response").due_at == at(2026, 3, 2, 10)  # 1 h for urgent
    with pytest.raises(sc.BusinessRuleError, match="already 'urgent'"):
        world.desk.raise_request_priority(request.id, actor=AGENT, reason="again")
    assert world.desk.get_request(request.id) == raised, "a refused command writes nothing"


# --- 13. checklist steps due before the visit ------------------------------------------------------


def test_a_step_due_two_working_days_before_the_visit_is_chased_when_late(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))  # Monday; the visit is on Thursday 09:00
    order = world.work_order(sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"))
    contact = order.clocks.get("step:contact-customer")
    assert contact is not None
    assert contact.due_at == at(2026, 3, 3, 9)  # Tuesday: two working days ahead
    assert order.steps[0].due_before_start == 2

    found = world.scan(at(2026, 3, 3, 10))
    late = [a for a in found.alerts if a.clock == "step:contact-customer"]
    assert [(a.level, a.at, a.recipients) for a in late] == [("breach", at(2026, 3, 3, 9), ("actor:E-010",))]
    assert [a for a in world.scan(at(2026, 3, 3, 11)).alerts if a.clock.startswith("step:")] == []


def test_a_step_done_in_time_is_not_chased(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    order = world.work_order(sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"))
    world.clock.set(at(2026, 3, 2, 15))
    # a step due before the visit is recorded while the order is still scheduled
    order = world.desk.complete_step(order.id, actor=ENGINEER, step_key="contact-customer", note="called her")
    assert order.status is sc.WorkOrderStatus.SCHEDULED
    with pytest.raises(sc.InvalidTransitionError):  # the visit's own steps wait for the work to start
        world.desk.complete_step(order.id, actor=ENGINEER, step_key=order.steps[1].key)
    contact = order.clocks.get("step:contact-customer")
    assert contact.is_stopped
    assert contact.state(at(2026, 3, 4, 9)) is ClockState.MET
    assert [a for a in world.scan(at(2026, 3, 4, 9)).alerts if a.clock.startswith("step:")] == []


def test_a_visit_booked_too_late_for_the_step_arms_no_step_clock() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 4, 9))  # Wednesday, visit on Thursday
    order = world.work_order(sc.Schedule(at(2026, 3, 5, 9), at(2026, 3, 5, 12), "Block 3, Room 201"))
    assert order.clocks.get("step:contact-customer") is None


# --- 12. the agreement's own service standards ---------------------------------------------------


def standards() -> list[sc.ServiceLevel]:
    return [
        sc.ServiceLevel(kind="ServiceRequest", clock="resolution", target=Target.business(timedelta(hours=24))),
        sc.ServiceLevel(kind="WorkOrder", clock="completion", target=Target.business(timedelta(hours=4))),
        sc.ServiceLevel(kind="Acceptance", clock="rectification", target=Target.business_days(2)),
    ]


def test_the_agreements_service_levels_drive_the_clocks_of_its_cases(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9))
    desk = world.desk
    request = assessed(world)
    visit = at(2026, 3, 5, 9)
    agreement = desk.draft_agreement(
        request.id, actor=AGENT, title="Pest control", terms=attrs.evolve(terms(visit), service_levels=standards())
    )
    assert desk.get_agreement(agreement.id).current.terms.service_levels == tuple(standards())  # stored as stated
    desk.submit_agreement_for_review(agreement.id, actor=AGENT)
    desk.approve_agreement(agreement.id, actor=REVIEWER)
    desk.offer_agreement(agreement.id, actor=AGENT)
    desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    resolution = desk.get_request(request.id).clocks.get("resolution")
    assert (resolution.policy, resolution.target) == (
        f"service-request + agreement {agreement.id}",
        Target.business(timedelta(hours=24)),
    )
    assert resolution.due_at == WEEKDAYS.add(at(2026, 3, 2, 9), timedelta(hours=24))  # received Monday 09:00

    desk.activate_agreement(agreement.id, actor=AGENT)
    order = desk.create_work_order(
        agreement.id, actor=AGENT, title="Treat", assignees=[ENGINEER.id], template="pest-control"
    )
    completion = order.clocks.get("completion")
    assert completion.due_at == at(2026, 3, 5, 14, 30)  # 4 business hours from the visit, after lunch
    assert completion.policy == f"work-order + agreement {agreement.id}"
    assert desk.get_work_order(order.id).clocks == order.clocks


def test_an_agreement_may_only_state_levels_for_clocks_the_desk_runs() -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    request = assessed(world)
    wrong = [sc.ServiceLevel(kind="WorkOrder", clock="arrival", target=Target.business("PT2H"))]
    with pytest.raises(sc.ValidationError) as error:
        world.desk.draft_agreement(
            request.id,
            actor=AGENT,
            title="Pest control",
            terms=attrs.evolve(terms(at(2026, 3, 5, 9)), service_levels=wrong),
        )
    assert error.value.field == "service_levels[0]"
    assert world.desk.list_agreements() == [], "a refused command writes nothing"
    with pytest.raises(sc.ValidationError, match="kind"):
        sc.ServiceLevel(kind="Complaint", clock="resolution", target=Target.business("PT2H"))


# --- 12. a clock that starts on another case's event -------------------------------------------


def acceptance_after_installation() -> dict[str, SlaPolicy]:
    """The request policy plus "acceptance within 5 calendar days of installation and commissioning"."""
    policies = default_policies()
    acceptance_due = ClockSpec(
        name="acceptance",
        start_on={"in_service"},
        start_at="work_completed",
        stop_on={"completed", "closed", "cancelled"},
        pause_on={AWAITING_CUSTOMER},
        targets={"*": Target.calendar_days(5)},
    )
    standard = policies["ServiceRequest"]
    policies["ServiceRequest"] = attrs.evolve(standard, clocks=[*standard.clocks, acceptance_due])
    return policies


def test_an_acceptance_clock_starts_when_the_last_work_order_completes(storage: StorageBackend) -> None:
    world = World(storage, WEEKDAYS, at(2026, 3, 2, 9), policies=acceptance_after_installation())
    order = world.work_order()
    request = world.desk.get_request(order.request_id)
    assert request.clocks.get("acceptance") is None  # the installation is not finished
    world.desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps:
        world.desk.complete_step(order.id, actor=ENGINEER, step_key=step.key, note="done")
    world.clock.set(at(2026, 3, 3, 16))
    world.desk.complete_work_order(order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", world.clock.now()))
    request = world.desk.get_request(order.request_id)
    acceptance = request.clocks.get("acceptance")
    assert acceptance is not None
    assert acceptance.started_at == at(2026, 3, 3, 16)
    assert request.history[-1].action == "work_completed"
    assert acceptance.due_at.date() >= at(2026, 3, 8).date()
    breach = acceptance.checkpoint("breach").at  # reached in working time

    breaches = [
        a for t in (breach - timedelta(hours=1), breach, breach + timedelta(hours=5)) for a in world.scan(t).alerts
    ]
    assert [(a.clock, a.at) for a in breaches if a.clock == "acceptance" and a.level == "breach"] == [
        ("acceptance", breach)
    ]


@settings(max_examples=20, deadline=None)
@given(offsets=st.lists(st.integers(0, 20 * 24 * 60), min_size=1, max_size=8))
def test_the_acceptance_breach_is_recorded_exactly_once_however_often_the_scan_runs(offsets: list[int]) -> None:
    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9), policies=acceptance_after_installation())
    order = world.work_order()
    world.desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps:
        world.desk.complete_step(order.id, actor=ENGINEER, step_key=step.key, note="done")
    world.desk.complete_work_order(order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", world.clock.now()))
    breach = world.desk.get_request(order.request_id).clocks.get("acceptance").checkpoint("breach").at
    found = []
    for minutes in sorted(offsets):
        found += world.scan(at(2026, 3, 2, 9) + timedelta(minutes=minutes)).alerts
    found += world.scan(breach + timedelta(days=30)).alerts  # whatever ran before, a late scan catches it
    assert [a.at for a in found if a.clock == "acceptance" and a.level == "breach"] == [breach]


# --- stored documents written before these fields existed still load ----------------------------

NEW_CLOCK_FIELDS = {"deadline", "policy", "target_key", "calendar", "internal", "measured", "measured_elapsed"}
NEW_CLOCKS_FIELDS = {"override", "standards", "standards_from", "anchors"}


def test_documents_stored_before_the_new_clock_fields_still_load() -> None:
    from servicecore.serialization import structure, unstructure

    world = World(MemoryStorage(), WEEKDAYS, at(2026, 3, 2, 9))
    order = completed_order(world)
    plain = unstructure(order)
    for clock in plain["clocks"]["clocks"]:
        for name in NEW_CLOCK_FIELDS:
            clock.pop(name)
    for name in NEW_CLOCKS_FIELDS:
        plain["clocks"].pop(name)
    for step in plain["steps"]:
        step.pop("due_before_start")
    old = structure(plain, sc.WorkOrder)
    completion = old.clocks.get("completion")
    assert (completion.policy, completion.calendar, completion.measured, completion.deadline) == ("", "", None, None)
    assert old.clocks.standards == ()
    assert old.steps[0].due_before_start is None
