"""WorkOrder: execution of an active agreement (任务分配与执行: assignment and execution, step by step on a checklist).

scheduled → in_progress ⇄ on_hold → completed; cancelled from any open state.
An exception puts the order on hold and must go pause → report to supervisor →
coordinate → inform customer before work resumes. Completion needs every
required checklist step done and the site representative's sign-off.

Only the order's assignees do its work (start, steps, holds and their report,
resuming, completing); someone else may do it only with supervisor authority,
which the caller grants with ``as_supervisor=True`` and history records as
"as supervisor". Everyone who recorded work is listed in :attr:`WorkOrder.worked_by`.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import (
    SlaTrackedAggregate,
    check_time,
    event_fields,
    record,
    require_status,
    shared_fields_last,
    started,
)
from servicecore.domain.agreement import Schedule
from servicecore.domain.checklists import ChecklistTemplate
from servicecore.domain.errors import BusinessRuleError, PermissionDeniedError, ValidationError
from servicecore.domain.fields import AsEnum
from servicecore.domain.values import (
    Actor,
    ActorId,
    ActorRef,
    AgreementId,
    EvidenceRef,
    RequestId,
    WorkOrderId,
    as_tuple,
    aware,
    check_id,
    check_text,
    describe,
    describe_names,
    evidence_tuple,
    identifier,
    instance_of,
    is_bool,
    non_empty,
    non_empty_line,
    optional_aware,
    optional_line,
    optional_text,
    parse_decimal,
)


class WorkOrderStatus(enum.StrEnum):
    """States of a :class:`WorkOrder`."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.ON_HOLD})
TERMINAL_STATES = frozenset({WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED})
WORK_ACTIONS = frozenset({"start", "complete_step", "skip_step", "hold", "report_hold", "resume", "complete"})
"""History actions that record work on the order: whoever ran one of them did the work."""
AS_SUPERVISOR = "as supervisor"
"""Marks the history note of work recorded by someone other than an assignee, on supervisor authority."""


class StepStatus(enum.StrEnum):
    """Where one checklist step stands."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


def _measured_value(value: Decimal | int | str) -> Decimal:
    return parse_decimal("value", value)


@attrs.frozen
class Measurement:
    """A reading taken during a step (e.g. ``dosage 2.5 L``)."""

    name: str = attrs.field(validator=non_empty_line)
    value: Decimal = attrs.field(converter=_measured_value)
    unit: str = attrs.field(validator=non_empty_line)


def _measurement_tuple(value: Iterable[Measurement]) -> tuple[Measurement, ...]:
    return as_tuple("measurements", value, of=Measurement)


@attrs.frozen(kw_only=True)
class StepCompletion:
    """Who completed a step, when, with what note, evidence and measurements."""

    by: ActorRef
    at: datetime = attrs.field(validator=aware)
    note: str = attrs.field(default="", validator=optional_text)
    evidence: tuple[EvidenceRef, ...] = attrs.field(default=(), converter=evidence_tuple)
    measurements: tuple[Measurement, ...] = attrs.field(default=(), converter=_measurement_tuple)


@attrs.frozen(kw_only=True)
class ChecklistStep:
    """One step of a work order's checklist, instantiated from a template."""

    key: str = attrs.field(validator=non_empty_line)
    title: str = attrs.field(validator=non_empty)
    required: bool = attrs.field(default=True, validator=is_bool)
    title_zh: str = attrs.field(default="", validator=optional_text)
    status: StepStatus = StepStatus.PENDING
    completion: StepCompletion | None = None
    skip_reason: str = attrs.field(default="", validator=optional_text)
    due_before_start: int | None = None
    """Working days before the scheduled window's start by which the step is due (from its template)."""


class HoldReason(enum.StrEnum):
    """Why work stopped (material shortage, equipment failure, customer absent...)."""

    MATERIAL_SHORTAGE = "material_shortage"
    EQUIPMENT_FAILURE = "equipment_failure"
    CUSTOMER_UNAVAILABLE = "customer_unavailable"
    SAFETY = "safety"
    OTHER = "other"


class HoldStage(enum.StrEnum):
    """How far the exception procedure has got; it must be followed in this order."""

    PAUSED = "paused"
    REPORTED = "reported"
    COORDINATED = "coordinated"
    CUSTOMER_INFORMED = "customer_informed"
    RESOLVED = "resolved"


