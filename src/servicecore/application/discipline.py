"""Facade commands for complaints, staff violations and appeals (投诉处理, 服务违规处理, 申诉机制).

Linked cases change together, in one transaction: raising a violation from a
complaint links both ways; filing an appeal registers it on the violation;
upholding or rejecting it concludes the appeal on the violation, which keeps
the original decision in its history. :class:`DisciplineCommands` is mixed into
:class:`~servicecore.ServiceDesk`; use it through the desk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from servicecore.application.core import DeskCore, Transaction, command, query
from servicecore.documents import AppealDecisionLetter, ComplaintReply, PublicationNotice, ViolationDecisionLetter
from servicecore.domain.acceptance import Acceptance
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import (
    Complaint,
    ComplaintCategory,
    ComplaintOutcome,
    ComplaintSeverity,
    ComplaintSubject,
    Remedy,
)
from servicecore.domain.errors import BusinessRuleError, NotFoundError, PermissionDeniedError, ValidationError
from servicecore.domain.service_request import Channel, ServiceRequest
from servicecore.domain.values import (
    Actor,
    ActorRef,
    AppealId,
    ComplaintId,
    Customer,
    EvidenceRef,
    Money,
    ViolationId,
    as_tuple,
)
from servicecore.domain.violation import (
    Compensation,
    EvidenceKind,
    Finding,
    Sanction,
    Violation,
    ViolationCategory,
    ViolationSource,
    ViolationSourceKind,
)
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.rendering import DocumentRenderer, RenderedDocument
from servicecore.ports.storage import UnitOfWork
from servicecore.sla.clocks import initial_due
from servicecore.sla.policy import Target

DEFAULT_APPEAL_WINDOW = 15
"""Calendar days a sanctioned staff member has to appeal, when the decider sets no deadline."""
DEFAULT_COMPLAINT_SILENCE = timedelta(days=7)
"""How long after the reply a resolved complaint may be closed without the customer's confirmation."""


def _check_reporter(actor: Actor, source: ViolationSource, *, as_customer: bool) -> None:
    """A report is filed in the reporter's own name (see :meth:`DisciplineCommands.report_violation`)."""
    reporter = source.reported_by
    if as_customer and source.kind is not ViolationSourceKind.CUSTOMER_REPORT:
        raise PermissionDeniedError(
            actor.id, "report_violation", f"a customer files only customer reports, not a {source.kind.value} source"
        )
    own_name = source.kind is ViolationSourceKind.STAFF_REPORT or as_customer
    if own_name and reporter is not None and reporter.id != actor.id:
        raise PermissionDeniedError(
            actor.id,
            "report_violation",
            f"a {source.kind.value} is filed in the reporter's own name, not in {reporter.id}'s",
        )


