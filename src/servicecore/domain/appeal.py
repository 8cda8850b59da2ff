"""Appeal: a sanctioned staff member contests a violation decision (申诉机制: the right of appeal).

filed → under_review (a panel is assigned) → upheld (the appellant's sanctions
revised or revoked) or rejected (reasons recorded, the decision maintained) →
closed, once the appellant has been notified.

Filing checks the violation (:meth:`Violation.check_appeal`): only someone the
decision sanctions, before the appeal deadline, once, while no other appeal is
open. The caller then records the appeal on the violation
(:meth:`Violation.register_appeal`) in the same transaction, and hands the
panel's outcome back with :meth:`Violation.conclude_appeal` and
:attr:`Appeal.conclusion`.

Separation of duties: no panel member investigated the case, decided it, or is
the appellant; only panel members uphold or reject.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import Aggregate, event_fields, record, require_status, shared_fields_last, started
from servicecore.domain.errors import BusinessRuleError, PermissionDeniedError, SeparationOfDutiesError, ValidationError
from servicecore.domain.values import (
    Actor,
    ActorRef,
    AppealId,
    ViolationId,
    aware,
    check_aware,
    check_text,
    describe_names,
    identifier,
    non_empty,
    optional_aware,
    optional_text,
)
from servicecore.domain.violation import (
    AppealConclusion,
    Compensation,
    Sanction,
    Violation,
    compensation_tuple,
    people,
    same_measures,
    sanction_tuple,
)


class AppealStatus(enum.StrEnum):
    """States of an :class:`Appeal`."""

    FILED = "filed"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    REJECTED = "rejected"
    CLOSED = "closed"


TERMINAL_STATES = frozenset({AppealStatus.CLOSED})


@attrs.frozen(kw_only=True)
class AppealOutcome:
    """What the panel decided: upheld (with the appellant's revised measures) or rejected, and why."""

    upheld: bool
    reasons: str = attrs.field(validator=non_empty)
    decided_by: ActorRef
    decided_at: datetime = attrs.field(validator=aware)
    sanctions: tuple[Sanction, ...] = attrs.field(default=(), converter=sanction_tuple)
    compensations: tuple[Compensation, ...] = attrs.field(default=(), converter=compensation_tuple)

    @property
    def revoked(self) -> bool:
        """True for an upheld appeal that leaves the appellant no sanction and no compensation."""
        return self.upheld and not self.sanctions and not self.compensations


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class Appeal(Aggregate):
    """An appeal against one decision of a violation. Create it with :meth:`file`."""

    kind: ClassVar[str] = "Appeal"
    id_kind: ClassVar[str] = "appeal"

    id: AppealId = attrs.field(validator=identifier)
    violation_id: ViolationId = attrs.field(validator=identifier)
    decision_number: int
    appellant: ActorRef
    grounds: str = attrs.field(validator=non_empty)
    filed_at: datetime = attrs.field(validator=aware)
    appeal_deadline: datetime = attrs.field(validator=aware)
    contested_sanctions: tuple[Sanction, ...] = attrs.field(default=(), converter=sanction_tuple)
    """The appellant's sanctions in the contested decision."""
    contested_compensations: tuple[Compensation, ...] = attrs.field(default=(), converter=compensation_tuple)
    """The appellant's compensations in the contested decision."""
    original_investigators: tuple[ActorRef, ...] = ()
    original_deciders: tuple[ActorRef, ...] = ()
    status: AppealStatus = AppealStatus.FILED
    panel: tuple[ActorRef, ...] = ()
    outcome: AppealOutcome | None = None
    notified_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    notification: str = attrs.field(default="", validator=optional_text)
    """What the appellant was told when the appeal closed."""

    @classmethod
    def file(cls, *, id: AppealId, violation: Violation, appellant: Actor, at: datetime, grounds: str) -> Appeal:
        """File an appeal against the violation's decision in force.

        Raises :class:`PermissionDeniedError` if the decision does not sanction
        ``appellant``, :class:`BusinessRuleError` if the deadline has passed
        (the message names it), the appellant appealed before, or another appeal
        is open. Record it on the violation with :meth:`Violation.register_appeal`.
        """
        check_aware("at", at)
        if not isinstance(violation, Violation):
            raise ValidationError("violation", f"must be a Violation, got {type(violation).__name__}")
        decision = violation.check_appeal(appellant, at)
        sanctions, compensations = decision.measures_for(appellant.id)
        appeal = cls(
            id=id,
            violation_id=violation.id,
            decision_number=decision.number,
            appellant=appellant.ref,
            grounds=check_text("grounds", grounds),
            filed_at=at,
            appeal_deadline=decision.appeal_deadline,
            contested_sanctions=sanctions,
            contested_compensations=compensations,
            original_investigators=violation.investigators,
            original_deciders=tuple({d.decided_by.id: d.decided_by for d in violation.decisions}.values()),
        )
        return started(
            appeal,
            action="file",
            actor=appellant,
            at=at,
            note=f"against decision {decision.number} of violation {violation.id}",
            event=ev.AppealFiled(
                **event_fields(appeal, at, appellant),
                violation_id=violation.id,
                decision_number=decision.number,
                appellant_id=appellant.id,
            ),
        )

    # --- reading ------------------------------------------------------------

    @property
    def is_terminal(self) -> bool:
        """True once closed."""
        return self.status in TERMINAL_STATES

    @property
    def conclusion(self) -> AppealConclusion:
        """The outcome as :meth:`Violation.conclude_appeal` takes it; raises if the panel has not decided."""
        outcome = self.outcome
        if outcome is None:
            raise BusinessRuleError("Appeal", self.id, f"is {self.status.value!r}; the panel has not decided yet")
        return AppealConclusion(
            appeal_id=self.id,
            appellant=self.appellant,
            decision_number=self.decision_number,
            upheld=outcome.upheld,
            reasons=outcome.reasons,
            decided_by=outcome.decided_by,
            sanctions=outcome.sanctions,
            compensations=outcome.compensations,
        )

    # --- commands -----------------------------------------------------------

    def start_review(self, *, actor: Actor, at: datetime, panel: Iterable[Actor | ActorRef], note: str = "") -> Appeal:
        """Assign the panel and begin the review. No member investigated or decided the case or is the appellant."""
        action = "start_review"
        require_status(self, action, {AppealStatus.FILED}, at=at)
        if actor.id == self.appellant.id:
            raise SeparationOfDutiesError(
                actor.id, f"{action} appeal {self.id}", "the appellant may not convene the panel on their own appeal"
            )
        members = people("panel", panel)
        for member in members:
            self._require_independent(member, action)
        ids = tuple(m.id for m in members)
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=AppealStatus.UNDER_REVIEW,
            note=check_text("note", note, optional=True) or f"panel: {', '.join(m.name for m in members)}",
            panel=members,
            events=[ev.AppealReviewStarted(**event_fields(self, at, actor), panel_ids=ids)],
        )

    def uphold(
        self,
        *,
        actor: Actor,
        at: datetime,
        reasons: str,
        sanctions: Iterable[Sanction] = (),
        compensations: Iterable[Compensation] = (),
    ) -> Appeal:
        """Uphold the appeal: ``sanctions`` and ``compensations`` replace the appellant's (both empty: revoke).

        They may only concern the appellant, and must differ from the contested ones
        (to keep them, :meth:`reject` the appeal).
        """
        action = "uphold"
        require_status(self, action, {AppealStatus.UNDER_REVIEW}, at=at)
        self._require_panel_member(actor, action)
        revised = sanction_tuple(sanctions), compensation_tuple(compensations)
        persons = [("sanctions", i, s.person) for i, s in enumerate(revised[0])]
        persons += [("compensations", i, c.person) for i, c in enumerate(revised[1])]
        for field, index, person in persons:
            if person.id != self.appellant.id:
                raise ValidationError(
                    f"{field}[{index}]",
                    f"an appeal revises only the appellant's measures; {person.name} is not the appellant",
                )
        if same_measures(revised, (self.contested_sanctions, self.contested_compensations)):
            raise BusinessRuleError(
                "Appeal",
                self.id,
                "an upheld appeal must revise or revoke the contested sanctions; to maintain them, reject the appeal",
            )
        outcome = AppealOutcome(
            upheld=True,
            reasons=check_text("reasons", reasons),
            decided_by=actor.ref,
            decided_at=at,
            sanctions=revised[0],
            compensations=revised[1],
        )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=AppealStatus.UPHELD,
            note=outcome.reasons,
            outcome=outcome,
            events=[
                ev.AppealUpheld(
                    **event_fields(self, at, actor),
                    violation_id=self.violation_id,
                    revoked=outcome.revoked,
                )
            ],
        )

    def reject(self, *, actor: Actor, at: datetime, reasons: str) -> Appeal:
        """Reject the appeal with reasons; the decision is maintained."""
        action = "reject"
        require_status(self, action, {AppealStatus.UNDER_REVIEW}, at=at)
        self._require_panel_member(actor, action)
        outcome = AppealOutcome(
            upheld=False, reasons=check_text("reasons", reasons), decided_by=actor.ref, decided_at=at
        )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=AppealStatus.REJECTED,
            note=outcome.reasons,
            outcome=outcome,
            events=[ev.AppealRejected(**event_fields(self, at, actor), violation_id=self.violation_id)],
        )

    def close(self, *, actor: Actor, at: datetime, notification: str) -> Appeal:
        """Record that the appellant was notified of the outcome (``notification``: what they were told)."""
        action = "close"
        require_status(self, action, {AppealStatus.UPHELD, AppealStatus.REJECTED}, at=at)
        text = check_text("notification", notification)
        upheld = self.status is AppealStatus.UPHELD
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=AppealStatus.CLOSED,
            note=f"{self.appellant.name} notified: {text}",
            notified_at=at,
            notification=text,
            events=[
                ev.AppealClosed(
                    **event_fields(self, at, actor),
                    appellant_id=self.appellant.id,
                    upheld=upheld,
                )
            ],
        )

    # --- rules --------------------------------------------------------------

    def _require_independent(self, member: ActorRef, action: str) -> None:
        if member.id == self.appellant.id:
            rule = "the appellant may not sit on the panel of their own appeal"
        elif member.id in {i.id for i in self.original_investigators}:
            rule = f"{member.name} investigated violation {self.violation_id} and may not sit on the appeal panel"
        elif member.id in {d.id for d in self.original_deciders}:
            rule = f"{member.name} decided violation {self.violation_id} and may not sit on the appeal panel"
        else:
            return
        raise SeparationOfDutiesError(member.id, f"{action} appeal {self.id}", rule)

    def _require_panel_member(self, actor: Actor, action: str) -> None:
        if actor.id not in {m.id for m in self.panel}:
            names = describe_names(f"{m.name} ({m.id})" for m in self.panel)
            raise PermissionDeniedError(
                actor.id, f"{action} appeal {self.id}", f"only a member of the appeal panel may; panel: {names}"
            )


__all__ = ["Appeal", "AppealOutcome", "AppealStatus"]
