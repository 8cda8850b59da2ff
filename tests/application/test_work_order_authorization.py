"""Who may work on a work order, who may inspect it, and whose name a report or a remedy may carry.

Through the ServiceDesk facade, on memory and SQLite storage: only the order's
assignees do its work; a supervisor may, and is recorded "as supervisor"; anyone
else is refused with a PermissionDeniedError naming actor, command and rule, and
nothing is written. The acceptance inspector is nobody who recorded the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import servicecore as sc
from servicecore.application.permissions import DEFAULT_RULES, CommandPolicy
from servicecore.domain.work_order import WORK_ACTIONS
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from tests.application.support import (
    AGENT,
    CUSTOMER,
    ENGINEER,
    INSPECTOR,
    LI_QIANG,
    OTHER_CUSTOMER,
    SUPERVISOR,
    WANG_FANG,
    Desk,
)

OUTSIDER = sc.Actor("E-011", "Wu Tao", ["engineer"])
"""An engineer who is not assigned to the work order."""
OUTSIDE_INSPECTOR = sc.Actor("E-012", "Qian Bo", ["engineer", "quality_inspector"])
"""Not assigned either, and a quality inspector too: the case the separation rule once missed."""
SUPERVISING_INSPECTOR = sc.Actor("E-021", "Zhao Yun", ["supervisor", "quality_inspector"])
SITE = sc.ChecklistTemplate(
    key="site-visit",
    title="Site visit",
    steps=[sc.StepTemplate("arrive", "Arrive"), sc.StepTemplate("photos", "Take photos", required=False)],
)


class World(Desk):
    """The support desk, on the storage under test."""

    def __init__(self, storage: Any) -> None:
        super().__init__()
        self.storage = storage
        self.desk = sc.ServiceDesk(
            storage=storage,
            notifier=self.notifier,
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=SequentialIds(),
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL, SITE.key: SITE},
        )

    def order(self, *, assignees: tuple[str, ...] = (ENGINEER.id,)) -> sc.WorkOrder:
        agreement = self.active_agreement()
        return self.desk.create_work_order(
            agreement.id, actor=AGENT, title="Site visit", assignees=list(assignees), template=SITE.key
        )

    def order_for(self, customer: sc.Customer) -> sc.WorkOrder:
        agreement = self.active_agreement(customer)
        return self.desk.create_work_order(
            agreement.id, actor=AGENT, title="Redo", assignees=[ENGINEER.id], template=SITE.key
        )

    def started(self) -> sc.WorkOrder:
        order = self.order()
        self.later()
        return self.desk.start_work_order(order.id, actor=ENGINEER)

    def held(self, stage: str = "paused") -> sc.WorkOrder:
        desk = self.desk
        order = self.started()
        self.later()
        order = desk.hold_work_order(order.id, actor=ENGINEER, reason="equipment_failure", description="Sprayer broke")
        if stage == "paused":
            return order
        self.later()
        desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR)
        desk.coordinate_hold(order.id, actor=SUPERVISOR, plan="Spare sprayer from the depot")
        return desk.inform_customer_of_hold(order.id, actor=AGENT, message="We resume at two")

    def steps_done(self) -> sc.WorkOrder:
        order = self.started()
        self.later()
        return self.desk.complete_step(order.id, actor=ENGINEER, step_key="arrive")

    def sign_off(self) -> sc.SiteSignOff:
        return sc.SiteSignOff(WANG_FANG.name, self.clock.now())

    def rectification_ordered(self, inspector: sc.Actor = CUSTOMER) -> sc.Acceptance:
        desk = self.desk
        order = self.completed_order()
        agreement_id = order.agreement_id
        self.later()
        kind = "customer" if inspector is CUSTOMER else "third_party"
        acceptance = desk.open_acceptance(agreement_id, actor=AGENT, inspector=sc.Inspector(inspector.ref, kind))
        self.later()
        failed = [sc.CriterionResult(criterion_code="no-live-insects", passed=False)]
        desk.record_inspection(acceptance.id, actor=inspector, results=failed)
        return desk.order_rectification(
            acceptance.id, actor=AGENT, responsible_party=ENGINEER.name, deadline=self.clock.now() + timedelta(days=2)
        )


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    storage = MemoryStorage() if request.param == "memory" else SQLAlchemyStorage(tmp_path / "authz.db")
    yield World(storage)
    storage.close()


def refused(world: World, error: type[sc.PermissionDeniedError], command: Callable[[], object]) -> Any:
    """Run ``command``, expect exactly ``error``, and check nothing was written."""
    before = world.state()
    with pytest.raises(error) as caught:
        command()
    assert type(caught.value) is error
    assert world.state() == before, "a refused command wrote something"
    return caught.value


# Each work command: the state to reach first, and the call as someone (an Actor) on the order.
Setup = Callable[[World], sc.WorkOrder]
Work = Callable[[World, sc.WorkOrder, sc.Actor], sc.WorkOrder]
WORK: dict[str, tuple[Setup, Work]] = {
    "start": (World.order, lambda w, o, a: w.desk.start_work_order(o.id, actor=a)),
    "complete_step": (World.started, lambda w, o, a: w.desk.complete_step(o.id, actor=a, step_key="arrive")),
    "skip_step": (World.started, lambda w, o, a: w.desk.skip_step(o.id, actor=a, step_key="photos", reason="n/a")),
    "hold": (
        World.started,
        lambda w, o, a: w.desk.hold_work_order(o.id, actor=a, reason="safety", description="Gas smell"),
    ),
    "report_hold": (World.held, lambda w, o, a: w.desk.report_hold(o.id, actor=a, supervisor=SUPERVISOR)),
    "resume": (lambda w: w.held("customer_informed"), lambda w, o, a: w.desk.resume_work_order(o.id, actor=a)),
    "complete": (World.steps_done, lambda w, o, a: w.desk.complete_work_order(o.id, actor=a, sign_off=w.sign_off())),
}


def test_the_table_covers_every_kind_of_work() -> None:
    assert set(WORK) == set(WORK_ACTIONS)


@pytest.mark.parametrize("action", sorted(WORK))
@pytest.mark.parametrize("actor", [OUTSIDER, OUTSIDE_INSPECTOR], ids=["engineer", "engineer-and-inspector"])
def test_someone_not_assigned_cannot_work_on_the_order(world: World, action: str, actor: sc.Actor) -> None:
    setup, work = WORK[action]
    order = setup(world)
    world.later()
    error = refused(world, sc.PermissionDeniedError, lambda: work(world, order, actor))
    assert error.actor_id == actor.id
    assert error.command == f"{action} on work order {order.id}"
    assert error.rule == f"only its assignees ({ENGINEER.id}) work on it, or a supervisor acting as such"
    assert world.notifier.sent == []


@pytest.mark.parametrize("action", sorted(WORK))
def test_an_assignee_works_on_the_order_in_their_own_name(world: World, action: str) -> None:
    setup, work = WORK[action]
    order = setup(world)
    world.later()
    done = work(world, order, ENGINEER)
    entry = done.history[-1]
    assert (entry.action, entry.actor) == (action, ENGINEER.ref)
    assert "supervisor" not in entry.note
    assert world.desk.get_work_order(order.id) == done


@pytest.mark.parametrize("action", sorted(WORK))
def test_a_supervisor_not_assigned_may_work_on_the_order_and_is_recorded_as_such(world: World, action: str) -> None:
    setup, work = WORK[action]
    order = setup(world)
    world.later()
    done = work(world, order, SUPERVISOR)
    entry = done.history[-1]
    assert (entry.action, entry.actor) == (action, SUPERVISOR.ref)
    assert entry.note == "as supervisor" or entry.note.endswith(" (as supervisor)"), entry.note
    assert SUPERVISOR.id in done.worked_by
    assert world.desk.get_work_order(order.id).history[-1] == entry  # stored as recorded


def test_an_assigned_supervisor_works_as_an_assignee(world: World) -> None:
    foreman = sc.Actor("E-022", "Lin Feng", ["engineer", "supervisor"])
    order = world.order(assignees=(foreman.id,))
    world.later()
    started = world.desk.start_work_order(order.id, actor=foreman)
    assert started.history[-1].note == ""


def test_reassignment_moves_the_right_to_work(world: World) -> None:
    order = world.started()
    world.later()
    world.desk.reassign_work_order(order.id, actor=AGENT, assignees=[OUTSIDER.id])
    world.later()
    refused(
        world, sc.PermissionDeniedError, lambda: world.desk.complete_step(order.id, actor=ENGINEER, step_key="arrive")
    )
    done = world.desk.complete_step(order.id, actor=OUTSIDER, step_key="arrive")
    assert done.worked_by == {ENGINEER.id, OUTSIDER.id}  # whoever recorded work stays on record


def test_the_policy_decides_who_supervises(world: World) -> None:
    """An application may give supervisor authority to a role of its own."""
    policy = CommandPolicy(DEFAULT_RULES, supervisor_roles=["site_manager"]).grant("start_work_order", "site_manager")
    manager = sc.Actor("E-023", "He Ping", ["site_manager"])
    desk = sc.ServiceDesk(
        storage=world.storage,
        notifier=world.notifier,
        renderer=MarkdownRenderer(),
        clock=world.clock,
        ids=SequentialIds(),
        templates={SITE.key: SITE},
        permissions=policy,
    )
    assert policy.supervises(manager)
    assert not policy.supervises(SUPERVISOR)
    order = world.order()
    world.later()
    refused(world, sc.PermissionDeniedError, lambda: desk.start_work_order(order.id, actor=SUPERVISOR))
    assert desk.start_work_order(order.id, actor=manager).history[-1].note == "as supervisor"


# --- acceptance: the inspector did none of the work ---------------------------------------------------


def _completed_with(world: World, worker: sc.Actor) -> sc.WorkOrder:
    """A completed order assigned to ENGINEER, with one step done by ``worker`` as supervisor."""
    order = world.order()
    world.later()
    world.desk.start_work_order(order.id, actor=ENGINEER)
    world.later()
    world.desk.complete_step(order.id, actor=worker, step_key="arrive")
    world.later()
    return world.desk.complete_work_order(order.id, actor=ENGINEER, sign_off=world.sign_off())


def test_an_unassigned_engineer_inspector_can_no_longer_do_the_work_then_inspect_it(world: World) -> None:
    order = world.order()
    world.later()
    refused(world, sc.PermissionDeniedError, lambda: world.desk.start_work_order(order.id, actor=OUTSIDE_INSPECTOR))


def test_whoever_recorded_work_cannot_be_the_inspector(world: World) -> None:
    order = _completed_with(world, SUPERVISING_INSPECTOR)
    assert order.assignees == (ENGINEER.id,)
    world.later()
    error = refused(
        world,
        sc.SeparationOfDutiesError,
        lambda: world.desk.open_acceptance(
            order.agreement_id, actor=AGENT, inspector=sc.Inspector(SUPERVISING_INSPECTOR.ref, "third_party")
        ),
    )
    assert error.actor_id == SUPERVISING_INSPECTOR.id
    assert error.command == "open_acceptance"
    assert order.id in error.rule
    assert "recorded work" in error.rule


def test_someone_reassigned_away_after_working_cannot_be_the_inspector(world: World) -> None:
    inspector_too = sc.Actor("E-013", "Ding Yi", ["engineer", "quality_inspector"])
    order = world.order(assignees=(inspector_too.id,))
    world.later()
    world.desk.start_work_order(order.id, actor=inspector_too)
    world.desk.reassign_work_order(order.id, actor=AGENT, assignees=[ENGINEER.id])
    world.later()
    world.desk.complete_step(order.id, actor=ENGINEER, step_key="arrive")
    world.later()
    order = world.desk.complete_work_order(order.id, actor=ENGINEER, sign_off=world.sign_off())
    refused(
        world,
        sc.SeparationOfDutiesError,
        lambda: world.desk.open_acceptance(
            order.agreement_id, actor=AGENT, inspector=sc.Inspector(inspector_too.ref, "third_party")
        ),
    )


def test_an_inspector_who_did_no_work_is_accepted(world: World) -> None:
    order = _completed_with(world, SUPERVISOR)
    world.later()
    acceptance = world.desk.open_acceptance(
        order.agreement_id, actor=AGENT, inspector=sc.Inspector(INSPECTOR.ref, "third_party")
    )
    assert acceptance.inspector.person == INSPECTOR.ref


def test_only_an_assignee_or_a_supervisor_reports_the_rectification_done(world: World) -> None:
    acceptance = world.rectification_ordered()
    world.later()
    error = refused(
        world, sc.PermissionDeniedError, lambda: world.desk.mark_rectified(acceptance.id, actor=OUTSIDER, note="Done")
    )
    assert (error.actor_id, error.command) == (OUTSIDER.id, f"mark_rectified on acceptance {acceptance.id}")
    assert ENGINEER.id in error.rule
    by_supervisor = world.desk.mark_rectified(acceptance.id, actor=SUPERVISOR, note="Sealed the gap")
    assert by_supervisor.history[-1].note == "Sealed the gap (as supervisor)"
    assert by_supervisor.rectifications[-1].rectified_by == SUPERVISOR.ref


def test_an_assignee_reports_the_rectification_done(world: World) -> None:
    acceptance = world.rectification_ordered()
    world.later()
    done = world.desk.mark_rectified(acceptance.id, actor=ENGINEER, note="Sealed the gap")
    assert done.history[-1].note == "Sealed the gap"


def test_the_inspector_never_reports_the_rectification_done(world: World) -> None:
    acceptance = world.rectification_ordered(inspector=SUPERVISING_INSPECTOR)
    world.later()
    error = refused(
        world,
        sc.SeparationOfDutiesError,
        lambda: world.desk.mark_rectified(acceptance.id, actor=SUPERVISING_INSPECTOR, note="Done"),
    )
    assert error.actor_id == SUPERVISING_INSPECTOR.id


# --- reports in one's own name ------------------------------------------------------------------------


def _report(world: World, actor: sc.Actor, source: sc.ViolationSource) -> sc.Violation:
    return world.desk.report_violation(
        actor=actor, subject=ENGINEER, category="service_norm_breach", source=source, description="迟到一小时"
    )


@pytest.mark.parametrize(
    "source",
    [
        sc.ViolationSource.staff_report(SUPERVISOR),
        sc.ViolationSource.staff_report(CUSTOMER),
        sc.ViolationSource.from_inspection("ACC-1"),
        sc.ViolationSource.customer_report(OTHER_CUSTOMER),
    ],
    ids=["staff-report-as-supervisor", "staff-report-as-self", "inspection", "another-customers-report"],
)
def test_a_customer_files_only_a_customer_report_in_their_own_name(world: World, source: Any) -> None:
    error = refused(world, sc.PermissionDeniedError, lambda: _report(world, CUSTOMER, source))
    assert (error.actor_id, error.command) == (CUSTOMER.id, "report_violation")


def test_a_customer_files_a_customer_report(world: World) -> None:
    assert _report(world, CUSTOMER, sc.ViolationSource.customer_report(CUSTOMER)).source.reported_by == CUSTOMER.ref
    assert _report(world, CUSTOMER, sc.ViolationSource.customer_report()).reported_by == CUSTOMER.ref


def test_staff_file_staff_reports_in_their_own_name_only(world: World) -> None:
    error = refused(
        world, sc.PermissionDeniedError, lambda: _report(world, AGENT, sc.ViolationSource.staff_report(SUPERVISOR))
    )
    assert SUPERVISOR.id in error.rule
    assert _report(world, SUPERVISOR, sc.ViolationSource.staff_report(SUPERVISOR)).source.reported_by == SUPERVISOR.ref


def test_staff_record_a_customers_report_on_their_behalf(world: World) -> None:
    violation = _report(world, AGENT, sc.ViolationSource.customer_report(CUSTOMER, reference="hotline call 17"))
    assert (violation.reported_by, violation.source.reported_by) == (AGENT.ref, CUSTOMER.ref)


# --- a redo remedy names the complainant's own work -----------------------------------------------------


def _investigating(world: World) -> sc.Complaint:
    order = world.completed_order()
    world.later()
    complaint = world.desk.receive_complaint(
        actor=AGENT,
        complainant=WANG_FANG,
        subject=sc.ComplaintSubject(work_order_id=order.id),
        channel="hotline",
        category="quality",
        severity="major",
        description="又出现蟑螂",
    )
    world.desk.acknowledge_complaint(complaint.id, actor=AGENT, message="我们今天会跟进")
    return world.desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=INSPECTOR)


def _resolve(world: World, complaint: sc.Complaint, work_order_id: str) -> sc.Complaint:
    return world.desk.resolve_complaint(
        complaint.id,
        actor=INSPECTOR,
        summary="用药量不足",
        reply="我们将免费重新处理",
        remedies=[sc.Remedy(kind="apology"), sc.Remedy(kind="redo", work_order_id=work_order_id)],
    )


def test_a_redo_remedy_must_name_an_existing_work_order(world: World) -> None:
    complaint = _investigating(world)
    before = world.state()
    with pytest.raises(sc.BusinessRuleError, match="WO-9999 does not exist") as caught:
        _resolve(world, complaint, "WO-9999")
    assert caught.value.aggregate_id == complaint.id
    assert world.state() == before


def test_a_redo_remedy_must_name_the_complainants_work(world: World) -> None:
    complaint = _investigating(world)
    other = world.order_for(LI_QIANG)
    before = world.state()
    with pytest.raises(sc.BusinessRuleError, match=f"{other.id} is another customer's work"):
        _resolve(world, complaint, other.id)
    assert world.state() == before


def test_a_redo_remedy_naming_the_complainants_work_order_is_accepted(world: World) -> None:
    complaint = _investigating(world)
    redo = world.order_for(WANG_FANG)
    resolved = _resolve(world, complaint, redo.id)
    assert resolved.resolutions[-1].remedies[-1].work_order_id == redo.id


def test_a_supervisor_who_worked_on_the_order_never_handles_a_complaint_about_it(world: World) -> None:
    order = _completed_with(world, SUPERVISOR)
    world.later()
    complaint = world.desk.receive_complaint(
        actor=AGENT,
        complainant=WANG_FANG,
        subject=sc.ComplaintSubject(work_order_id=order.id),
        channel="hotline",
        category="quality",
        severity="major",
        description="又出现蟑螂",
    )
    assert complaint.work_staff_ids == (ENGINEER.id, SUPERVISOR.id)
    refused(
        world,
        sc.SeparationOfDutiesError,
        lambda: world.desk.acknowledge_complaint(complaint.id, actor=SUPERVISOR, message="我们今天会跟进"),
    )


@pytest.mark.parametrize("reported_to", [CUSTOMER, ENGINEER])
def test_an_exception_is_reported_only_to_someone_with_a_supervisor_role(world: World, reported_to: sc.Actor) -> None:
    order = world.held()
    before = world.state()
    with pytest.raises(sc.ValidationError) as caught:
        world.desk.report_hold(order.id, actor=ENGINEER, supervisor=reported_to)
    assert caught.value.field == "supervisor"
    assert reported_to.id in str(caught.value)
    assert world.state() == before, "a refused report wrote something"
    reported = world.desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR)
    assert reported.hold is not None
