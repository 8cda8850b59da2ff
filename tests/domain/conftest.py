"""Factories and fixtures for the domain tests.

Every helper lives here. Tests reach them through fixtures (mostly the ``domain``
fixture, a :class:`Domain` factory), never by importing this module, so the tests
do not depend on how pytest names conftest modules.

Times are aware datetimes in UTC+8 (the seed's local time). Builders advance a
fixed amount of time per step, and :meth:`Domain.after` gives a time later than an
aggregate's last history entry, so tests never trip the "time goes backwards" rule
by accident.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from servicecore.domain import (
    PEST_CONTROL,
    Acceptance,
    AcceptanceCriterion,
    AcceptanceStatus,
    Actor,
    AgreementStatus,
    AgreementTerms,
    Appeal,
    AppealStatus,
    ChecklistTemplate,
    Compensation,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    CriterionResult,
    Customer,
    DomainEvent,
    Finding,
    HistoryEntry,
    HoldReason,
    HoldStage,
    InspectionMethod,
    Inspector,
    InspectorKind,
    InvalidTransitionError,
    Money,
    Remedy,
    RequestStatus,
    Sanction,
    Schedule,
    ServiceAgreement,
    ServiceCoreError,
    ServiceItem,
    ServiceRequest,
    SiteSignOff,
    StepTemplate,
    Violation,
    ViolationSource,
    ViolationStatus,
    WorkOrder,
    WorkOrderStatus,
)

UTC8 = timezone(timedelta(hours=8), "UTC+08:00")
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC8)
STEP = timedelta(minutes=5)

REQUIRED_CODE = "NO-LIVE-PESTS"
OPTIONAL_CODE = "REPORT-FILED"

A = TypeVar("A", ServiceRequest, ServiceAgreement, WorkOrder, Acceptance)
E = TypeVar("E", bound=ServiceCoreError)
Command = Callable[[Any, datetime], Any]

# A short checklist with one optional step, for skip / completion rules.
SHORT_CHECKLIST = ChecklistTemplate(
    key="short",
    title="Short visit",
    steps=(
        StepTemplate("arrive", "Arrive on site"),
        StepTemplate("treat", "Carry out the treatment"),
        StepTemplate("photos", "Take optional photos", required=False),
    ),
)


class Domain:
    """One place that knows how to build valid domain objects in any state."""

    tz = UTC8
    t0 = T0
    required_code = REQUIRED_CODE
    optional_code = OPTIONAL_CODE
    short_checklist = SHORT_CHECKLIST

    def __init__(self) -> None:
        self.agent = Actor("u-agent", "Ann Agent", {"agent"})
        self.author = Actor("u-author", "Bo Author", {"planner"})
        self.reviewer = Actor("u-reviewer", "Cai Reviewer", {"reviewer"})
        self.customer_contact = Actor("c-contact", "Dee Customer", {"customer"})
        self.technician = Actor("u-tech", "Eli Technician", {"technician"})
        self.technician2 = Actor("u-tech2", "Gus Technician", {"technician"})
        self.supervisor = Actor("u-super", "Fay Supervisor", {"supervisor"})
        self.inspector_actor = Actor("c-inspector", "Hal Inspector", {"customer"})
        self.customer = Customer(
            "cust-1", "Harbour Foods Ltd", phone="+86 20 5555 0101", email="ops@harbour.example", address="Dock 3"
        )
        self.inspector = Inspector(self.inspector_actor.ref, InspectorKind.CUSTOMER)

    # --- time ---------------------------------------------------------------

    def at(self, minutes: int = 0) -> datetime:
        """``T0`` plus ``minutes``."""
        return T0 + timedelta(minutes=minutes)

    @staticmethod
    def last_at(agg: Any) -> datetime:
        """Time of the aggregate's last history entry."""
        return agg.history[-1].at

    def after(self, agg: Any, minutes: int = 1) -> datetime:
        """A time ``minutes`` after the aggregate's last history entry."""
        return self.last_at(agg) + timedelta(minutes=minutes)

    def before(self, agg: Any, minutes: int = 1) -> datetime:
        """A time ``minutes`` before the aggregate's last history entry (illegal for commands)."""
        return self.last_at(agg) - timedelta(minutes=minutes)

    def _run(self, agg: A, *commands: Command) -> A:
        for command in commands:
            agg = command(agg, self.last_at(agg) + STEP)
        return agg

    # --- assertions shared by every aggregate -------------------------------

    @staticmethod
    def snapshot(agg: Any) -> tuple[Any, tuple[Any, ...]]:
        """A deep copy of ``agg`` and its events (events are excluded from ``==``)."""
        return copy.deepcopy(agg), tuple(agg.events)

    @staticmethod
    def assert_unchanged(agg: Any, snapshot: tuple[Any, tuple[Any, ...]]) -> None:
        copied, events = snapshot
        assert agg == copied
        assert agg.events == events
        assert agg.history == copied.history

    def refused(self, agg: A, error: type[E], command: Command, at: datetime | None = None) -> E:
        """Run ``command`` on ``agg``; it must raise ``error`` and leave ``agg`` as it was."""
        snapshot = self.snapshot(agg)
        with pytest.raises(error) as info:
            command(agg, self.after(agg) if at is None else at)
        self.assert_unchanged(agg, snapshot)
        return info.value

    def invalid_transition(self, agg: A, action: str, command: Command) -> InvalidTransitionError:
        """``command`` must be refused as a transition; the error names id, state and action."""
        err = self.refused(agg, InvalidTransitionError, command)
        state = str(agg.status.value)
        assert err.aggregate == type(agg).__name__
        assert err.aggregate_id == agg.id
        assert err.state == state
        assert err.action == action
        assert state not in err.allowed_from
        message = str(err)
        assert agg.id in message
        assert repr(state) in message
        assert repr(action) in message
        return err

    def transitioned(
        self,
        before: A,
        after: A,
        *,
        action: str,
        actor: Actor,
        at: datetime,
        to: Any,
        event: type[DomainEvent] | None,
    ) -> None:
        """``after`` is ``before`` plus one history entry (and at most one event)."""
        assert after is not before
        assert after.status is to
        assert after.history[:-1] == before.history
        entry = after.history[-1]
        assert entry == HistoryEntry(
            at=at,
            actor=actor.ref,
            action=action,
            from_state=str(before.status.value),
            to_state=str(to.value),
            note=entry.note,
        )
        assert after.events[: len(before.events)] == before.events
        new_events = after.events[len(before.events) :]
        if event is None:
            assert new_events == ()
        else:
            assert [type(e) for e in new_events] == [event]
            (raised,) = new_events
            assert raised.aggregate_id == before.id
            assert raised.occurred_at == at
            assert raised.actor == actor.ref
            assert raised.name == event.__name__

    # --- agreement content ---------------------------------------------------

    def window(self) -> Schedule:
        start = T0 + timedelta(days=2)
        return Schedule(start=start, end=start + timedelta(hours=4), place="Harbour Foods warehouse 3")

    @staticmethod
    def item(content: str = "Spray treatment", quantity: Any = 3, price: Any = "120.00", currency: str = "CNY"):
        return ServiceItem(
            content=content,
            standard="GB/T 27779",
            quantity=quantity,
            unit="visit",
            unit_price=Money(price, currency),
        )

    def criteria(self) -> tuple[AcceptanceCriterion, AcceptanceCriterion]:
        """Two criteria: one required site check, one optional document review."""
        return (
            AcceptanceCriterion(REQUIRED_CODE, "No live pests found on site", InspectionMethod.SITE_CHECK),
            AcceptanceCriterion(
                OPTIONAL_CODE, "Treatment report filed", InspectionMethod.DOCUMENT_REVIEW, required=False
            ),
        )

    def terms(self, **overrides: Any) -> AgreementTerms:
        """Valid terms: two CNY items (3 × 120.00 + 1.5 × 80.00 = 480.00), two criteria."""
        values: dict[str, Any] = {
            "items": (
                self.item("Spray treatment", 3, "120.00"),
                self.item("Bait stations", "1.5", "80.00"),
            ),
            "schedule": self.window(),
            "criteria": self.criteria(),
            "process": "Survey, treat, review",
            "notes": "Weekend access via gate B",
        }
        values.update(overrides)
        return AgreementTerms(**values)

    # --- service requests -----------------------------------------------------

    def new_request(self, id: str = "req-1") -> ServiceRequest:
        return ServiceRequest.receive(
            id=id,
            customer=self.customer,
            channel="phone",
            category="pest control",
            priority="high",
            description="Rats seen in the warehouse",
            actor=self.agent,
            at=T0,
        )

    def request(self, status: RequestStatus, *, feasible: bool = True) -> ServiceRequest:
        """A request in ``status``, reached through the public commands."""

        def ack(r: Any, at: datetime) -> Any:
            return r.acknowledge(actor=self.agent, at=at, message="We will call you back today")

        def assess(r: Any, at: datetime) -> Any:
            return r.assess(
                actor=self.agent, at=at, feasible=feasible, analysis="Standard rodent treatment", departments=("ops",)
            )

        def agree(r: Any, at: datetime) -> Any:
            return r.mark_agreed(actor=self.agent, at=at, agreement_id="agr-1")

        def serve(r: Any, at: datetime) -> Any:
            return r.start_service(actor=self.agent, at=at, work_order_id="wo-1")

        def complete(r: Any, at: datetime) -> Any:
            return r.complete(actor=self.agent, at=at)

        paths: dict[RequestStatus, tuple[Command, ...]] = {
            RequestStatus.RECEIVED: (),
            RequestStatus.ACKNOWLEDGED: (ack,),
            RequestStatus.ASSESSED: (ack, assess),
            RequestStatus.AGREED: (ack, assess, agree),
            RequestStatus.IN_SERVICE: (ack, assess, agree, serve),
            RequestStatus.COMPLETED: (ack, assess, agree, serve, complete),
            RequestStatus.CLOSED: (
                ack,
                assess,
                agree,
                serve,
                complete,
                lambda r, at: r.close(actor=self.agent, at=at),
            ),
            RequestStatus.DECLINED: (
                ack,
                lambda r, at: r.decline(actor=self.agent, at=at, reason="Outside our service area"),
            ),
            RequestStatus.WITHDRAWN: (lambda r, at: r.withdraw(actor=self.customer_contact, at=at, reason="Solved"),),
            RequestStatus.CANCELLED: (
                ack,
                assess,
                agree,
                lambda r, at: r.cancel(actor=self.agent, at=at, reason="Agreement terminated"),
            ),
        }
        result = self._run(self.new_request(), *paths[status])
        assert result.status is status
        return result

    # --- agreements -------------------------------------------------------------

    def new_agreement(self, id: str = "agr-1") -> ServiceAgreement:
        return ServiceAgreement.draft(
            id=id,
            request_id="req-1",
            customer_id=self.customer.id,
            title="Rodent control, warehouse 3",
            terms=self.terms(),
            actor=self.author,
            at=T0,
        )

    def agreement(self, status: AgreementStatus) -> ServiceAgreement:
        """An agreement in ``status``; ``self.author`` wrote it, ``self.reviewer`` reviews it."""

        def submit(a: Any, at: datetime) -> Any:
            return a.submit_for_review(actor=self.author, at=at)

        def approve(a: Any, at: datetime) -> Any:
            return a.approve(reviewer=self.reviewer, at=at, comments="Fine")

        def offer(a: Any, at: datetime) -> Any:
            return a.offer(actor=self.agent, at=at)

        def confirm(a: Any, at: datetime) -> Any:
            return a.confirm(actor=self.customer_contact, at=at, note="Go ahead")

        def activate(a: Any, at: datetime) -> Any:
            return a.activate(actor=self.agent, at=at)

        offered = (submit, approve, offer)
        paths: dict[AgreementStatus, tuple[Command, ...]] = {
            AgreementStatus.DRAFT: (),
            AgreementStatus.IN_REVIEW: (submit,),
            AgreementStatus.RETURNED: (
                submit,
                lambda a, at: a.return_for_changes(reviewer=self.reviewer, at=at, comments="Price too high"),
            ),
            AgreementStatus.APPROVED: (submit, approve),
            AgreementStatus.OFFERED: offered,
            AgreementStatus.CONFIRMED: (*offered, confirm),
            AgreementStatus.DECLINED: (
                *offered,
                lambda a, at: a.decline(actor=self.customer_contact, at=at, reason="Too expensive"),
            ),
            AgreementStatus.ACTIVE: (*offered, confirm, activate),
            AgreementStatus.FULFILLED: (
                *offered,
                confirm,
                activate,
                lambda a, at: a.fulfil(actor=self.agent, at=at),
            ),
            AgreementStatus.TERMINATED: (lambda a, at: a.terminate(actor=self.agent, at=at, reason="Customer moved"),),
        }
        result = self._run(self.new_agreement(), *paths[status])
        assert result.status is status
        return result

    # --- work orders -------------------------------------------------------------

    def new_work_order(self, template: ChecklistTemplate = PEST_CONTROL, id: str = "wo-1") -> WorkOrder:
        return WorkOrder.create(
            id=id,
            agreement_id="agr-1",
            request_id="req-1",
            title="Rodent treatment, warehouse 3",
            assignees=[self.technician.id],
            window=self.window(),
            template=template,
            actor=self.agent,
            at=T0,
        )

    def sign_off(self, at: datetime) -> SiteSignOff:
        """The site representative's signature at ``at`` (the completion time).

        A naive ``at`` (tests of the ``at`` check) gets an aware signature time, so
        the error comes from the command, not from building its argument.
        """
        signed_at = at if at.tzinfo is not None else T0 + timedelta(days=2)
        return SiteSignOff("Ivy Site-Manager", signed_at, position="Warehouse manager")

    def complete_required_steps(self, order: WorkOrder) -> WorkOrder:
        for step in order.open_required_steps:
            order = order.complete_step(actor=self.technician, at=self.after(order), step_key=step.key)
        return order

    def hold_commands(self) -> dict[HoldStage, Command]:
        """The command that moves a hold *out of* each stage."""
        return {
            HoldStage.PAUSED: lambda o, at: o.report_hold(actor=self.technician, at=at, supervisor=self.supervisor),
            HoldStage.REPORTED: lambda o, at: o.coordinate_hold(
                actor=self.supervisor, at=at, plan="Spare sprayer from depot"
            ),
            HoldStage.COORDINATED: lambda o, at: o.inform_customer_of_hold(
                actor=self.supervisor, at=at, message="Two hours delay, sorry"
            ),
            HoldStage.CUSTOMER_INFORMED: lambda o, at: o.resume(actor=self.technician, at=at),
        }

    def work_order(
        self,
        status: WorkOrderStatus,
        *,
        template: ChecklistTemplate = PEST_CONTROL,
        hold_stage: HoldStage = HoldStage.PAUSED,
    ) -> WorkOrder:
        """A work order in ``status``; when on hold, its hold is at ``hold_stage``."""
        order = self.new_work_order(template)
        if status is WorkOrderStatus.SCHEDULED:
            return order
        if status is WorkOrderStatus.CANCELLED:
            return self._run(order, lambda o, at: o.cancel(actor=self.agent, at=at, reason="Customer postponed"))
        order = self._run(order, lambda o, at: o.start(actor=self.technician, at=at))
        if status is WorkOrderStatus.IN_PROGRESS:
            return order
        if status is WorkOrderStatus.ON_HOLD:
            order = self._run(
                order,
                lambda o, at: o.hold(
                    actor=self.technician, at=at, reason=HoldReason.EQUIPMENT_FAILURE, description="Sprayer broke"
                ),
            )
            commands = self.hold_commands()
            for stage in list(HoldStage)[: list(HoldStage).index(hold_stage)]:
                order = self._run(order, commands[stage])
            assert order.status is WorkOrderStatus.ON_HOLD
            assert order.holds[-1].stage is hold_stage
            return order
        assert status is WorkOrderStatus.COMPLETED
        order = self.complete_required_steps(order)
        return self._run(order, lambda o, at: o.complete(actor=self.technician, at=at, sign_off=self.sign_off(at)))

    # --- acceptance ----------------------------------------------------------------

    def new_acceptance(self, id: str = "acc-1") -> Acceptance:
        return Acceptance.open(
            id=id,
            agreement_id="agr-1",
            request_id="req-1",
            criteria=self.criteria(),
            inspector=self.inspector,
            actor=self.agent,
            at=T0,
            work_order_ids=["wo-1"],
        )

    def results(self, *, required: bool = True, optional: bool | None = True) -> tuple[CriterionResult, ...]:
        """Results for both criteria; ``optional=None`` leaves the optional one out."""
        out = [CriterionResult(criterion_code=REQUIRED_CODE, passed=required, note="checked all rooms")]
        if optional is not None:
            out.append(CriterionResult(criterion_code=OPTIONAL_CODE, passed=optional))
        return tuple(out)

    def acceptance(self, status: AcceptanceStatus) -> Acceptance:
        """An acceptance in ``status`` (the failing path fails the required criterion)."""

        def inspect_pass(a: Any, at: datetime) -> Any:
            return a.record_inspection(actor=self.inspector_actor, at=at, results=self.results())

        def inspect_fail(a: Any, at: datetime) -> Any:
            return a.record_inspection(actor=self.inspector_actor, at=at, results=self.results(required=False))

        def order(a: Any, at: datetime) -> Any:
            return a.order_rectification(
                actor=self.inspector_actor, at=at, responsible_party="Crew B", deadline=at + timedelta(days=1)
            )

        def rectify(a: Any, at: datetime) -> Any:
            return a.mark_rectified(actor=self.technician, at=at, note="Sealed the gaps", workers={self.technician.id})

        paths: dict[AcceptanceStatus, tuple[Command, ...]] = {
            AcceptanceStatus.AWAITING_INSPECTION: (),
            AcceptanceStatus.PASSED: (inspect_pass,),
            AcceptanceStatus.FAILED: (inspect_fail,),
            AcceptanceStatus.RECTIFICATION_ORDERED: (inspect_fail, order),
            AcceptanceStatus.RECTIFIED: (inspect_fail, order, rectify),
            AcceptanceStatus.ACCEPTED: (
                inspect_pass,
                lambda a, at: a.sign_report(actor=self.inspector_actor, at=at, signed_by="Dee Customer"),
            ),
        }
        result = self._run(self.new_acceptance(), *paths[status])
        assert result.status is status
        return result


