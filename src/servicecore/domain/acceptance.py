"""Acceptance: inspection rounds against the agreement's criteria, with rectification.

Service acceptance (服务验收): the customer or a designated third party inspects; when every
required criterion passes, the acceptance report is signed; when any fails, a
rectification order names the failed points, a responsible party and a
deadline, and after rectification the next, numbered round is inspected.

awaiting_inspection → passed → accepted
awaiting_inspection → failed → rectification_ordered → rectified → passed | failed → …

The inspector is independent of the work: nobody who recorded work on an
inspected work order (:func:`require_independent_inspector`), and the inspector
never reports the rectification done. Rectification is reported by an assignee
of the inspected work, or by someone with supervisor authority, recorded as such.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
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
from servicecore.domain.agreement import AcceptanceCriterion, criterion_tuple
from servicecore.domain.errors import PermissionDeniedError, SeparationOfDutiesError, ValidationError
from servicecore.domain.fields import AsEnum
from servicecore.domain.values import (
    AcceptanceId,
    Actor,
    ActorId,
    ActorRef,
    AgreementId,
    EvidenceRef,
    RequestId,
    WorkOrderId,
    as_tuple,
    aware,
    check_aware,
    check_text,
    describe,
    evidence_tuple,
    identifier,
    instance_of,
    is_bool,
    non_empty_line,
    optional_aware,
    optional_line,
    optional_text,
)
from servicecore.domain.work_order import AS_SUPERVISOR, WorkOrder


class InspectorKind(enum.StrEnum):
    """Who inspects: the customer, or a third party they designated."""

    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"


@attrs.frozen
class Inspector:
    """The person who inspects, and on whose behalf."""

    person: ActorRef = attrs.field(validator=instance_of(ActorRef))
    kind: InspectorKind = attrs.field(converter=AsEnum[InspectorKind])
    organisation: str = attrs.field(default="", validator=optional_line)


@attrs.frozen(kw_only=True)
class CriterionResult:
    """Pass or fail for one criterion in one round, with a note and evidence."""

    criterion_code: str = attrs.field(validator=non_empty_line)
    passed: bool = attrs.field(validator=is_bool)
    note: str = attrs.field(default="", validator=optional_text)
    evidence: tuple[EvidenceRef, ...] = attrs.field(default=(), converter=evidence_tuple)


@attrs.frozen(kw_only=True)
class InspectionRound:
    """One numbered inspection round and its results."""

    number: int
    inspected_by: ActorRef
    at: datetime = attrs.field(validator=aware)
    results: tuple[CriterionResult, ...]
    passed: bool

    @property
    def failed_criteria(self) -> tuple[str, ...]:
        """Codes of the criteria that failed in this round (required or not)."""
        return tuple(r.criterion_code for r in self.results if not r.passed)


@attrs.frozen(kw_only=True)
class RectificationOrder:
    """What must be put right after a failed round, by whom and by when."""

    round: int
    failed_criteria: tuple[str, ...]
    responsible_party: str = attrs.field(validator=non_empty_line)
    deadline: datetime = attrs.field(validator=aware)
    ordered_by: ActorRef
    ordered_at: datetime = attrs.field(validator=aware)
    instructions: str = attrs.field(default="", validator=optional_text)
    rectified_by: ActorRef | None = None
    rectified_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    rectification_note: str = attrs.field(default="", validator=optional_text)

    @property
    def late(self) -> bool:
        """True if rectification was reported after the deadline."""
        return self.rectified_at is not None and self.rectified_at > self.deadline


@attrs.frozen(kw_only=True)
class AcceptanceReport:
    """The signed acceptance report (验收报告)."""

    round: int
    signed_by: str = attrs.field(validator=non_empty_line)
    signed_at: datetime = attrs.field(validator=aware)
    summary: str = attrs.field(default="", validator=optional_text)


class AcceptanceStatus(enum.StrEnum):
    """States of an :class:`Acceptance`."""

    AWAITING_INSPECTION = "awaiting_inspection"
    PASSED = "passed"
    FAILED = "failed"
    RECTIFICATION_ORDERED = "rectification_ordered"
    RECTIFIED = "rectified"
    ACCEPTED = "accepted"


TERMINAL_STATES = frozenset({AcceptanceStatus.ACCEPTED})


def _criteria(_: Any, attribute: attrs.Attribute[Any], value: tuple[AcceptanceCriterion, ...]) -> None:
    if not any(c.required for c in value):
        raise ValidationError(attribute.name, "acceptance needs at least one required criterion")
    codes = [c.code for c in value]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise ValidationError(attribute.name, f"criterion codes must be unique, repeated: {repeated}")


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class Acceptance(SlaTrackedAggregate):
    """Acceptance of the service delivered under an agreement. Create with :meth:`open`."""

    kind: ClassVar[str] = "Acceptance"
    id_kind: ClassVar[str] = "acceptance"

    id: AcceptanceId = attrs.field(validator=identifier)
    agreement_id: AgreementId = attrs.field(validator=identifier)
    request_id: RequestId = attrs.field(validator=identifier)
    work_order_ids: tuple[WorkOrderId, ...] = ()
    criteria: tuple[AcceptanceCriterion, ...] = attrs.field(converter=criterion_tuple, validator=_criteria)
    inspector: Inspector = attrs.field(validator=instance_of(Inspector))
    status: AcceptanceStatus = AcceptanceStatus.AWAITING_INSPECTION
    rounds: tuple[InspectionRound, ...] = ()
    rectifications: tuple[RectificationOrder, ...] = ()
    report: AcceptanceReport | None = None

    @classmethod
    def open(
        cls,
        *,
        id: AcceptanceId,
        agreement_id: AgreementId,
        request_id: RequestId,
        criteria: Sequence[AcceptanceCriterion],
        inspector: Inspector,
        actor: Actor,
        at: datetime,
        work_order_ids: Sequence[WorkOrderId] = (),
        work_orders: Iterable[WorkOrder] = (),
    ) -> Acceptance:
        """Open acceptance with a snapshot of the agreement's criteria.

        ``work_orders`` are the inspected work orders as loaded: their ids are
        recorded after those of ``work_order_ids``, and the inspector must be
        independent of each (:func:`require_independent_inspector`).
        """
        inspected = as_tuple("work_orders", work_orders, of=WorkOrder)
        named = as_tuple("work_order_ids", work_order_ids)
        acceptance = cls(
            id=id,
            agreement_id=agreement_id,
            request_id=request_id,
            work_order_ids=(*named, *(order.id for order in inspected if order.id not in named)),
            criteria=criterion_tuple(criteria),
            inspector=inspector,
        )
        require_independent_inspector(acceptance.inspector, inspected)
        return started(
            acceptance,
            action="open",
            actor=actor,
            at=at,
            note=f"inspector {inspector.person.name} ({inspector.kind.value})",
            event=ev.AcceptanceOpened(**event_fields(acceptance, at, actor), agreement_id=agreement_id),
        )

    # --- reading ------------------------------------------------------------

    @property
    def round_count(self) -> int:
        """How many inspection rounds have been recorded."""
        return len(self.rounds)

    @property
    def passed_first_time(self) -> bool:
        """True if accepted on the first round (feeds the first-pass KPI)."""
        return self.status is AcceptanceStatus.ACCEPTED and self.round_count == 1

    @property
    def is_terminal(self) -> bool:
        """True once accepted."""
        return self.status in TERMINAL_STATES

    @property
    def open_rectification(self) -> RectificationOrder | None:
        """The rectification order being worked on, if any."""
        if self.status in {AcceptanceStatus.RECTIFICATION_ORDERED, AcceptanceStatus.RECTIFIED}:
            return self.rectifications[-1]
        return None

    # --- commands -----------------------------------------------------------

    def record_inspection(
        self, *, actor: Actor, at: datetime, results: Iterable[CriterionResult], note: str = ""
    ) -> Acceptance:
        """Record round n+1. Every required criterion needs a result; unknown codes are refused."""
        require_status(
            self, "record_inspection", {AcceptanceStatus.AWAITING_INSPECTION, AcceptanceStatus.RECTIFIED}, at=at
        )
        self._require_inspector(actor, "record_inspection")
        checked = self._check_results(as_tuple("results", results))
        by_code = {r.criterion_code: r for r in checked}
        passed = all(by_code[c.code].passed for c in self.criteria if c.required)
        inspection = InspectionRound(
            number=self.round_count + 1, inspected_by=actor.ref, at=at, results=checked, passed=passed
        )
        outcome = "passed" if passed else f"failed: {', '.join(inspection.failed_criteria)}"
        return record(
            self,
            action="record_inspection",
            actor=actor,
            at=at,
            to=AcceptanceStatus.PASSED if passed else AcceptanceStatus.FAILED,
            note=f"round {inspection.number} {outcome}" + (f"; {note}" if note else ""),
            rounds=(*self.rounds, inspection),
            events=[ev.InspectionRecorded(**event_fields(self, at, actor), round=inspection.number, passed=passed)],
        )

    def sign_report(self, *, actor: Actor, at: datetime, signed_by: str, summary: str = "") -> Acceptance:
        """Sign the acceptance report after a passed round; acceptance is final."""
        require_status(self, "sign_report", {AcceptanceStatus.PASSED}, at=at)
        self._require_inspector(actor, "sign_report")
        report = AcceptanceReport(round=self.round_count, signed_by=signed_by, signed_at=at, summary=summary)
        return record(
            self,
            action="sign_report",
            actor=actor,
            at=at,
            to=AcceptanceStatus.ACCEPTED,
            note=f"signed by {report.signed_by}",
            report=report,
            events=[
                ev.AcceptanceSigned(
                    **event_fields(self, at, actor),
                    round=report.round,
                    signed_by=report.signed_by,
                )
            ],
        )

    def order_rectification(
        self, *, actor: Actor, at: datetime, responsible_party: str, deadline: datetime, instructions: str = ""
    ) -> Acceptance:
        """After a failed round: the failed points, who must fix them, and by when."""
        require_status(self, "order_rectification", {AcceptanceStatus.FAILED}, at=at)
        check_aware("deadline", deadline)
        if deadline <= at:
            raise ValidationError(
                "deadline", f"must be after the order time {at.isoformat()}, got {deadline.isoformat()}"
            )
        last = self.rounds[-1]
        order = RectificationOrder(
            round=last.number,
            failed_criteria=last.failed_criteria,
            responsible_party=responsible_party,
            deadline=deadline,
            ordered_by=actor.ref,
            ordered_at=at,
            instructions=instructions,
        )
        return record(
            self,
            action="order_rectification",
            actor=actor,
            at=at,
            to=AcceptanceStatus.RECTIFICATION_ORDERED,
            note=f"{order.responsible_party} to fix {', '.join(order.failed_criteria)} by {deadline.isoformat()}",
            rectifications=(*self.rectifications, order),
            events=[
                ev.RectificationOrdered(
                    **event_fields(self, at, actor),
                    round=order.round,
                    responsible_party=order.responsible_party,
                    deadline=deadline,
                    failed_criteria=order.failed_criteria,
                )
            ],
        )

    def mark_rectified(
        self, *, actor: Actor, at: datetime, note: str, workers: Collection[ActorId], as_supervisor: bool = False
    ) -> Acceptance:
        """The failed points are reported fixed; re-inspection may follow.

        ``workers`` are the assignees of the inspected work orders: one of them
        reports, or someone ``as_supervisor`` (recorded as such); never the inspector.
        """
        check_time(self, at)  # time first, as in every command
        if not isinstance(actor, Actor):
            raise ValidationError("actor", f"must be an Actor, got {type(actor).__name__}")
        command = f"mark_rectified on acceptance {self.id}"
        if actor.id == self.inspector.person.id:
            raise SeparationOfDutiesError(actor.id, command, "the inspector may not report the rectification done")
        supervising = actor.id not in workers
        if supervising and as_supervisor is not True:
            raise PermissionDeniedError(
                actor.id,
                command,
                f"only an assignee of the inspected work ({', '.join(sorted(workers))}) reports it done, "
                "or a supervisor acting as such",
            )
        require_status(self, "mark_rectified", {AcceptanceStatus.RECTIFICATION_ORDERED}, at=at)
        text = check_text("note", note)
        order = attrs.evolve(self.rectifications[-1], rectified_by=actor.ref, rectified_at=at, rectification_note=text)
        return record(
            self,
            action="mark_rectified",
            actor=actor,
            at=at,
            to=AcceptanceStatus.RECTIFIED,
            note=text
            + (" (after the deadline)" if order.late else "")
            + (f" ({AS_SUPERVISOR})" if supervising else ""),
            rectifications=(*self.rectifications[:-1], order),
            events=[ev.RectificationCompleted(**event_fields(self, at, actor), round=order.round)],
        )

    # --- rules --------------------------------------------------------------

    def _require_inspector(self, actor: Actor, action: str) -> None:
        if actor.id != self.inspector.person.id:
            raise PermissionDeniedError(
                actor.id,
                f"{action} on acceptance {self.id}",
                f"only the designated inspector {self.inspector.person.name} ({self.inspector.person.id}) may",
            )

    def _check_results(self, results: tuple[CriterionResult, ...]) -> tuple[CriterionResult, ...]:
        known = {c.code for c in self.criteria}
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, CriterionResult):
                raise ValidationError("results", f"each result must be a CriterionResult, got {type(result).__name__}")
            if result.criterion_code not in known:
                raise ValidationError(
                    "results",
                    f"unknown criterion {describe(result.criterion_code)}; criteria: {describe(sorted(known))}",
                )
            if result.criterion_code in seen:
                raise ValidationError("results", f"criterion {describe(result.criterion_code)} appears twice")
            seen.add(result.criterion_code)
        missing = [c.code for c in self.criteria if c.required and c.code not in seen]
        if missing:
            raise ValidationError("results", f"required criteria not inspected: {missing}")
        return results


def require_independent_inspector(inspector: Inspector, work_orders: Iterable[WorkOrder]) -> None:
    """Refuse an inspector who is assigned to, or recorded work on, any of ``work_orders``.

    Raises :class:`SeparationOfDutiesError` naming the inspector and the work order.
    """
    person = inspector.person
    for order in work_orders:
        if person.id in order.assignees or person.id in order.worked_by:
            raise SeparationOfDutiesError(
                person.id,
                "open_acceptance",
                f"an acceptance inspector may not be an assignee of, or have recorded work on, "
                f"the work inspected ({order.id})",
            )


__all__ = [
    "Acceptance",
    "AcceptanceReport",
    "AcceptanceStatus",
    "CriterionResult",
    "InspectionRound",
    "Inspector",
    "InspectorKind",
    "RectificationOrder",
    "require_independent_inspector",
]