@attrs.frozen(kw_only=True)
class Hold:
    """One exception on a work order and every step of its handling."""

    reason: HoldReason = attrs.field(converter=AsEnum[HoldReason])
    description: str = attrs.field(validator=non_empty)
    raised_by: ActorRef
    raised_at: datetime = attrs.field(validator=aware)
    stage: HoldStage = HoldStage.PAUSED
    supervisor: ActorRef | None = None
    reported_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    plan: str = attrs.field(default="", validator=optional_text)
    coordinated_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    customer_message: str = attrs.field(default="", validator=optional_text)
    customer_informed_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    resumed_at: datetime | None = attrs.field(default=None, validator=optional_aware)


@attrs.frozen
class SiteSignOff:
    """The site representative's signature on completion (登记签字)."""

    name: str = attrs.field(validator=non_empty_line)
    signed_at: datetime = attrs.field(validator=aware)
    position: str = attrs.field(default="", validator=optional_line)


def _assignee_tuple(value: Iterable[ActorId]) -> tuple[ActorId, ...]:
    return as_tuple("assignees", value)


def _step_tuple(value: Iterable[ChecklistStep]) -> tuple[ChecklistStep, ...]:
    return as_tuple("steps", value, of=ChecklistStep)


def _assignees(_: Any, attribute: attrs.Attribute[Any], value: tuple[ActorId, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, "a work order needs at least one assignee")
    for assignee in value:  # before the set below: a list in the list is unhashable
        check_id(attribute.name, assignee)
    if len(set(value)) != len(value):
        raise ValidationError(attribute.name, f"assignees must be unique, got {describe(list(value))}")


def _steps(_: Any, attribute: attrs.Attribute[Any], value: tuple[ChecklistStep, ...]) -> None:
    counts = Counter(s.key for s in value)
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        raise ValidationError(attribute.name, f"step keys must be unique, repeated: {describe(repeated)}")


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class WorkOrder(SlaTrackedAggregate):
    """Work to be done for an active agreement. Create with :meth:`create`."""

    kind: ClassVar[str] = "WorkOrder"
    id_kind: ClassVar[str] = "work_order"

    id: WorkOrderId = attrs.field(validator=identifier)
    agreement_id: AgreementId = attrs.field(validator=identifier)
    request_id: RequestId = attrs.field(validator=identifier)
    title: str = attrs.field(validator=non_empty)
    assignees: tuple[ActorId, ...] = attrs.field(converter=_assignee_tuple, validator=_assignees)
    window: Schedule = attrs.field(validator=instance_of(Schedule))
    template_key: str = attrs.field(default="", validator=optional_line)
    steps: tuple[ChecklistStep, ...] = attrs.field(converter=_step_tuple, validator=_steps, default=())
    status: WorkOrderStatus = WorkOrderStatus.SCHEDULED
    holds: tuple[Hold, ...] = ()
    sign_off: SiteSignOff | None = None
    cancel_reason: str = attrs.field(default="", validator=optional_text)

    @classmethod
    def create(
        cls,
        *,
        id: WorkOrderId,
        agreement_id: AgreementId,
        request_id: RequestId,
        title: str,
        assignees: Sequence[ActorId],
        window: Schedule,
        template: ChecklistTemplate,
        actor: Actor,
        at: datetime,
    ) -> WorkOrder:
        """Create a work order whose checklist is a fresh copy of ``template``."""
        steps = tuple(
            ChecklistStep(
                key=s.key,
                title=s.title,
                required=s.required,
                title_zh=s.title_zh,
                due_before_start=s.due_before_start,
            )
            for s in template.steps
        )
        order = cls(
            id=id,
            agreement_id=agreement_id,
            request_id=request_id,
            title=title,
            assignees=_assignee_tuple(assignees),
            window=window,
            template_key=template.key,
            steps=steps,
        )
        return started(
            order,
            action="create",
            actor=actor,
            at=at,
            note=f"checklist {template.key}; assigned to {', '.join(order.assignees)}",
            event=ev.WorkOrderCreated(**event_fields(order, at, actor), assignees=order.assignees),
        )

    # --- reading ------------------------------------------------------------

    @property
    def is_terminal(self) -> bool:
        """True once the order is completed or cancelled."""
        return self.status in TERMINAL_STATES

    @property
    def current_hold(self) -> Hold | None:
        """The unresolved exception, if the order is on hold."""
        if self.status is WorkOrderStatus.ON_HOLD:
            return self.holds[-1]
        return None

    @property
    def open_required_steps(self) -> tuple[ChecklistStep, ...]:
        """Required steps not yet done."""
        return tuple(s for s in self.steps if s.required and s.status is not StepStatus.DONE)

    def step(self, key: str) -> ChecklistStep:
        """The step with this key; raise :class:`ValidationError` naming ``step_key`` if absent."""
        for candidate in self.steps:
            if candidate.key == key:
                return candidate
        raise ValidationError(
            "step_key", f"work order {self.id} has no step {describe(key)}; steps: {[s.key for s in self.steps]}"
        )

    @property
    def worked_by(self) -> frozenset[ActorId]:
        """Everyone who recorded work on the order (see :data:`WORK_ACTIONS`), assignee or not."""
        return frozenset(entry.actor.id for entry in self.history if entry.action in WORK_ACTIONS)

    # --- commands -----------------------------------------------------------

    def reassign(self, *, actor: Actor, at: datetime, assignees: Sequence[ActorId], note: str = "") -> WorkOrder:
        """Replace the assignees of an open order."""
        require_status(self, "reassign", OPEN_STATES, at=at)
        new = _assignee_tuple(assignees)
        return record(
            self,
            action="reassign",
            actor=actor,
            at=at,
            note=check_text("note", note, optional=True) or describe_names(new),
            assignees=new,
            events=[ev.WorkOrderReassigned(**event_fields(self, at, actor), assignees=new)],
        )

    def start(self, *, actor: Actor, at: datetime, note: str = "", as_supervisor: bool = False) -> WorkOrder:
        """Begin execution (an assignee, or someone ``as_supervisor``)."""
        supervising = self._require_worker(actor, "start", as_supervisor, at)
        require_status(self, "start", {WorkOrderStatus.SCHEDULED}, at=at)
        return record(
            self,
            action="start",
            actor=actor,
            at=at,
            to=WorkOrderStatus.IN_PROGRESS,
            note=_capacity(note, supervising),
            events=[ev.WorkOrderStarted(**event_fields(self, at, actor))],
        )

    def complete_step(
        self,
        *,
        actor: Actor,
        at: datetime,
        step_key: str,
        note: str = "",
        evidence: Iterable[EvidenceRef] = (),
        measurements: Iterable[Measurement] = (),
        as_supervisor: bool = False,
    ) -> WorkOrder:
        """Record a checklist step as done, with evidence and measurements (an assignee, or ``as_supervisor``).

        A step due before the visit (``due_before_start``: "contact the customer two
        days ahead") may be recorded while the order is still scheduled; the others
        once the work is in progress.
        """
        supervising = self._require_worker(actor, "complete_step", as_supervisor, at)
        allowed = {WorkOrderStatus.IN_PROGRESS}
        if any(s.key == step_key and s.due_before_start is not None for s in self.steps):
            allowed.add(WorkOrderStatus.SCHEDULED)
        require_status(self, "complete_step", allowed, at=at)
        step = self._pending_step(step_key, "complete_step")
        done = attrs.evolve(
            step,
            status=StepStatus.DONE,
            completion=StepCompletion(
                by=actor.ref,
                at=at,
                note=note,
                evidence=as_tuple("evidence", evidence, of=EvidenceRef),
                measurements=as_tuple("measurements", measurements, of=Measurement),
            ),
        )
        return record(
            self,
            action="complete_step",
            actor=actor,
            at=at,
            note=_capacity(f"{step_key}: {note}" if note else step_key, supervising),
            steps=self._replace_step(done),
            events=[ev.StepCompleted(**event_fields(self, at, actor), step_key=step_key)],
        )

    def skip_step(
        self, *, actor: Actor, at: datetime, step_key: str, reason: str, as_supervisor: bool = False
    ) -> WorkOrder:
        """Skip an optional step, with a reason. Required steps cannot be skipped."""
        supervising = self._require_worker(actor, "skip_step", as_supervisor, at)
        require_status(self, "skip_step", {WorkOrderStatus.IN_PROGRESS}, at=at)
        step = self._pending_step(step_key, "skip_step")
        if step.required:
            raise BusinessRuleError("WorkOrder", self.id, f"step {step_key!r} is required and cannot be skipped")
        text = check_text("reason", reason)
        skipped = attrs.evolve(step, status=StepStatus.SKIPPED, skip_reason=text)
        return record(
            self,
            action="skip_step",
            actor=actor,
            at=at,
            note=_capacity(f"{step_key}: {text}", supervising),
            steps=self._replace_step(skipped),
            events=[ev.StepSkipped(**event_fields(self, at, actor), step_key=step_key, reason=text)],
        )

    def hold(
        self, *, actor: Actor, at: datetime, reason: HoldReason | str, description: str, as_supervisor: bool = False
    ) -> WorkOrder:
        """An exception pauses the work (step 1 of the exception procedure)."""
        supervising = self._require_worker(actor, "hold", as_supervisor, at)
        require_status(self, "hold", {WorkOrderStatus.IN_PROGRESS}, at=at)
        new_hold = Hold(
            reason=reason, description=check_text("description", description), raised_by=actor.ref, raised_at=at
        )
        return record(
            self,
            action="hold",
            actor=actor,
            at=at,
            to=WorkOrderStatus.ON_HOLD,
            note=_capacity(f"{new_hold.reason.value}: {new_hold.description}", supervising),
            holds=(*self.holds, new_hold),
            events=[
                ev.WorkOrderHeld(
                    **event_fields(self, at, actor),
                    reason=new_hold.reason.value,
                    description=new_hold.description,
                )
            ],
        )

    def report_hold(
        self, *, actor: Actor, at: datetime, supervisor: Actor, note: str = "", as_supervisor: bool = False
    ) -> WorkOrder:
        """Report the exception to a supervisor (step 2)."""
        supervising = self._require_worker(actor, "report_hold", as_supervisor, at)
        hold = self._hold_at("report_hold", HoldStage.PAUSED, at)
        updated = attrs.evolve(hold, stage=HoldStage.REPORTED, supervisor=supervisor.ref, reported_at=at)
        return record(
            self,
            action="report_hold",
            actor=actor,
            at=at,
            note=_capacity(check_text("note", note, optional=True) or f"reported to {supervisor.name}", supervising),
            holds=(*self.holds[:-1], updated),
            events=[ev.HoldReportedToSupervisor(**event_fields(self, at, actor), supervisor_id=supervisor.id)],
        )

    def coordinate_hold(self, *, actor: Actor, at: datetime, plan: str) -> WorkOrder:
        """The supervisor coordinates resources and records the plan (step 3)."""
        hold = self._hold_at("coordinate_hold", HoldStage.REPORTED, at)
        text = check_text("plan", plan)
        updated = attrs.evolve(hold, stage=HoldStage.COORDINATED, plan=text, coordinated_at=at)
        return record(
            self,
            action="coordinate_hold",
            actor=actor,
            at=at,
            note=text,
            holds=(*self.holds[:-1], updated),
            events=[ev.HoldCoordinated(**event_fields(self, at, actor), plan=text)],
        )

    def inform_customer_of_hold(self, *, actor: Actor, at: datetime, message: str) -> WorkOrder:
        """Tell the customer what happened and what the plan is (step 4)."""
        hold = self._hold_at("inform_customer_of_hold", HoldStage.COORDINATED, at)
        text = check_text("message", message)
        updated = attrs.evolve(hold, stage=HoldStage.CUSTOMER_INFORMED, customer_message=text, customer_informed_at=at)
        return record(
            self,
            action="inform_customer_of_hold",
            actor=actor,
            at=at,
            note=text,
            holds=(*self.holds[:-1], updated),
            events=[ev.CustomerInformedOfHold(**event_fields(self, at, actor))],
        )

    def resume(self, *, actor: Actor, at: datetime, note: str = "", as_supervisor: bool = False) -> WorkOrder:
        """Resume work; only after the customer has been informed."""
        supervising = self._require_worker(actor, "resume", as_supervisor, at)
        hold = self._hold_at("resume", HoldStage.CUSTOMER_INFORMED, at)
        updated = attrs.evolve(hold, stage=HoldStage.RESOLVED, resumed_at=at)
        return record(
            self,
            action="resume",
            actor=actor,
            at=at,
            to=WorkOrderStatus.IN_PROGRESS,
            note=_capacity(note, supervising),
            holds=(*self.holds[:-1], updated),
            events=[ev.WorkOrderResumed(**event_fields(self, at, actor))],
        )

    def complete(
        self, *, actor: Actor, at: datetime, sign_off: SiteSignOff, note: str = "", as_supervisor: bool = False
    ) -> WorkOrder:
        """Finish: every required step done and the site representative has signed."""
        supervising = self._require_worker(actor, "complete", as_supervisor, at)
        require_status(self, "complete", {WorkOrderStatus.IN_PROGRESS}, at=at)
        missing = self.open_required_steps
        if missing:
            raise BusinessRuleError(
                "WorkOrder", self.id, f"cannot complete: required steps not done: {[s.key for s in missing]}"
            )
        if not isinstance(sign_off, SiteSignOff):
            raise ValidationError("sign_off", "completion needs the site representative's SiteSignOff")
        started_at = next(entry.at for entry in self.history if entry.action == "start")
        if not started_at <= sign_off.signed_at <= at:
            raise ValidationError(
                "sign_off.signed_at",
                f"must lie between the start of work ({started_at.isoformat()}) and completion ({at.isoformat()}), "
                f"got {sign_off.signed_at.isoformat()}",
            )
        return record(
            self,
            action="complete",
            actor=actor,
            at=at,
            to=WorkOrderStatus.COMPLETED,
            note=_capacity(check_text("note", note, optional=True) or f"signed off by {sign_off.name}", supervising),
            sign_off=sign_off,
            events=[ev.WorkOrderCompleted(**event_fields(self, at, actor), signed_by=sign_off.name)],
        )

    def cancel(self, *, actor: Actor, at: datetime, reason: str) -> WorkOrder:
        """Cancel an open order, with a reason."""
        require_status(self, "cancel", OPEN_STATES, at=at)
        text = check_text("reason", reason)
        return record(
            self,
            action="cancel",
            actor=actor,
            at=at,
            to=WorkOrderStatus.CANCELLED,
            note=text,
            cancel_reason=text,
            events=[ev.WorkOrderCancelled(**event_fields(self, at, actor), reason=text)],
        )

    # --- rules --------------------------------------------------------------

    def _require_worker(self, actor: Actor, action: str, as_supervisor: bool, at: datetime) -> bool:
        """True if ``actor`` works on the order as a supervisor, False as an assignee; anyone else is refused.

        ``at`` is checked first, as every command checks it before anything else.
        """
        check_time(self, at)
        if not isinstance(actor, Actor):
            raise ValidationError("actor", f"must be an Actor, got {type(actor).__name__}")
        if actor.id in self.assignees:
            return False
        if as_supervisor is True:
            return True
        raise PermissionDeniedError(
            actor.id,
            f"{action} on work order {self.id}",
            f"only its assignees ({', '.join(self.assignees)}) work on it, or a supervisor acting as such",
        )

    def _pending_step(self, key: str, action: str) -> ChecklistStep:
        step = self.step(key)
        if step.status is not StepStatus.PENDING:
            raise BusinessRuleError("WorkOrder", self.id, f"{action}: step {key!r} is already {step.status.value}")
        return step

    def _replace_step(self, step: ChecklistStep) -> tuple[ChecklistStep, ...]:
        return tuple(step if s.key == step.key else s for s in self.steps)

    def _hold_at(self, action: str, stage: HoldStage, at: datetime) -> Hold:
        require_status(self, action, {WorkOrderStatus.ON_HOLD}, at=at)
        hold = self.holds[-1]
        if hold.stage is not stage:
            raise BusinessRuleError(
                "WorkOrder",
                self.id,
                f"{action} needs the exception at stage {stage.value!r}, but it is at {hold.stage.value!r} "
                "(order: paused → reported → coordinated → customer_informed → resumed)",
            )
        return hold


def _capacity(note: str, supervising: bool) -> str:
    if not supervising:
        return note
    return f"{note} ({AS_SUPERVISOR})" if note else AS_SUPERVISOR


__all__ = [
    "AS_SUPERVISOR",
    "WORK_ACTIONS",
    "ChecklistStep",
    "Hold",
    "HoldReason",
    "HoldStage",
    "Measurement",
    "SiteSignOff",
    "StepCompletion",
    "StepStatus",
    "WorkOrder",
    "WorkOrderStatus",
]