class DisciplineCommands(DeskCore):
    """Complaint, violation and appeal commands of :class:`~servicecore.ServiceDesk`."""

    _renderer: DocumentRenderer

    # --- complaints ---------------------------------------------------------

    @command
    def receive_complaint(
        self,
        *,
        actor: Actor,
        complainant: Customer,
        subject: ComplaintSubject,
        channel: Channel | str,
        category: ComplaintCategory | str,
        severity: ComplaintSeverity | str,
        description: str,
        disputed_amount: Money | None = None,
    ) -> Complaint:
        """Record a complaint (投诉受理).

        Whoever worked on the subject work order or the request's work orders (their
        assignees, and anyone who recorded work on them, a supervisor included) is
        recorded so they never handle, rate or close this complaint.
        A subject request must belong to the complainant. ``disputed_amount`` is
        the charge the customer contests, if the complaint is about money.
        """
        with self._transaction() as tx:
            orders: list[WorkOrder] = []
            if subject.request_id is not None:
                request = tx.get(tx.uow.requests, subject.request_id)
                if request.customer.id != complainant.id:
                    raise BusinessRuleError(
                        "ServiceRequest", request.id, f"does not belong to the complainant {complainant.id}"
                    )
                orders.extend(tx.get(tx.uow.work_orders, o) for o in request.work_order_ids)
            if subject.work_order_id is not None:
                order = tx.get(tx.uow.work_orders, subject.work_order_id)
                owner = tx.get(tx.uow.requests, order.request_id)
                if owner.customer.id != complainant.id or subject.request_id not in (None, order.request_id):
                    raise BusinessRuleError(
                        "WorkOrder", order.id, f"is not work on a request of the complainant {complainant.id}"
                    )
                orders.append(order)
            complaint = Complaint.receive(
                id=ComplaintId(self._new_id("complaint")),
                complainant=complainant,
                subject=subject,
                channel=channel,
                category=category,
                severity=severity,
                description=description,
                actor=actor,
                at=tx.now,
                disputed_amount=disputed_amount,
                work_orders=orders,
            )
            return tx.add(tx.uow.complaints, complaint)

    @command
    def acknowledge_complaint(self, complaint_id: str, *, actor: Actor, message: str) -> Complaint:
        """Tell the complainant the complaint is being handled."""
        return self._change(Complaint, complaint_id, lambda c, at: c.acknowledge(actor=actor, at=at, message=message))

    @command
    def start_complaint_investigation(
        self, complaint_id: str, *, actor: Actor, investigator: Actor | None = None, note: str = ""
    ) -> Complaint:
        """Start investigating; ``investigator`` defaults to ``actor``."""
        return self._change(
            Complaint,
            complaint_id,
            lambda c, at: c.start_investigation(actor=actor, at=at, investigator=investigator, note=note),
        )

    @command
    def add_complaint_evidence(
        self,
        complaint_id: str,
        *,
        actor: Actor,
        kind: EvidenceKind | str,
        description: str,
        reference: EvidenceRef | None = None,
    ) -> Complaint:
        """The investigator records an evidence item (a statement, a photo, a record); who and when are kept."""
        return self._change(
            Complaint,
            complaint_id,
            lambda c, at: c.add_evidence(actor=actor, at=at, kind=kind, description=description, reference=reference),
        )

    @command
    def resolve_complaint(
        self,
        complaint_id: str,
        *,
        actor: Actor,
        summary: str,
        reply: str,
        remedies: Iterable[Remedy] = (),
        outcome: ComplaintOutcome | str | None = None,
    ) -> Complaint:
        """Resolve with a summary, the reply to the customer and the remedies offered.

        ``outcome`` (default: ``remedied`` with remedies, ``not_upheld`` without)
        may be ``charge_maintained``: the disputed charge stands, explained in the reply.
        A redo remedy names an existing work order on a request of the complainant;
        any other is refused with a :class:`BusinessRuleError` naming it.
        """
        offered = as_tuple("remedies", remedies, of=Remedy)
        with self._transaction() as tx:
            complaint = tx.get(tx.uow.complaints, complaint_id)
            for remedy in offered:
                if remedy.work_order_id is not None:
                    self._check_redo(tx, complaint, remedy.work_order_id)
            resolved = complaint.resolve(
                actor=actor, at=tx.now, summary=summary, reply=reply, remedies=offered, outcome=outcome
            )
            return tx.update(tx.uow.complaints, resolved)

    @staticmethod
    def _check_redo(tx: Transaction, complaint: Complaint, work_order_id: str) -> None:
        refused = f"a redo remedy must name a work order for the complainant {complaint.complainant.id}"
        try:
            order = tx.get(tx.uow.work_orders, work_order_id)
        except NotFoundError:
            raise BusinessRuleError("Complaint", complaint.id, f"{refused}; {work_order_id} does not exist") from None
        if tx.get(tx.uow.requests, order.request_id).customer.id != complaint.complainant.id:
            raise BusinessRuleError("Complaint", complaint.id, f"{refused}; {order.id} is another customer's work")

    @command
    def confirm_complaint_resolution(self, complaint_id: str, *, actor: Actor, note: str = "") -> Complaint:
        """The customer accepts the resolution: the complaint closes."""
        return self._change(Complaint, complaint_id, lambda c, at: c.confirm_resolution(actor=actor, at=at, note=note))

    @command
    def close_complaint_after_silence(
        self, complaint_id: str, *, actor: Actor, silence: timedelta = DEFAULT_COMPLAINT_SILENCE, note: str = ""
    ) -> Complaint:
        """Close a resolved complaint the customer has not answered for ``silence`` since the reply."""
        return self._change(
            Complaint,
            complaint_id,
            lambda c, at: c.close_after_silence(actor=actor, at=at, silence=silence, note=note),
        )

    @command
    def reopen_complaint(self, complaint_id: str, *, actor: Actor, reason: str) -> Complaint:
        """The customer is not satisfied: investigation starts again (the reopen count grows)."""
        return self._change(Complaint, complaint_id, lambda c, at: c.reopen(actor=actor, at=at, reason=reason))

    @command
    def withdraw_complaint(self, complaint_id: str, *, actor: Actor, reason: str) -> Complaint:
        """The complainant withdraws the complaint."""
        return self._change(Complaint, complaint_id, lambda c, at: c.withdraw(actor=actor, at=at, reason=reason))

    @query
    def get_complaint(self, complaint_id: str, *, actor: Actor | None = None) -> Complaint:
        """One complaint, as stored (a customer sees only their own)."""
        return self._read(Complaint, complaint_id)

    @query
    def list_complaints(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[Complaint]:
        """A page of complaints by id, filtered by status, complainant and investigator (all optional)."""
        return self._list(
            Complaint, status=status, customer_id=customer_id, assignee_id=assignee_id, limit=limit, offset=offset
        )

    # --- violations ---------------------------------------------------------

    @command
    def report_violation(
        self,
        *,
        actor: Actor,
        subject: Actor | ActorRef,
        category: ViolationCategory | str,
        source: ViolationSource,
        description: str,
        prior_case_id: str | None = None,
    ) -> Violation:
        """Report a suspected staff violation; ``prior_case_id`` links a new case to a final one.

        A case from a complaint is opened with :meth:`raise_violation_from_complaint`,
        which links both ways; only staff may name an earlier case. A report is
        filed in the reporter's own name: a staff report's reporter is ``actor``,
        who reports as staff; a customer files only a customer report, naming
        nobody or themselves. Staff may record a customer's report on their behalf.
        """
        if source.kind is ViolationSourceKind.COMPLAINT:
            raise ValidationError("source", "a case from a complaint is opened with raise_violation_from_complaint()")
        as_customer = self._permissions.limits_to_own_cases(actor, "report_violation")
        if prior_case_id is not None and as_customer:
            raise PermissionDeniedError(actor.id, "report_violation", "only staff may link a report to an earlier case")
        _check_reporter(actor, source, as_customer=as_customer)
        with self._transaction() as tx:
            repo = tx.uow.violations
            prior = None if prior_case_id is None else tx.get(repo, prior_case_id)
            violation = Violation.report(
                id=ViolationId(self._new_id("violation")),
                subject=subject,
                category=category,
                source=source,
                description=description,
                actor=actor,
                at=tx.now,
                prior_case=prior,
            )
            return tx.add(repo, violation)

    @command
    def raise_violation_from_complaint(
        self,
        complaint_id: str,
        *,
        actor: Actor,
        subject: Actor | ActorRef,
        category: ViolationCategory | str,
        description: str,
    ) -> Violation:
        """Open a violation case against a staff member from a complaint under investigation, linked both ways."""
        with self._transaction() as tx:
            complaints = tx.uow.complaints
            complaint = tx.get(complaints, complaint_id)
            violation = Violation.report(
                id=ViolationId(self._new_id("violation")),
                subject=subject,
                category=category,
                source=ViolationSource.from_complaint(complaint.id),
                description=description,
                actor=actor,
                at=tx.now,
            )
            tx.update(complaints, complaint.link_violation(actor=actor, at=tx.now, violation_id=violation.id))
            return tx.add(tx.uow.violations, violation)

    @command
    def assign_violation_investigators(
        self, violation_id: str, *, actor: Actor, investigators: Iterable[Actor | ActorRef], note: str = ""
    ) -> Violation:
        """Assign investigators (never the subject)."""
        return self._change(
            Violation,
            violation_id,
            lambda v, at: v.assign_investigators(actor=actor, at=at, investigators=investigators, note=note),
        )

    @command
    def add_violation_evidence(
        self,
        violation_id: str,
        *,
        actor: Actor,
        kind: EvidenceKind | str,
        description: str,
        reference: EvidenceRef | None = None,
    ) -> Violation:
        """An assigned investigator records an evidence item (document, interview, service record)."""
        return self._change(
            Violation,
            violation_id,
            lambda v, at: v.add_evidence(actor=actor, at=at, kind=kind, description=description, reference=reference),
        )

    @command
    def determine_violation(
        self, violation_id: str, *, actor: Actor, findings: Iterable[Finding], summary: str
    ) -> Violation:
        """Determine responsibility; nobody responsible dismisses the case."""
        return self._change(
            Violation, violation_id, lambda v, at: v.determine(actor=actor, at=at, findings=findings, summary=summary)
        )

    @command
    def decide_violation(
        self,
        violation_id: str,
        *,
        actor: Actor,
        sanctions: Iterable[Sanction],
        reasons: str,
        compensations: Iterable[Compensation] = (),
        appeal_deadline: datetime | None = None,
    ) -> Violation:
        """Decide sanctions and compensation.

        ``appeal_deadline`` defaults to :data:`DEFAULT_APPEAL_WINDOW` calendar days
        after the decision, moved to the next working day on the SLA calendar if
        the desk has one.
        """

        def decide(violation: Violation, at: datetime) -> Violation:
            deadline = appeal_deadline if appeal_deadline is not None else self._default_appeal_deadline(at)
            return violation.decide(
                actor=actor,
                at=at,
                sanctions=sanctions,
                reasons=reasons,
                appeal_deadline=deadline,
                compensations=compensations,
            )

        return self._change(Violation, violation_id, decide)

    def _default_appeal_deadline(self, at: datetime) -> datetime:
        if self._sla is None:
            return at + timedelta(days=DEFAULT_APPEAL_WINDOW)
        return initial_due(self._sla.calendar, Target.calendar_days(DEFAULT_APPEAL_WINDOW), at)

    @command
    def publish_violation(self, violation_id: str, *, actor: Actor, note: str = "") -> Violation:
        """Publish the decision as an internal notice (render it with :meth:`render_publication_notice`)."""
        return self._change(Violation, violation_id, lambda v, at: v.publish(actor=actor, at=at, note=note))

    @command
    def finalize_violation(self, violation_id: str, *, actor: Actor, note: str = "") -> Violation:
        """Make the decision final once the appeal window has passed or the appeal is concluded."""
        return self._change(Violation, violation_id, lambda v, at: v.finalize(actor=actor, at=at, note=note))

    @query
    def get_violation(self, violation_id: str, *, actor: Actor | None = None) -> Violation:
        """One violation case, as stored."""
        return self._read(Violation, violation_id)

    @query
    def list_violations(
        self,
        *,
        status: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[Violation]:
        """A page of violation cases by id, filtered by status and investigator (both optional)."""
        return self._list(Violation, status=status, assignee_id=assignee_id, limit=limit, offset=offset)

    # --- appeals ------------------------------------------------------------

    @command
    def file_appeal(self, violation_id: str, *, actor: Actor, grounds: str) -> Appeal:
        """The sanctioned staff member appeals the decision, before its deadline."""
        with self._transaction() as tx:
            violations = tx.uow.violations
            violation = tx.get(violations, violation_id)
            appeal = Appeal.file(
                id=AppealId(self._new_id("appeal")), violation=violation, appellant=actor, at=tx.now, grounds=grounds
            )
            tx.update(violations, violation.register_appeal(appellant=actor, at=tx.now, appeal_id=appeal.id))
            return tx.add(tx.uow.appeals, appeal)

    @command
    def start_appeal_review(
        self, appeal_id: str, *, actor: Actor, panel: Iterable[Actor | ActorRef], note: str = ""
    ) -> Appeal:
        """Convene the review panel (none of them investigated, decided or appealed)."""
        return self._change(Appeal, appeal_id, lambda a, at: a.start_review(actor=actor, at=at, panel=panel, note=note))

    @command
    def uphold_appeal(
        self,
        appeal_id: str,
        *,
        actor: Actor,
        reasons: str,
        sanctions: Iterable[Sanction] = (),
        compensations: Iterable[Compensation] = (),
    ) -> Appeal:
        """Uphold: the decision is corrected (revised measures, or none to revoke); the original stays in history."""
        return self._conclude(
            appeal_id,
            actor,
            lambda a, at: a.uphold(
                actor=actor, at=at, reasons=reasons, sanctions=sanctions, compensations=compensations
            ),
        )

    @command
    def reject_appeal(self, appeal_id: str, *, actor: Actor, reasons: str) -> Appeal:
        """Reject: the decision is maintained, with the reasons recorded."""
        return self._conclude(appeal_id, actor, lambda a, at: a.reject(actor=actor, at=at, reasons=reasons))

    def _conclude(self, appeal_id: str, actor: Actor, decide: Callable[[Appeal, datetime], Appeal]) -> Appeal:
        with self._transaction() as tx:
            appeals = tx.uow.appeals
            violations = tx.uow.violations
            appeal = tx.get(appeals, appeal_id)
            violation = tx.get(violations, appeal.violation_id)
            appeal = decide(appeal, tx.now)
            tx.update(violations, violation.conclude_appeal(actor=actor, at=tx.now, conclusion=appeal.conclusion))
            return tx.update(appeals, appeal)

    @command
    def close_appeal(self, appeal_id: str, *, actor: Actor, notification: str) -> Appeal:
        """Close the appeal, recording how the appellant was notified."""
        return self._change(Appeal, appeal_id, lambda a, at: a.close(actor=actor, at=at, notification=notification))

    @query
    def get_appeal(self, appeal_id: str, *, actor: Actor | None = None) -> Appeal:
        """One appeal, as stored."""
        return self._read(Appeal, appeal_id)

    @query
    def list_appeals(
        self,
        *,
        status: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[Appeal]:
        """A page of appeals by id, filtered by status and panel member (both optional)."""
        return self._list(Appeal, status=status, assignee_id=assignee_id, limit=limit, offset=offset)

    # --- documents ----------------------------------------------------------

    @query
    def render_complaint_reply(
        self, complaint_id: str, *, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The reply to the complainant (投诉答复)."""
        complaint = self._read(Complaint, complaint_id)
        return self._renderer.render(ComplaintReply(generated_at=self._now(), complaint=complaint), locale=locale)

    @query
    def render_violation_decision_letter(
        self, violation_id: str, *, decision_number: int | None = None, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The decision letter to the staff member (处理决定书); corrected decisions stay listed."""
        violation = self._read(Violation, violation_id)
        letter = ViolationDecisionLetter(generated_at=self._now(), violation=violation, decision_number=decision_number)
        return self._renderer.render(letter, locale=locale)

    @query
    def render_publication_notice(
        self, violation_id: str, *, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The internal publication notice (通报), with every customer's personal data redacted by the core.

        Every customer the case touches is looked up so their names, phone
        numbers and addresses are removed from the free text too: the
        complainant of a source complaint and the customer of its subject, and
        the customer of every complaint, acceptance, work order or request the
        source's reference names (an inspection of an acceptance, a report
        citing a work order), also through earlier cases this one revisits.
        Whatever the notice cannot tie to a customer still loses phones,
        addresses, ids and forms such as 陈女士.
        """
        with self._reading() as tx:
            violation = tx.get(tx.uow.violations, violation_id)
            customers = _customers_of_case(tx.uow, violation)  # looked up to redact them, never shown
        notice = PublicationNotice.from_violation(violation, generated_at=self._now(), customers=customers)
        return self._renderer.render(notice, locale=locale)

    @query
    def render_appeal_decision(
        self, appeal_id: str, *, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The appeal decision letter (申诉复核决定)."""
        with self._reading() as tx:
            appeal = tx.get(tx.uow.appeals, appeal_id)
            violation = tx.get(tx.uow.violations, appeal.violation_id)
        letter = AppealDecisionLetter(generated_at=self._now(), appeal=appeal, violation=violation)
        return self._renderer.render(letter, locale=locale)


_MAX_PRIOR_CASES = 20  # how far back a chain of revisited cases is followed for customers
_REFERENCE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]")


def _customers_of_case(uow: UnitOfWork, violation: Violation) -> list[Customer]:
    """Every customer a violation case touches through the records its source (and earlier cases) name."""
    customers: dict[str, Customer] = {}

    def get(cls: type[Any], id: str) -> Any:
        try:
            return uow.repository(cls).get(id)
        except (NotFoundError, ValidationError):  # a reference that is not an id of this kind
            return None

    def from_request(request_id: str | None) -> None:
        request = None if request_id is None else get(ServiceRequest, request_id)
        if request is not None:
            customers.setdefault(request.customer.id, request.customer)

    def from_work_order(work_order_id: str | None) -> None:
        work_order = None if work_order_id is None else get(WorkOrder, work_order_id)
        if work_order is not None:
            from_request(work_order.request_id)

    def from_reference(reference: str) -> None:
        complaint = get(Complaint, reference)
        if complaint is not None:
            customers.setdefault(complaint.complainant.id, complaint.complainant)
            from_request(complaint.subject.request_id)
            from_work_order(complaint.subject.work_order_id)
        acceptance = get(Acceptance, reference)
        if acceptance is not None:
            from_request(acceptance.request_id)
            for work_order_id in acceptance.work_order_ids:
                from_work_order(work_order_id)
        from_work_order(reference)
        from_request(reference)

    case: Violation | None = violation
    seen: set[str] = set()
    while case is not None and case.id not in seen and len(seen) < _MAX_PRIOR_CASES:
        seen.add(case.id)
        reference = case.source.reference.strip()
        # the reference is free text: the whole of it, and every id-like word in it (ACC-1 in "audit of ACC-1")
        for candidate in dict.fromkeys([reference, *_REFERENCE_TOKEN.findall(reference)[:10]]):
            if candidate:
                from_reference(candidate)
        case = None if case.prior_case_id is None else get(Violation, case.prior_case_id)
    return list(customers.values())


__all__ = ["DEFAULT_APPEAL_WINDOW", "DEFAULT_COMPLAINT_SILENCE", "DisciplineCommands"]