class Discipline:
    """Builds complaints, violations and appeals in any state, through the public commands.

    People: ``subject`` (the engineer the cases are about) and ``colleague``
    (who worked with them) are the complaint's staff; ``investigator``
    investigates complaints and violations; ``officer`` decides; ``panel`` are
    three appeal-panel members who took no part in the case.
    """

    appeal_window = timedelta(days=7)
    silence = timedelta(days=7)

    def __init__(self, domain: Domain) -> None:
        self.d = domain
        self.complainant = Customer(
            "cust-9",
            "王芳",
            phone="+86 138 0013 8000",
            email="wangfang@example.cn",
            address="上海市浦东新区世纪大道100号",
        )
        self.contact = Actor("cust-9", "王芳", {"customer"})
        self.agent = domain.agent
        self.supervisor = domain.supervisor
        self.subject = Actor("u-eng", "Ivan Engineer", {"engineer"})
        self.colleague = Actor("u-eng2", "Jo Engineer", {"engineer"})
        self.investigator = Actor("u-qa", "Kim Inspector", {"quality_inspector"})
        self.investigator2 = Actor("u-qa2", "Lu Inspector", {"quality_inspector"})
        self.officer = Actor("u-do", "Mo Officer", {"discipline_officer"})
        self.panel = (
            Actor("u-p1", "Nia Panel", {"appeal_panel_member"}),
            Actor("u-p2", "Oz Panel", {"appeal_panel_member"}),
            Actor("u-p3", "Pat Panel", {"appeal_panel_member"}),
        )

    # --- complaints -------------------------------------------------------------

    def new_complaint(self, id: str = "cmp-1", **overrides: Any) -> Complaint:
        values: dict[str, Any] = {
            "id": id,
            "complainant": self.complainant,
            "subject": ComplaintSubject(request_id="req-1", work_order_id="wo-1", staff_ids=[self.subject.id]),
            "channel": "hotline",
            "category": "quality",
            "severity": "major",
            "description": "Rats back a week after the treatment",
            "actor": self.agent,
            "at": T0,
            "work_staff_ids": [self.subject.id, self.colleague.id],
        }
        values.update(overrides)
        return Complaint.receive(**values)

    def complaint_commands(self) -> dict[str, Command]:
        return {
            "acknowledge": lambda c, at: c.acknowledge(actor=self.agent, at=at, message="We are on it"),
            "start_investigation": lambda c, at: c.start_investigation(
                actor=self.supervisor, at=at, investigator=self.investigator
            ),
            "link_violation": lambda c, at: c.link_violation(actor=self.investigator, at=at, violation_id="vio-1"),
            "add_evidence": lambda c, at: c.add_evidence(
                actor=self.investigator, at=at, kind="photo", description="Photo of the droppings under the sink"
            ),
            "resolve": lambda c, at: c.resolve(
                actor=self.investigator,
                at=at,
                summary="Dosage too low",
                reply="We are sorry; we will redo the treatment",
                remedies=[Remedy(kind="apology"), Remedy(kind="compensation", amount=Money("200.00", "CNY"))],
            ),
            "confirm_resolution": lambda c, at: c.confirm_resolution(actor=self.contact, at=at, note="OK"),
            "close_after_silence": lambda c, at: c.close_after_silence(
                actor=self.agent, at=self.after_silence(c, at), silence=self.silence
            ),
            "reopen": lambda c, at: c.reopen(actor=self.contact, at=at, reason="Still there"),
            "withdraw": lambda c, at: c.withdraw(actor=self.contact, at=at, reason="Never mind"),
        }

    def after_silence(self, complaint: Complaint, at: datetime) -> datetime:
        """``at``, or the end of the silence period if that is later (for a resolved complaint)."""
        if complaint.status is not ComplaintStatus.RESOLVED or at.tzinfo is None:
            return at
        return max(at, complaint.silence_ends_at(self.silence))

    def complaint(self, status: ComplaintStatus, *, reopened: bool = False) -> Complaint:
        """A complaint in ``status``; ``reopened`` takes it once round resolve → reopen first."""
        cmd = self.complaint_commands()
        to_investigating = [cmd["acknowledge"], cmd["start_investigation"]]
        if reopened:
            to_investigating += [cmd["resolve"], cmd["reopen"]]
        paths: dict[ComplaintStatus, list[Command]] = {
            ComplaintStatus.RECEIVED: [],
            ComplaintStatus.ACKNOWLEDGED: [cmd["acknowledge"]],
            ComplaintStatus.INVESTIGATING: to_investigating,
            ComplaintStatus.RESOLVED: [*to_investigating, cmd["resolve"]],
            ComplaintStatus.CLOSED: [*to_investigating, cmd["resolve"], cmd["confirm_resolution"]],
            ComplaintStatus.WITHDRAWN: [cmd["acknowledge"], cmd["withdraw"]],
        }
        result = self.d._run(self.new_complaint(), *paths[status])
        assert result.status is status
        return result

    # --- violations ---------------------------------------------------------------

    def new_violation(self, id: str = "vio-1", **overrides: Any) -> Violation:
        values: dict[str, Any] = {
            "id": id,
            "subject": self.subject,
            "category": "quality_failure",
            "source": ViolationSource.from_complaint("cmp-1"),
            "description": "Under-dosed treatment at the customer's warehouse",
            "actor": self.investigator,
            "at": T0,
        }
        values.update(overrides)
        return Violation.report(**values)

    def findings(self, degree: str = "primary", *, colleague: str | None = None) -> list[Finding]:
        found = [Finding(person=self.subject, degree=degree, reason="Skipped the dosage check")]
        if colleague is not None:
            found.append(Finding(person=self.colleague, degree=colleague, reason="Signed off the sheet"))
        return found

    def sanctions(self) -> list[Sanction]:
        return [
            Sanction(person=self.subject, kind="warning"),
            Sanction(person=self.subject, kind="fine", amount=Money("200.00", "CNY")),
        ]

    def violation_commands(self) -> dict[str, Command]:
        return {
            "assign_investigators": lambda v, at: v.assign_investigators(
                actor=self.officer, at=at, investigators=[self.investigator]
            ),
            "add_evidence": lambda v, at: v.add_evidence(
                actor=self.investigator, at=at, kind="service_record", description="Work order sheet"
            ),
            "determine": lambda v, at: v.determine(
                actor=self.investigator, at=at, findings=self.findings(), summary="Standard not followed"
            ),
            "decide": lambda v, at: v.decide(
                actor=self.officer,
                at=at,
                sanctions=self.sanctions(),
                compensations=[Compensation(person=self.subject, amount=Money("300.00", "CNY"))],
                reasons="GB/T 27770 not followed",
                appeal_deadline=at + self.appeal_window,
            ),
            "publish": lambda v, at: v.publish(actor=self.officer, at=at),
            "finalize": lambda v, at: v.finalize(actor=self.officer, at=self.after_deadline(v, at)),
        }

    @staticmethod
    def after_deadline(violation: Violation, at: datetime) -> datetime:
        """``at``, or just after the appeal deadline if that is later (once decided)."""
        if violation.decision is None or at.tzinfo is None:
            return at
        return max(at, violation.decision.appeal_deadline + timedelta(minutes=1))

    def violation(self, status: ViolationStatus) -> Violation:
        """A violation in ``status`` with one investigator and one evidence item (none when reported)."""
        cmd = self.violation_commands()
        steps = ["assign_investigators", "add_evidence", "determine", "decide", "publish", "finalize"]
        upto = {
            ViolationStatus.REPORTED: 0,
            ViolationStatus.INVESTIGATING: 2,
            ViolationStatus.DETERMINED: 3,
            ViolationStatus.DECIDED: 4,
            ViolationStatus.PUBLISHED: 5,
            ViolationStatus.FINAL: 6,
        }
        if status is ViolationStatus.DISMISSED:
            commands = [
                cmd["assign_investigators"],
                cmd["add_evidence"],
                lambda v, at: v.determine(
                    actor=self.investigator, at=at, findings=self.findings("none"), summary="Nobody at fault"
                ),
            ]
        else:
            commands = [cmd[name] for name in steps[: upto[status]]]
        result = self.d._run(self.new_violation(), *commands)
        assert result.status is status
        return result

    # --- appeals --------------------------------------------------------------------

    def file(self, violation: Violation, id: str = "apl-1", at: datetime | None = None) -> tuple[Appeal, Violation]:
        """File an appeal by the subject and register it on the violation, as the desk does."""
        when = self.d.after(violation) if at is None else at
        appeal = Appeal.file(id=id, violation=violation, appellant=self.subject, at=when, grounds="Wrong gel issued")
        return appeal, violation.register_appeal(appellant=self.subject, at=when, appeal_id=appeal.id)

    def appeal_commands(self) -> dict[str, Command]:
        return {
            "start_review": lambda a, at: a.start_review(actor=self.supervisor, at=at, panel=self.panel[:2]),
            "uphold": lambda a, at: a.uphold(
                actor=self.panel[0],
                at=at,
                reasons="The depot issued the wrong gel",
                sanctions=[Sanction(person=self.subject, kind="warning")],
            ),
            "reject": lambda a, at: a.reject(actor=self.panel[0], at=at, reasons="The check is the engineer's job"),
            "close": lambda a, at: a.close(actor=self.panel[0], at=at, notification="Told in person"),
        }

    def appeal(self, status: AppealStatus, *, upheld: bool = True) -> Appeal:
        """An appeal (against a published decision) in ``status``."""
        appeal, _ = self.file(self.violation(ViolationStatus.PUBLISHED))
        cmd = self.appeal_commands()
        decide = cmd["uphold"] if upheld else cmd["reject"]
        paths: dict[AppealStatus, list[Command]] = {
            AppealStatus.FILED: [],
            AppealStatus.UNDER_REVIEW: [cmd["start_review"]],
            AppealStatus.UPHELD: [cmd["start_review"], cmd["uphold"]],
            AppealStatus.REJECTED: [cmd["start_review"], cmd["reject"]],
            AppealStatus.CLOSED: [cmd["start_review"], decide, cmd["close"]],
        }
        result = self.d._run(appeal, *paths[status])
        assert result.status is status
        return result


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def domain() -> Domain:
    """The factory; it holds no mutable state, so one per session is enough."""
    return Domain()


