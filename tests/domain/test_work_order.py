"""WorkOrder: checklist execution, the exception (hold) procedure, sign-off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.domain import (
    PEST_CONTROL,
    BusinessRuleError,
    EvidenceRef,
    Hold,
    HoldReason,
    HoldStage,
    Measurement,
    SiteSignOff,
    StepStatus,
    ValidationError,
    WorkOrder,
    WorkOrderStatus,
)
from servicecore.domain import events as ev

S = WorkOrderStatus
OPEN = {S.SCHEDULED, S.IN_PROGRESS, S.ON_HOLD}
TERMINAL = {S.COMPLETED, S.CANCELLED}
HOLD_COMMANDS = ("report_hold", "coordinate_hold", "inform_customer_of_hold", "resume")
# the hold stage each procedure command must start from
HOLD_FROM = dict(zip(HOLD_COMMANDS, list(HoldStage)[:4], strict=True))
HOLD_TO = dict(zip(HOLD_COMMANDS, list(HoldStage)[1:], strict=True))

COMMANDS: dict[str, Callable[[WorkOrder, Any, datetime], WorkOrder]] = {
    # (order, domain, at)
    "reassign": lambda o, d, at: o.reassign(actor=d.agent, at=at, assignees=[d.technician.id, d.technician2.id]),
    "start": lambda o, d, at: o.start(actor=d.technician, at=at, note="on site"),
    "complete_step": lambda o, d, at: o.complete_step(actor=d.technician, at=at, step_key=_on_site(o)),
    "skip_step": lambda o, d, at: o.skip_step(actor=d.technician, at=at, step_key="photos", reason="Camera broken"),
    "hold": lambda o, d, at: o.hold(actor=d.technician, at=at, reason="material_shortage", description="Out of bait"),
    "report_hold": lambda o, d, at: o.report_hold(actor=d.technician, at=at, supervisor=d.supervisor),
    "coordinate_hold": lambda o, d, at: o.coordinate_hold(actor=d.supervisor, at=at, plan="Courier bait from depot"),
    "inform_customer_of_hold": lambda o, d, at: o.inform_customer_of_hold(
        actor=d.supervisor, at=at, message="Back at 3 pm"
    ),
    "resume": lambda o, d, at: o.resume(actor=d.technician, at=at, note="bait arrived"),
    "complete": lambda o, d, at: o.complete(actor=d.technician, at=at, sign_off=d.sign_off(at)),
    "cancel": lambda o, d, at: o.cancel(actor=d.agent, at=at, reason="Customer postponed"),
}
ACTOR = {
    "reassign": "agent",
    "cancel": "agent",
    "coordinate_hold": "supervisor",
    "inform_customer_of_hold": "supervisor",
}

ALLOWED_FROM: dict[str, set[WorkOrderStatus]] = {
    "reassign": OPEN,
    "start": {S.SCHEDULED},
    "complete_step": {S.IN_PROGRESS},
    "skip_step": {S.IN_PROGRESS},
    "hold": {S.IN_PROGRESS},
    "report_hold": {S.ON_HOLD},
    "coordinate_hold": {S.ON_HOLD},
    "inform_customer_of_hold": {S.ON_HOLD},
    "resume": {S.ON_HOLD},
    "complete": {S.IN_PROGRESS},
    "cancel": OPEN,
}
TARGET: dict[str, tuple[WorkOrderStatus | None, type[ev.DomainEvent] | None]] = {
    "reassign": (None, ev.WorkOrderReassigned),  # None: status unchanged
    "start": (S.IN_PROGRESS, ev.WorkOrderStarted),
    "complete_step": (S.IN_PROGRESS, ev.StepCompleted),
    "skip_step": (S.IN_PROGRESS, ev.StepSkipped),
    "hold": (S.ON_HOLD, ev.WorkOrderHeld),
    "report_hold": (S.ON_HOLD, ev.HoldReportedToSupervisor),
    "coordinate_hold": (S.ON_HOLD, ev.HoldCoordinated),
    "inform_customer_of_hold": (S.ON_HOLD, ev.CustomerInformedOfHold),
    "resume": (S.IN_PROGRESS, ev.WorkOrderResumed),
    "complete": (S.COMPLETED, ev.WorkOrderCompleted),
    "cancel": (S.CANCELLED, ev.WorkOrderCancelled),
}

LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name in COMMANDS for state in S if state not in ALLOWED_FROM[name]]


def actor_for(domain: Any, command: str) -> Any:
    return getattr(domain, ACTOR.get(command, "technician"))


def ready_for(domain: Any, state: WorkOrderStatus, command: str) -> WorkOrder:
    """A work order in ``state`` on which ``command`` (allowed from ``state``) can succeed."""
    stage = HOLD_FROM.get(command, HoldStage.PAUSED)
    order = domain.work_order(state, template=domain.short_checklist, hold_stage=stage)
    if command == "complete" and state is S.IN_PROGRESS:
        order = domain.complete_required_steps(order)
    return order


def test_tables_cover_every_command() -> None:
    public = {n for n in dir(WorkOrder) if not n.startswith("_")}
    fields = {f.name for f in WorkOrder.__attrs_attrs__}
    readers = {"sla_check_at", "create", "is_terminal", "current_hold", "open_required_steps", "step", "worked_by"}
    readers |= {"kind", "id_kind"}  # class-level facts of every aggregate
    assert public - fields - readers == set(COMMANDS) == set(ALLOWED_FROM) == set(TARGET)


# --- creation from PEST_CONTROL -----------------------------------------------------------------


def test_create_copies_the_pest_control_checklist(work_order: WorkOrder, domain: Any) -> None:
    assert work_order.status is S.SCHEDULED
    assert work_order.template_key == "pest-control"
    assert [s.key for s in work_order.steps] == [s.key for s in PEST_CONTROL.steps]
    assert len(work_order.steps) == 11
    assert [s.title_zh for s in work_order.steps] == [s.title_zh for s in PEST_CONTROL.steps]
    assert all(s.status is StepStatus.PENDING and s.completion is None for s in work_order.steps)
    assert all(s.required for s in work_order.steps)
    assert work_order.open_required_steps == work_order.steps
    assert work_order.assignees == (domain.technician.id,)
    assert work_order.holds == ()
    assert work_order.sign_off is None
    assert work_order.current_hold is None
    assert not work_order.is_terminal
    (entry,) = work_order.history
    assert (entry.action, entry.from_state, entry.to_state, entry.actor, entry.at) == (
        "create",
        "",
        "scheduled",
        domain.agent.ref,
        domain.t0,
    )
    assert "pest-control" in entry.note
    (event,) = work_order.events
    assert isinstance(event, ev.WorkOrderCreated)
    assert event.assignees == (domain.technician.id,)
    assert event.aggregate_id == work_order.id


def test_step_lookup(work_order: WorkOrder) -> None:
    assert work_order.step("execute").title == "Carry out the treatment"
    with pytest.raises(ValidationError) as info:
        work_order.step("dance")
    assert info.value.field == "step_key"
    assert "dance" in str(info.value)
    assert work_order.id in str(info.value)


def test_orders_do_not_share_checklist_state(domain: Any) -> None:
    one = domain.work_order(S.IN_PROGRESS)
    two = domain.work_order(S.IN_PROGRESS)
    one = one.complete_step(actor=domain.technician, at=domain.after(one), step_key="contact-customer")
    assert one.step("contact-customer").status is StepStatus.DONE
    assert two.step("contact-customer").status is StepStatus.PENDING
    assert domain.new_work_order().step("contact-customer").status is StepStatus.PENDING


@pytest.mark.parametrize(
    "assignees",
    [[], ["u-1", "u-1"], "u-1", ["  "]],
    ids=["empty", "duplicate", "single-string", "blank"],
)
def test_create_validates_assignees(domain: Any, assignees: Any) -> None:
    with pytest.raises(ValidationError) as info:
        WorkOrder.create(
            id="wo-1",
            agreement_id="agr-1",
            request_id="req-1",
            title="t",
            assignees=assignees,
            window=domain.window(),
            template=PEST_CONTROL,
            actor=domain.agent,
            at=domain.t0,
        )
    assert info.value.field == "assignees"


# --- every legal / illegal transition ------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL)
def test_legal_transition(domain: Any, state: WorkOrderStatus, command: str) -> None:
    before = ready_for(domain, state, command)
    snapshot = domain.snapshot(before)
    at = domain.after(before, minutes=11)
    actor = actor_for(domain, command)
    after = COMMANDS[command](before, domain, at)
    to, event = TARGET[command]
    domain.transitioned(before, after, action=command, actor=actor, at=at, to=to or before.status, event=event)
    domain.assert_unchanged(before, snapshot)
    assert after.is_terminal is (after.status in TERMINAL)


@pytest.mark.parametrize(("state", "command"), ILLEGAL)
def test_illegal_transition(domain: Any, state: WorkOrderStatus, command: str) -> None:
    order = domain.work_order(state)
    err = domain.invalid_transition(order, command, lambda o, at: COMMANDS[command](o, domain, at))
    assert err.allowed_from == tuple(sorted(s.value for s in ALLOWED_FROM[command]))


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_refuse_everything(domain: Any, state: WorkOrderStatus) -> None:
    order = domain.work_order(state)
    assert order.is_terminal
    for name, command in COMMANDS.items():
        domain.invalid_transition(order, name, lambda o, at, c=command: c(o, domain, at))


# --- checklist -------------------------------------------------------------------------------------


def _on_site(order: WorkOrder) -> str:
    """The first checklist step done at the visit (not one due before it)."""
    return next(step.key for step in order.steps if step.due_before_start is None)


def test_a_step_due_before_the_visit_is_recorded_while_the_order_is_scheduled(domain: Any) -> None:
    order = domain.new_work_order()
    assert order.status is S.SCHEDULED
    assert order.steps[0].due_before_start == 2
    done = order.complete_step(actor=domain.technician, at=domain.after(order), step_key=order.steps[0].key)
    assert done.status is S.SCHEDULED
    assert done.steps[0].status is StepStatus.DONE


def test_complete_step_records_who_when_what(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    at = domain.after(order)
    photo = EvidenceRef("s3://evidence/wo-1/prep.jpg", "mixing")
    dosage = Measurement("dosage", "2.5", "L")
    done = order.complete_step(
        actor=domain.technician, at=at, step_key="prepare", note="ratio 1:50", evidence=[photo], measurements=[dosage]
    )
    step = done.step("prepare")
    assert step.status is StepStatus.DONE
    assert step.completion is not None
    assert step.completion.by == domain.technician.ref
    assert step.completion.at == at
    assert step.completion.note == "ratio 1:50"
    assert step.completion.evidence == (photo,)
    assert step.completion.measurements == (dosage,)
    assert step.completion.measurements[0].value == Decimal("2.5")
    assert done.history[-1].note == "prepare: ratio 1:50"
    assert done.events[-1].step_key == "prepare"
    assert [s.key for s in done.open_required_steps] == [s.key for s in order.steps if s.key != "prepare"]
    # the other steps are untouched
    assert [s for s in done.steps if s.key != "prepare"] == [s for s in order.steps if s.key != "prepare"]


def test_a_step_can_be_done_only_once(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    order = order.complete_step(actor=domain.technician, at=domain.after(order), step_key="execute")
    err = domain.refused(
        order, BusinessRuleError, lambda o, at: o.complete_step(actor=domain.technician, at=at, step_key="execute")
    )
    assert "already done" in str(err)
    assert order.id in str(err)


def test_unknown_step_is_refused(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order, ValidationError, lambda o, at: o.complete_step(actor=domain.technician, at=at, step_key="nap")
    )
    assert err.field == "step_key"


def test_required_step_cannot_be_skipped(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    for key in (s.key for s in order.steps):
        err = domain.refused(
            order,
            BusinessRuleError,
            lambda o, at, k=key: o.skip_step(actor=domain.technician, at=at, step_key=k, reason="no time"),
        )
        assert "required" in str(err)
        assert key in str(err)


def test_optional_step_can_be_skipped_with_a_reason(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS, template=domain.short_checklist)
    skipped = order.skip_step(actor=domain.technician, at=domain.after(order), step_key="photos", reason=" No camera ")
    step = skipped.step("photos")
    assert (step.status, step.skip_reason, step.completion) == (StepStatus.SKIPPED, "No camera", None)
    assert skipped.events[-1].reason == "No camera"
    assert skipped.history[-1].note == "photos: No camera"
    domain.refused(
        skipped,
        BusinessRuleError,
        lambda o, at: o.complete_step(actor=domain.technician, at=at, step_key="photos"),
    )
    domain.refused(
        skipped,
        BusinessRuleError,
        lambda o, at: o.skip_step(actor=domain.technician, at=at, step_key="photos", reason="again"),
    )


def test_skip_needs_a_reason(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS, template=domain.short_checklist)
    err = domain.refused(
        order,
        ValidationError,
        lambda o, at: o.skip_step(actor=domain.technician, at=at, step_key="photos", reason="  "),
    )
    assert err.field == "reason"


def test_done_step_cannot_be_skipped(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS, template=domain.short_checklist)
    order = order.complete_step(actor=domain.technician, at=domain.after(order), step_key="photos")
    domain.refused(
        order,
        BusinessRuleError,
        lambda o, at: o.skip_step(actor=domain.technician, at=at, step_key="photos", reason="x"),
    )


# --- completion --------------------------------------------------------------------------------------


def test_completion_needs_every_required_step(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    for step in order.steps[:-1]:
        order = order.complete_step(actor=domain.technician, at=domain.after(order), step_key=step.key)
        err = domain.refused(order, BusinessRuleError, lambda o, at: COMMANDS["complete"](o, domain, at))
        assert "leave-safely" in str(err)
        assert order.id in str(err)
    assert [s.key for s in order.open_required_steps] == ["leave-safely"]
    order = order.complete_step(actor=domain.technician, at=domain.after(order), step_key="leave-safely")
    assert COMMANDS["complete"](order, domain, domain.after(order)).status is S.COMPLETED


def test_completion_needs_a_sign_off(domain: Any) -> None:
    order = domain.complete_required_steps(domain.work_order(S.IN_PROGRESS))
    err = domain.refused(
        order,
        ValidationError,
        lambda o, at: o.complete(actor=domain.technician, at=at, sign_off=None),  # type: ignore[arg-type]
    )
    assert err.field == "sign_off"


def test_completion_records_the_sign_off(domain: Any) -> None:
    order = domain.complete_required_steps(domain.work_order(S.IN_PROGRESS))
    at = domain.after(order)
    done = order.complete(actor=domain.technician, at=at, sign_off=domain.sign_off(at))
    assert done.sign_off == domain.sign_off(at)
    assert done.history[-1].note == "signed off by Ivy Site-Manager"
    assert done.events[-1].signed_by == "Ivy Site-Manager"
    assert done.is_terminal


@pytest.mark.parametrize("optional", ["pending", "skipped", "done"])
def test_optional_steps_do_not_block_completion(domain: Any, optional: str) -> None:
    order = domain.work_order(S.IN_PROGRESS, template=domain.short_checklist)
    if optional == "skipped":
        order = order.skip_step(actor=domain.technician, at=domain.after(order), step_key="photos", reason="rain")
    elif optional == "done":
        order = order.complete_step(actor=domain.technician, at=domain.after(order), step_key="photos")
    order = domain.complete_required_steps(order)
    assert COMMANDS["complete"](order, domain, domain.after(order)).status is S.COMPLETED


# --- exception procedure -------------------------------------------------------------------------------


def test_hold_opens_an_exception(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    at = domain.after(order)
    held = order.hold(actor=domain.technician, at=at, reason="safety", description="Gas smell")
    assert held.current_hold == Hold(
        reason=HoldReason.SAFETY, description="Gas smell", raised_by=domain.technician.ref, raised_at=at
    )
    assert held.current_hold is not None
    assert held.current_hold.stage is HoldStage.PAUSED
    assert held.history[-1].note == "safety: Gas smell"
    assert (held.events[-1].reason, held.events[-1].description) == ("safety", "Gas smell")


def test_hold_needs_a_description(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order,
        ValidationError,
        lambda o, at: o.hold(actor=domain.technician, at=at, reason="other", description=" "),
    )
    assert err.field == "description"


def test_hold_rejects_unknown_reason_with_validation_error(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order, ValidationError, lambda o, at: o.hold(actor=domain.technician, at=at, reason="flood", description="x")
    )
    assert err.field == "reason"
    assert "material_shortage" in str(err)


def test_full_hold_procedure_records_every_step(domain: Any) -> None:
    order = domain.work_order(S.ON_HOLD)
    times = []
    for name in HOLD_COMMANDS:
        at = domain.after(order, 3)
        times.append(at)
        order = COMMANDS[name](order, domain, at)
    hold = order.holds[-1]
    assert order.status is S.IN_PROGRESS
    assert order.current_hold is None
    assert hold.stage is HoldStage.RESOLVED
    assert hold.supervisor == domain.supervisor.ref
    assert (hold.reported_at, hold.coordinated_at, hold.customer_informed_at, hold.resumed_at) == tuple(times)
    assert hold.plan == "Courier bait from depot"
    assert hold.customer_message == "Back at 3 pm"
    assert [e.name for e in order.events[-4:]] == [
        "HoldReportedToSupervisor",
        "HoldCoordinated",
        "CustomerInformedOfHold",
        "WorkOrderResumed",
    ]
    assert order.events[-4].supervisor_id == domain.supervisor.id


@pytest.mark.parametrize("stage", list(HoldStage)[:4])
@pytest.mark.parametrize("command", HOLD_COMMANDS)
def test_hold_procedure_order_is_enforced(domain: Any, stage: HoldStage, command: str) -> None:
    order = domain.work_order(S.ON_HOLD, hold_stage=stage)
    if HOLD_FROM[command] is stage:
        after = COMMANDS[command](order, domain, domain.after(order))
        assert after.holds[-1].stage is HOLD_TO[command]
        assert after.holds[:-1] == order.holds[:-1]
        return
    err = domain.refused(order, BusinessRuleError, lambda o, at: COMMANDS[command](o, domain, at))
    message = str(err)
    assert order.id in message
    assert command in message
    assert repr(HOLD_FROM[command].value) in message
    assert repr(stage.value) in message


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda o, d, at: o.coordinate_hold(actor=d.supervisor, at=at, plan=" "), "plan"),
        (lambda o, d, at: o.inform_customer_of_hold(actor=d.supervisor, at=at, message=""), "message"),
    ],
)
def test_hold_procedure_needs_text(domain: Any, command: Any, field: str) -> None:
    stage = HoldStage.REPORTED if field == "plan" else HoldStage.COORDINATED
    order = domain.work_order(S.ON_HOLD, hold_stage=stage)
    err = domain.refused(order, ValidationError, lambda o, at: command(o, domain, at))
    assert err.field == field


def test_second_hold_starts_a_new_procedure(domain: Any) -> None:
    order = domain.work_order(S.ON_HOLD, hold_stage=HoldStage.CUSTOMER_INFORMED)
    order = COMMANDS["resume"](order, domain, domain.after(order))
    order = order.hold(actor=domain.technician, at=domain.after(order), reason="customer_unavailable", description="x")
    assert len(order.holds) == 2
    assert order.holds[0].stage is HoldStage.RESOLVED
    assert order.current_hold is order.holds[1]
    assert order.current_hold.stage is HoldStage.PAUSED
    domain.refused(order, BusinessRuleError, lambda o, at: COMMANDS["resume"](o, domain, at))


@pytest.mark.parametrize("stage", list(HoldStage)[:4])
def test_cancel_while_on_hold(domain: Any, stage: HoldStage) -> None:
    order = domain.work_order(S.ON_HOLD, hold_stage=stage)
    cancelled = order.cancel(actor=domain.agent, at=domain.after(order), reason=" Contract ended ")
    assert cancelled.status is S.CANCELLED
    assert cancelled.cancel_reason == "Contract ended"
    assert cancelled.current_hold is None


def test_cancel_needs_a_reason(domain: Any) -> None:
    order = domain.work_order(S.SCHEDULED)
    err = domain.refused(order, ValidationError, lambda o, at: o.cancel(actor=domain.agent, at=at, reason=""))
    assert err.field == "reason"


# --- reassignment ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(OPEN))
def test_reassign_replaces_assignees_without_moving(domain: Any, state: WorkOrderStatus) -> None:
    order = domain.work_order(state)
    after = order.reassign(actor=domain.agent, at=domain.after(order), assignees=("u-a", "u-b"))
    assert after.assignees == ("u-a", "u-b")
    assert after.status is order.status
    assert after.history[-1].from_state == after.history[-1].to_state == state.value
    assert after.history[-1].note == "u-a, u-b"
    assert after.events[:-1] == order.events
    assert after.events[-1] == ev.WorkOrderReassigned(
        aggregate_id=order.id, occurred_at=after.history[-1].at, actor=domain.agent.ref, assignees=("u-a", "u-b")
    )


@pytest.mark.parametrize("assignees", [[], ["u-a", "u-a"], "u-a"])
def test_reassign_validates_assignees(domain: Any, assignees: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order, ValidationError, lambda o, at: o.reassign(actor=domain.agent, at=at, assignees=assignees)
    )
    assert err.field == "assignees"


# --- time -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_time_cannot_go_backwards(domain: Any, state: Any, command: str) -> None:
    """``at`` is checked before anything else, so even an illegal command reports it."""
    agg = ready_for(domain, state, command)
    err = domain.refused(agg, ValidationError, lambda a, at: COMMANDS[command](a, domain, at), at=domain.before(agg))
    assert err.field == "at"
    assert "earlier" in str(err)


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_naive_datetime_is_rejected_naming_at(domain: Any, state: Any, command: str) -> None:
    agg = ready_for(domain, state, command)
    naive = domain.after(agg).replace(tzinfo=None)
    err = domain.refused(agg, ValidationError, lambda a, at: COMMANDS[command](a, domain, at), at=naive)
    assert err.field == "at"
    assert "timezone-aware" in str(err)


def test_create_rejects_naive_datetime(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        WorkOrder.create(
            id="wo-1",
            agreement_id="agr-1",
            request_id="req-1",
            title="t",
            assignees=["u-1"],
            window=domain.window(),
            template=PEST_CONTROL,
            actor=domain.agent,
            at=datetime(2024, 5, 6, 9),
        )
    assert info.value.field == "at"


def test_measurement_refuses_floats() -> None:
    with pytest.raises(ValidationError) as info:
        Measurement("dosage", 2.5, "L")
    assert info.value.field == "value"


# --- input hardening: non-bool flags, lone strings for lists, blank linked ids --------------------------


def test_complete_step_refuses_a_single_string_as_evidence(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order,
        ValidationError,
        lambda o, at: o.complete_step(actor=domain.technician, at=at, step_key="prepare", evidence="s3://x"),
    )
    assert err.field == "evidence"


def test_complete_step_checks_measurement_types(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    err = domain.refused(
        order,
        ValidationError,
        lambda o, at: o.complete_step(
            actor=domain.technician, at=at, step_key="prepare", measurements=[("dosage", "2.5", "L")]
        ),
    )
    assert err.field == "measurements[0]"


@pytest.mark.parametrize(
    "signed", [timedelta(minutes=-1), timedelta(minutes=1)], ids=["before-work-started", "after-completion"]
)
def test_sign_off_must_fall_between_start_and_completion(domain: Any, signed: timedelta) -> None:
    order = domain.complete_required_steps(domain.work_order(S.IN_PROGRESS))
    at = domain.after(order)
    started_at = next(entry.at for entry in order.history if entry.action == "start")
    signed_at = (started_at if signed < timedelta(0) else at) + signed
    err = domain.refused(
        order,
        ValidationError,
        lambda o, _: o.complete(actor=domain.technician, at=at, sign_off=SiteSignOff("Ivy", signed_at)),
    )
    assert err.field == "sign_off.signed_at"


def test_hold_description_is_stripped_and_required(domain: Any) -> None:
    order = domain.work_order(S.IN_PROGRESS)
    held = order.hold(actor=domain.technician, at=domain.after(order), reason="safety", description="  gas smell ")
    assert held.current_hold is not None
    assert held.current_hold.description == "gas smell"
    err = domain.refused(
        order, ValidationError, lambda o, at: o.hold(actor=domain.technician, at=at, reason="safety", description=" ")
    )
    assert err.field == "description"