@pytest.fixture
def agent(domain: Domain) -> Actor:
    return domain.agent


@pytest.fixture
def author(domain: Domain) -> Actor:
    return domain.author


@pytest.fixture
def reviewer(domain: Domain) -> Actor:
    return domain.reviewer


@pytest.fixture
def technician(domain: Domain) -> Actor:
    return domain.technician


@pytest.fixture
def customer(domain: Domain) -> Customer:
    return domain.customer


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture
def terms(domain: Domain) -> AgreementTerms:
    return domain.terms()


@pytest.fixture
def request_in(domain: Domain) -> Callable[..., ServiceRequest]:
    return domain.request


@pytest.fixture
def agreement_in(domain: Domain) -> Callable[[AgreementStatus], ServiceAgreement]:
    return domain.agreement


@pytest.fixture
def work_order_in(domain: Domain) -> Callable[..., WorkOrder]:
    return domain.work_order


@pytest.fixture
def work_order(domain: Domain) -> WorkOrder:
    """A scheduled work order whose checklist comes from ``PEST_CONTROL``."""
    return domain.new_work_order(PEST_CONTROL)


@pytest.fixture
def acceptance_in(domain: Domain) -> Callable[[AcceptanceStatus], Acceptance]:
    return domain.acceptance


@pytest.fixture
def acceptance(domain: Domain) -> Acceptance:
    """A freshly opened acceptance, awaiting inspection."""
    return domain.new_acceptance()


@pytest.fixture(scope="session")
def discipline(domain: Domain) -> Discipline:
    """Complaints, violations and appeals in any state (holds no mutable state)."""
    return Discipline(domain)
