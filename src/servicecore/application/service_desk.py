"""ServiceDesk: the one facade applications use to run the service lifecycle.

Every command follows the same path, in one unit of work (see
:mod:`servicecore.application.core`): check the actor's role → load the
aggregate(s) → call the domain method(s) → keep the SLA clocks in step → save
with the optimistic version check → turn the raised events into notifications
in the outbox → commit. If anything raises, nothing is written. Commands and
reads return immutable aggregates, as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal, TypeVar

import attrs

from servicecore.application.core import Transaction, command, query
from servicecore.application.discipline import DisciplineCommands
from servicecore.application.dispatcher import Dispatcher, DispatchResult, RetryPolicy
from servicecore.application.notifications import DefaultNotificationPolicy, NotificationPolicy
from servicecore.application.permissions import DEFAULT_POLICY, CommandPolicy
from servicecore.application.sla import SlaMove, SlaRecomputeResult, SlaScanResult, SlaService
from servicecore.documents import AcceptanceReportDocument, RectificationNotice, WorkOrderSheet
from servicecore.domain.acceptance import (
    Acceptance,
    AcceptanceStatus,
    CriterionResult,
    Inspector,
)
from servicecore.domain.aggregate import Aggregate
from servicecore.domain.agreement import AgreementStatus, AgreementTerms, Schedule, ServiceAgreement, criteria_of
from servicecore.domain.checklists import PEST_CONTROL, ChecklistTemplate
from servicecore.domain.errors import (
    BusinessRuleError,
    ConcurrencyError,
    ConfigurationError,
    ValidationError,
)
from servicecore.domain.service_request import Channel, Priority, ServiceRequest
from servicecore.domain.values import (
    AcceptanceId,
    Actor,
    ActorId,
    AgreementId,
    Customer,
    EvidenceRef,
    RequestId,
    WorkOrderId,
    as_tuple,
    check_aware,
    describe,
    describe_names,
)
from servicecore.domain.work_order import HoldReason, Measurement, SiteSignOff, WorkOrder, WorkOrderStatus
from servicecore.ports.clock import Clock
from servicecore.ports.ids import IdGenerator
from servicecore.ports.notification import Notifier, OutboxMessage
from servicecore.ports.rendering import DocumentRenderer, RenderedDocument
from servicecore.ports.storage import StorageBackend
from servicecore.sla.calendar import BusinessCalendar
from servicecore.sla.clocks import Alert
from servicecore.storage_kinds import AGGREGATE_KINDS, ListQuery

A = TypeVar("A", bound=Aggregate)

BUILT_IN_TEMPLATES: Mapping[str, ChecklistTemplate] = {PEST_CONTROL.key: PEST_CONTROL}
"""The checklist templates a desk built by hand knows unless given others (the built-in pest-control one)."""

_CUSTOMER_INSPECTING = frozenset(
    {AcceptanceStatus.AWAITING_INSPECTION, AcceptanceStatus.PASSED, AcceptanceStatus.RECTIFIED}
)
"""Acceptance statuses in which the customer (or the inspector they designated) must act next."""


def default_sla() -> SlaService:
    """The SLA service of a desk built by hand without ``sla``: the default policies on a 24×7 UTC calendar."""
    return SlaService(BusinessCalendar.always_open("UTC"))


class ServiceDesk(DisciplineCommands):
    """Commands and reads for the whole service lifecycle.

    Build one with :func:`servicecore.bootstrap.bootstrap` (backends looked up by
    name through the plugin system, from a configuration) or pass the port
    implementations yourself, as tests do.
    ``permissions`` defaults to :data:`~servicecore.application.permissions.DEFAULT_POLICY`.
    A desk built by hand runs the same services as one from the configuration
    unless told otherwise: ``sla`` defaults to :func:`default_sla` (the default
    policies on a 24×7 UTC calendar; pass an
    :class:`~servicecore.application.sla.SlaService` of your own, or ``sla=None``
    to run no clocks at all), ``templates`` to :data:`BUILT_IN_TEMPLATES` (pass
    ``{}`` for none).
    With ``strict=True`` every command, reads included, needs the ``actor`` the
    host application authenticated.
    """

    def __init__(
        self,
        *,
        storage: StorageBackend,
        notifier: Notifier,
        renderer: DocumentRenderer,
        clock: Clock,
        ids: IdGenerator,
        templates: Mapping[str, ChecklistTemplate] | None = None,
        notification_policy: NotificationPolicy | None = None,
        permissions: CommandPolicy | None = None,
        sla: SlaService | Literal["default"] | None = "default",
        strict: bool = False,
    ) -> None:
        if sla == "default":
            sla = default_sla()
        elif sla is not None and not isinstance(sla, SlaService):
            raise ConfigurationError(f"sla must be an SlaService, None (no clocks) or 'default', got {sla!r}")
        super().__init__(
            storage=storage,
            clock=clock,
            ids=ids,
            notification_policy=notification_policy or DefaultNotificationPolicy(),
            permissions=permissions or DEFAULT_POLICY,
            sla=sla,
            strict=strict,
        )
        self._notifier = notifier
        self._renderer = renderer
        self._templates = dict(BUILT_IN_TEMPLATES if templates is None else templates)

    # --- plumbing -----------------------------------------------------------

    @property
    def checklist_templates(self) -> Mapping[str, ChecklistTemplate]:
        """Known checklist templates by key."""
        return dict(self._templates)

    def close(self) -> None:
        """Release the storage backend."""
        self._storage.close()

    # --- service requests ---------------------------------------------------

    @command
    def receive_request(
        self,
        *,
        actor: Actor,
        customer: Customer,
        channel: Channel | str,
        category: str,
        priority: Priority | str,
        description: str,
    ) -> ServiceRequest:
        """Record a new request (客户咨询与接待)."""
        with self._transaction() as tx:
            request = ServiceRequest.receive(
                id=RequestId(self._new_id("request")),
                customer=customer,
                channel=channel,
                category=category,
                priority=priority,
                description=description,
                actor=actor,
                at=tx.now,
            )
            return tx.add(tx.uow.requests, request)

    @command
    def acknowledge_request(self, request_id: str, *, actor: Actor, message: str) -> ServiceRequest:
        """Give the customer a first response."""
        return self._change(
            ServiceRequest, request_id, lambda r, at: r.acknowledge(actor=actor, at=at, message=message)
        )

    @command
    def assess_request(
        self, request_id: str, *, actor: Actor, feasible: bool, analysis: str, departments: Sequence[str] = ()
    ) -> ServiceRequest:
        """Record needs analysis and feasibility (需求分析)."""
        return self._change(
            ServiceRequest,
            request_id,
            lambda r, at: r.assess(actor=actor, at=at, feasible=feasible, analysis=analysis, departments=departments),
        )

    @command
    def decline_request(self, request_id: str, *, actor: Actor, reason: str) -> ServiceRequest:
        """Decline a request in an early state."""
        return self._change(ServiceRequest, request_id, lambda r, at: r.decline(actor=actor, at=at, reason=reason))

    @command
    def withdraw_request(self, request_id: str, *, actor: Actor, reason: str) -> ServiceRequest:
        """The customer withdraws a request in an early state."""
        return self._change(ServiceRequest, request_id, lambda r, at: r.withdraw(actor=actor, at=at, reason=reason))

    @command
    def close_request(self, request_id: str, *, actor: Actor, note: str = "") -> ServiceRequest:
        """Close a completed request."""
        return self._change(ServiceRequest, request_id, lambda r, at: r.close(actor=actor, at=at, note=note))

    @command
    def raise_request_priority(self, request_id: str, *, actor: Actor, reason: str) -> ServiceRequest:
        """Raise an open request's priority one step (low → normal → high → urgent), with a reason.

        Its SLA clocks take the new priority's targets at once, keeping their start and
        pauses. An escalation level with ``raise_priority`` does the same from the scan.
        """
        return self._change(
            ServiceRequest, request_id, lambda r, at: r.raise_priority(actor=actor, at=at, reason=reason)
        )

    @query
    def get_request(self, request_id: str, *, actor: Actor | None = None) -> ServiceRequest:
        """One request, as stored."""
        return self._read(ServiceRequest, request_id)

    @query
    def list_requests(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[ServiceRequest]:
        """A page of requests ordered by id, filtered by status, customer and assignee (all optional)."""
        return self._list(
            ServiceRequest, status=status, customer_id=customer_id, assignee_id=assignee_id, limit=limit, offset=offset
        )

    # --- agreements ---------------------------------------------------------

    @command
    def draft_agreement(self, request_id: str, *, actor: Actor, title: str, terms: AgreementTerms) -> ServiceAgreement:
        """Draft a proposal for a request assessed as feasible; ``actor`` is the author."""
        self._check_service_levels(terms)
        with self._transaction() as tx:
            request = tx.get(tx.uow.requests, request_id)
            request.require_feasible("draft_agreement")
            agreement = ServiceAgreement.draft(
                id=AgreementId(self._new_id("agreement")),
                request_id=request.id,
                customer_id=request.customer.id,
                title=title,
                terms=terms,
                actor=actor,
                at=tx.now,
            )
            return tx.add(tx.uow.agreements, agreement)

    @command
    def revise_agreement(
        self, agreement_id: str, *, actor: Actor, terms: AgreementTerms, note: str = ""
    ) -> ServiceAgreement:
        """Replace the content of the draft or returned revision."""
        self._check_service_levels(terms)
        return self._change(
            ServiceAgreement, agreement_id, lambda a, at: a.revise(actor=actor, at=at, terms=terms, note=note)
        )

    def _check_service_levels(self, terms: AgreementTerms) -> None:
        """An agreement may only state service levels for clocks this desk runs."""
        if terms.service_levels and self._sla is not None:
            self._sla.check_service_levels(terms.service_levels)

    def _bind(self, case: A, agreement: ServiceAgreement) -> A:
        """``case`` following the service levels of ``agreement``'s confirmed revision, if it states any."""
        revision = agreement.confirmed_revision
        if self._sla is None or revision is None or not revision.terms.service_levels:
            return case
        return self._sla.adopt(case, revision.terms.service_levels, f"agreement {agreement.id}")

    @command
    def submit_agreement_for_review(self, agreement_id: str, *, actor: Actor, note: str = "") -> ServiceAgreement:
        """Send the current revision to internal review."""
        return self._change(
            ServiceAgreement, agreement_id, lambda a, at: a.submit_for_review(actor=actor, at=at, note=note)
        )

    @command
    def approve_agreement(self, agreement_id: str, *, actor: Actor, comments: str = "") -> ServiceAgreement:
        """Internal approval; ``actor`` may not be the revision's author."""
        return self._change(
            ServiceAgreement, agreement_id, lambda a, at: a.approve(reviewer=actor, at=at, comments=comments)
        )

    @command
    def return_agreement(self, agreement_id: str, *, actor: Actor, comments: str) -> ServiceAgreement:
        """Internal review returns the revision to its author."""
        return self._change(
            ServiceAgreement, agreement_id, lambda a, at: a.return_for_changes(reviewer=actor, at=at, comments=comments)
        )

    @command
    def offer_agreement(self, agreement_id: str, *, actor: Actor, note: str = "") -> ServiceAgreement:
        """Send the approved revision to the customer; the request waits for their answer.

        While the offer is open the request's clocks see it as ``"awaiting_customer"``
        (the default policy pauses its resolution clock then).
        """
        return self._change_agreement(
            agreement_id, lambda a, at: a.offer(actor=actor, at=at, note=note), actor=actor, waiting=True
        )

    def _change_agreement(
        self,
        agreement_id: str,
        change: Callable[[ServiceAgreement, datetime], ServiceAgreement],
        *,
        actor: Actor,
        waiting: bool,
    ) -> ServiceAgreement:
        """Change an agreement and tell its request's clocks whether the customer holds the ball now."""
        with self._transaction() as tx:
            agreement = tx.get(tx.uow.agreements, agreement_id)
            request = tx.get(tx.uow.requests, agreement.request_id)
            agreement = change(agreement, tx.now)
            self._customer_turn(tx, request, waiting, actor, f"agreement {agreement.id} {agreement.status.value}")
            return tx.update(tx.uow.agreements, agreement)

    def _customer_turn(self, tx: Transaction, request: ServiceRequest, waiting: bool, actor: Actor, note: str) -> None:
        """Store ``request`` seen as awaiting the customer (or no longer), if that changes, in its history."""
        if self._sla is None:
            return
        turned = self._sla.awaiting_customer(request, waiting, actor=actor, at=tx.now, note=note)
        if turned is not request:
            tx.update(tx.uow.requests, turned)

    @command
    def confirm_agreement(self, agreement_id: str, *, actor: Actor, note: str = "") -> ServiceAgreement:
        """The customer confirms; the request moves to ``agreed`` in the same transaction."""
        with self._transaction() as tx:
            agreement = tx.get(tx.uow.agreements, agreement_id)
            request = tx.get(tx.uow.requests, agreement.request_id)
            now = tx.now
            agreement = agreement.confirm(actor=actor, at=now, note=note)
            agreed = request.mark_agreed(actor=actor, at=now, agreement_id=agreement.id)
            tx.update(tx.uow.requests, self._bind(agreed, agreement))
            return tx.update(tx.uow.agreements, agreement)

    @command
    def decline_agreement(self, agreement_id: str, *, actor: Actor, reason: str) -> ServiceAgreement:
        """The customer declines the offer; the ball is back with the provider."""
        return self._change_agreement(
            agreement_id, lambda a, at: a.decline(actor=actor, at=at, reason=reason), actor=actor, waiting=False
        )

    @command
    def request_agreement_change(self, agreement_id: str, *, actor: Actor, comments: str) -> ServiceAgreement:
        """The customer asks for changes; a new draft revision opens and the ball is back with the provider."""
        return self._change_agreement(
            agreement_id,
            lambda a, at: a.request_change(actor=actor, at=at, comments=comments),
            actor=actor,
            waiting=False,
        )

    @command
    def activate_agreement(self, agreement_id: str, *, actor: Actor, note: str = "") -> ServiceAgreement:
        """Put a confirmed agreement into force."""
        return self._change(ServiceAgreement, agreement_id, lambda a, at: a.activate(actor=actor, at=at, note=note))

    @command
    def terminate_agreement(self, agreement_id: str, *, actor: Actor, reason: str) -> ServiceAgreement:
        """End an agreement early. In the same transaction its open work orders are
        cancelled and, if the request was agreed on it, the request is cancelled."""
        with self._transaction() as tx:
            agreement = tx.get(tx.uow.agreements, agreement_id)
            now = tx.now
            agreement = agreement.terminate(actor=actor, at=now, reason=reason)
            why = f"agreement {agreement.id} terminated: {agreement.end_reason}"
            for order_id in agreement.work_order_ids:
                order = tx.get(tx.uow.work_orders, order_id)
                if not order.is_terminal:
                    tx.update(tx.uow.work_orders, order.cancel(actor=actor, at=now, reason=why))
            request = tx.get(tx.uow.requests, agreement.request_id)
            if request.agreement_id == agreement.id and not request.is_terminal:
                tx.update(tx.uow.requests, request.cancel(actor=actor, at=now, reason=why))
            return tx.update(tx.uow.agreements, agreement)

    @query
    def get_agreement(self, agreement_id: str, *, actor: Actor | None = None) -> ServiceAgreement:
        """One agreement, as stored."""
        return self._read(ServiceAgreement, agreement_id)

    @query
    def list_agreements(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[ServiceAgreement]:
        """A page of agreements ordered by id, filtered by status, customer and assignee (all optional)."""
        return self._list(
            ServiceAgreement,
            status=status,
            customer_id=customer_id,
            assignee_id=assignee_id,
            limit=limit,
            offset=offset,
        )

    # --- work orders --------------------------------------------------------

    def _template(self, template: str | ChecklistTemplate) -> ChecklistTemplate:
        if isinstance(template, ChecklistTemplate):
            return template
        found = self._templates.get(template)
        if found is None:
            raise ValidationError(
                "template", f"unknown checklist template {describe(template)}; known: {sorted(self._templates)}"
            )
        return found

    @command
    def create_work_order(
        self,
        agreement_id: str,
        *,
        actor: Actor,
        title: str,
        assignees: Sequence[ActorId],
        template: str | ChecklistTemplate,
        window: Schedule | None = None,
    ) -> WorkOrder:
        """Create a work order for an active agreement; the request moves into service.

        ``template`` is a checklist template key (see :attr:`checklist_templates`)
        or a template object; ``window`` defaults to the agreement's schedule.
        """
        checklist = self._template(template)
        with self._transaction() as tx:
            agreement = tx.get(tx.uow.agreements, agreement_id)
            now = tx.now
            if agreement.status is not AgreementStatus.ACTIVE:
                raise BusinessRuleError(
                    "ServiceAgreement",
                    agreement.id,
                    f"work orders need an active agreement, but it is {agreement.status.value!r}",
                )
            revision = agreement.confirmed_revision
            assert revision is not None  # an active agreement always has one
            order = WorkOrder.create(
                id=WorkOrderId(self._new_id("work_order")),
                agreement_id=agreement.id,
                request_id=agreement.request_id,
                title=title,
                assignees=assignees,
                window=window or revision.terms.schedule,
                template=checklist,
                actor=actor,
                at=now,
            )
            # writing the agreement too makes a concurrent change to it (say, termination) a conflict
            tx.update(tx.uow.agreements, agreement.link_work_order(actor=actor, at=now, work_order_id=order.id))
            request = tx.get(tx.uow.requests, agreement.request_id)
            tx.update(tx.uow.requests, request.start_service(actor=actor, at=now, work_order_id=order.id))
            return tx.add(tx.uow.work_orders, self._bind(order, agreement))

    @command
    def reassign_work_order(
        self, work_order_id: str, *, actor: Actor, assignees: Sequence[ActorId], note: str = ""
    ) -> WorkOrder:
        """Replace the assignees of an open work order."""
        return self._change(
            WorkOrder, work_order_id, lambda w, at: w.reassign(actor=actor, at=at, assignees=assignees, note=note)
        )

    @command
    def start_work_order(self, work_order_id: str, *, actor: Actor, note: str = "") -> WorkOrder:
        """Begin execution."""
        supervising = self._permissions.supervises(actor)
        return self._change(
            WorkOrder, work_order_id, lambda w, at: w.start(actor=actor, at=at, note=note, as_supervisor=supervising)
        )

    @command
    def complete_step(
        self,
        work_order_id: str,
        *,
        actor: Actor,
        step_key: str,
        note: str = "",
        evidence: Iterable[EvidenceRef] = (),
        measurements: Iterable[Measurement] = (),
    ) -> WorkOrder:
        """Record a checklist step as done."""
        supervising = self._permissions.supervises(actor)
        return self._change(
            WorkOrder,
            work_order_id,
            lambda w, at: w.complete_step(
                actor=actor,
                at=at,
                step_key=step_key,
                note=note,
                evidence=evidence,
                measurements=measurements,
                as_supervisor=supervising,
            ),
        )

    @command
    def skip_step(self, work_order_id: str, *, actor: Actor, step_key: str, reason: str) -> WorkOrder:
        """Skip an optional step with a reason."""
        supervising = self._permissions.supervises(actor)
        return self._change(
            WorkOrder,
            work_order_id,
            lambda w, at: w.skip_step(actor=actor, at=at, step_key=step_key, reason=reason, as_supervisor=supervising),
        )

    @command
    def hold_work_order(
        self, work_order_id: str, *, actor: Actor, reason: HoldReason | str, description: str
    ) -> WorkOrder:
        """An exception pauses the work order."""
        supervising = self._permissions.supervises(actor)
        return self._change(
            WorkOrder,
            work_order_id,
            lambda w, at: w.hold(actor=actor, at=at, reason=reason, description=description, as_supervisor=supervising),
        )

    @command
    def report_hold(self, work_order_id: str, *, actor: Actor, supervisor: Actor, note: str = "") -> WorkOrder:
        """Report the exception to a supervisor: ``supervisor`` must hold a supervisor role of the command policy."""
        supervising = self._permissions.supervises(actor)
        if isinstance(supervisor, Actor) and not self._permissions.supervises(supervisor):
            raise ValidationError(
                "supervisor",
                f"the exception is reported to someone with a supervisor role; {describe(supervisor.id)} has: "
                f"{describe_names(sorted(supervisor.roles)) or 'no roles'}",
            )
        return self._change(
            WorkOrder,
            work_order_id,
            lambda w, at: w.report_hold(
                actor=actor, at=at, supervisor=supervisor, note=note, as_supervisor=supervising
            ),
        )

    @command
    def coordinate_hold(self, work_order_id: str, *, actor: Actor, plan: str) -> WorkOrder:
        """Record how the supervisor coordinated the way forward."""
        return self._change(WorkOrder, work_order_id, lambda w, at: w.coordinate_hold(actor=actor, at=at, plan=plan))

    @command
    def inform_customer_of_hold(self, work_order_id: str, *, actor: Actor, message: str) -> WorkOrder:
        """Record that the customer was told about the exception."""
        return self._change(
            WorkOrder, work_order_id, lambda w, at: w.inform_customer_of_hold(actor=actor, at=at, message=message)
        )

    @command
    def resume_work_order(self, work_order_id: str, *, actor: Actor, note: str = "") -> WorkOrder:
        """Resume after the exception procedure is complete."""
        supervising = self._permissions.supervises(actor)
        return self._change(
            WorkOrder, work_order_id, lambda w, at: w.resume(actor=actor, at=at, note=note, as_supervisor=supervising)
        )

    @command
    def complete_work_order(
        self, work_order_id: str, *, actor: Actor, sign_off: SiteSignOff, note: str = ""
    ) -> WorkOrder:
        """Complete: all required steps done and the site representative signed.

        When it is the last live work order of its agreement and the request's SLA
        policy has a clock starting on ``"work_completed"`` (an acceptance due so
        many days after the work), the instant is recorded on the request in the
        same transaction (``work_completed`` in its history).
        """
        with self._transaction() as tx:
            order = tx.get(tx.uow.work_orders, work_order_id)
            order = order.complete(
                actor=actor, at=tx.now, sign_off=sign_off, note=note, as_supervisor=self._permissions.supervises(actor)
            )
            request = tx.get(tx.uow.requests, order.request_id)
            if self._sla is not None and self._sla.needs_instant(request, "work_completed"):
                agreement = tx.get(tx.uow.agreements, order.agreement_id)
                others = [tx.get(tx.uow.work_orders, i) for i in agreement.work_order_ids if i != order.id]
                if all(o.status in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED) for o in others):
                    marked = self._sla.mark(
                        request, "work_completed", tx.now, actor=actor, at=tx.now, note=f"last work order {order.id}"
                    )
                    tx.update(tx.uow.requests, marked)
            return tx.update(tx.uow.work_orders, order)

    @command
    def cancel_work_order(self, work_order_id: str, *, actor: Actor, reason: str) -> WorkOrder:
        """Cancel an open work order."""
        return self._change(WorkOrder, work_order_id, lambda w, at: w.cancel(actor=actor, at=at, reason=reason))

    @query
    def get_work_order(self, work_order_id: str, *, actor: Actor | None = None) -> WorkOrder:
        """One work order, as stored."""
        return self._read(WorkOrder, work_order_id)

    @query
    def list_work_orders(
        self,
        *,
        status: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[WorkOrder]:
        """A page of work orders ordered by id, filtered by status and assignee (both optional)."""
        return self._list(WorkOrder, status=status, assignee_id=assignee_id, limit=limit, offset=offset)

    # --- acceptance ---------------------------------------------------------

    @command
    def open_acceptance(
        self,
        agreement_id: str,
        *,
        actor: Actor,
        inspector: Inspector,
        work_order_ids: Sequence[str] | None = None,
    ) -> Acceptance:
        """Open the (one) acceptance of an active agreement once its work is done.

        Every work order of the agreement that was not cancelled must be
        completed. ``work_order_ids`` names the ones the acceptance covers
        (default: all of those). The criteria are a snapshot of the confirmed
        revision's.
        """
        with self._transaction() as tx:
            agreement = tx.get(tx.uow.agreements, agreement_id)
            now = tx.now
            if agreement.status is not AgreementStatus.ACTIVE:
                raise BusinessRuleError(
                    "ServiceAgreement",
                    agreement.id,
                    f"acceptance needs an active agreement, but it is {agreement.status.value!r}",
                )
            live = [
                order
                for order in (tx.get(tx.uow.work_orders, order_id) for order_id in agreement.work_order_ids)
                if order.status is not WorkOrderStatus.CANCELLED
            ]
            unfinished = [f"{o.id} ({o.status.value})" for o in live if o.status is not WorkOrderStatus.COMPLETED]
            if unfinished:
                raise BusinessRuleError(
                    "ServiceAgreement", agreement.id, f"work orders must be completed before acceptance: {unfinished}"
                )
            completed = tuple(order.id for order in live)
            chosen = completed if work_order_ids is None else as_tuple("work_order_ids", work_order_ids, of=str)
            foreign = [order_id for order_id in chosen if order_id not in completed]
            if foreign:
                raise BusinessRuleError(
                    "ServiceAgreement", agreement.id, f"not completed work orders of this agreement: {foreign}"
                )
            if not chosen:
                raise BusinessRuleError(
                    "ServiceAgreement", agreement.id, "acceptance needs at least one completed work order"
                )
            acceptance = Acceptance.open(
                id=AcceptanceId(self._new_id("acceptance")),
                agreement_id=agreement.id,
                request_id=agreement.request_id,
                criteria=criteria_of(agreement),
                inspector=inspector,
                actor=actor,
                at=now,
                work_orders=[order for order_id in chosen for order in live if order.id == order_id],
            )
            tx.update(tx.uow.agreements, agreement.link_acceptance(actor=actor, at=now, acceptance_id=acceptance.id))
            request = tx.get(tx.uow.requests, agreement.request_id)
            self._customer_turn(tx, request, True, actor, f"acceptance {acceptance.id} awaits inspection")
            return tx.add(tx.uow.acceptances, self._bind(acceptance, agreement))

    @command
    def record_inspection(
        self, acceptance_id: str, *, actor: Actor, results: Iterable[CriterionResult], note: str = ""
    ) -> Acceptance:
        """Record the next inspection round."""
        return self._change_acceptance(
            acceptance_id,
            lambda a, at, _: a.record_inspection(actor=actor, at=at, results=results, note=note),
            actor=actor,
        )

    @command
    def order_rectification(
        self,
        acceptance_id: str,
        *,
        actor: Actor,
        responsible_party: str,
        deadline: datetime,
        instructions: str = "",
    ) -> Acceptance:
        """After a failed round: who fixes the failed points, and by when."""
        return self._change_acceptance(
            acceptance_id,
            lambda a, at, _: a.order_rectification(
                actor=actor, at=at, responsible_party=responsible_party, deadline=deadline, instructions=instructions
            ),
            actor=actor,
        )

    @command
    def mark_rectified(self, acceptance_id: str, *, actor: Actor, note: str) -> Acceptance:
        """The failed points are reported fixed; the next round may be inspected.

        An assignee of the inspected work orders reports it, or a supervisor (recorded as such).
        """
        supervising = self._permissions.supervises(actor)

        def rectified(acceptance: Acceptance, at: datetime, tx: Transaction) -> Acceptance:
            orders = (tx.get(tx.uow.work_orders, order_id) for order_id in acceptance.work_order_ids)
            workers = {a for order in orders for a in order.assignees}
            return acceptance.mark_rectified(actor=actor, at=at, note=note, workers=workers, as_supervisor=supervising)

        return self._change_acceptance(acceptance_id, rectified, actor=actor)

    @command
    def sign_acceptance_report(
        self, acceptance_id: str, *, actor: Actor, signed_by: str, summary: str = ""
    ) -> Acceptance:
        """Sign the report after a passed round; the agreement is fulfilled and the
        request completed in the same transaction."""
        with self._transaction() as tx:
            acceptance = tx.get(tx.uow.acceptances, acceptance_id)
            now = tx.now
            acceptance = acceptance.sign_report(actor=actor, at=now, signed_by=signed_by, summary=summary)
            agreement = tx.get(tx.uow.agreements, acceptance.agreement_id)
            tx.update(tx.uow.agreements, agreement.fulfil(actor=actor, at=now, note=f"accepted in {acceptance.id}"))
            request = tx.get(tx.uow.requests, acceptance.request_id)
            tx.update(tx.uow.requests, request.complete(actor=actor, at=now, note=f"accepted in {acceptance.id}"))
            return tx.update(tx.uow.acceptances, acceptance)

    @query
    def get_acceptance(self, acceptance_id: str, *, actor: Actor | None = None) -> Acceptance:
        """One acceptance, as stored (a customer sees only their own)."""
        with self._reading() as tx:
            acceptance = tx.get(tx.uow.acceptances, acceptance_id)
            tx.get(tx.uow.requests, acceptance.request_id)  # an acceptance is its request's customer's
        return acceptance

    def _change_acceptance(
        self,
        acceptance_id: str,
        change: Callable[[Acceptance, datetime, Transaction], Acceptance],
        *,
        actor: Actor,
    ) -> Acceptance:
        with self._transaction() as tx:
            acceptance = tx.get(tx.uow.acceptances, acceptance_id)
            request = tx.get(tx.uow.requests, acceptance.request_id)  # an acceptance belongs to its request's customer
            acceptance = change(acceptance, tx.now, tx)
            # inspecting, re-inspecting and signing are the customer's to do; rectifying is the provider's
            self._customer_turn(
                tx,
                request,
                acceptance.status in _CUSTOMER_INSPECTING,
                actor,
                f"acceptance {acceptance.id} {acceptance.status.value}",
            )
            return tx.update(tx.uow.acceptances, acceptance)

    @query
    def list_acceptances(
        self,
        *,
        status: str | None = None,
        assignee_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        actor: Actor | None = None,
    ) -> Sequence[Acceptance]:
        """A page of acceptances ordered by id, filtered by status and assignee (both optional)."""
        return self._list(Acceptance, status=status, assignee_id=assignee_id, limit=limit, offset=offset)

    # --- documents ----------------------------------------------------------

    @query
    def render_work_order_sheet(
        self, work_order_id: str, *, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The work order sheet (服务单) as the configured renderer renders it."""
        with self._reading() as tx:
            order = tx.get(tx.uow.work_orders, work_order_id)
            document = WorkOrderSheet(
                generated_at=self._now(),
                work_order=order,
                agreement=tx.get(tx.uow.agreements, order.agreement_id),
                request=tx.get(tx.uow.requests, order.request_id),
            )
        return self._renderer.render(document, locale=locale)

    @query
    def render_acceptance_report(
        self, acceptance_id: str, *, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The signed acceptance report (验收报告)."""
        with self._reading() as tx:
            acceptance = tx.get(tx.uow.acceptances, acceptance_id)
            document = AcceptanceReportDocument(
                generated_at=self._now(),
                acceptance=acceptance,
                agreement=tx.get(tx.uow.agreements, acceptance.agreement_id),
                request=tx.get(tx.uow.requests, acceptance.request_id),
            )
        return self._renderer.render(document, locale=locale)

    @query
    def render_rectification_notice(
        self, acceptance_id: str, *, round: int | None = None, locale: str = "en", actor: Actor | None = None
    ) -> RenderedDocument:
        """The rectification notice (整改通知) for a failed round (default: the latest)."""
        with self._reading() as tx:
            acceptance = tx.get(tx.uow.acceptances, acceptance_id)
            orders = [o for o in acceptance.rectifications if round is None or o.round == round]
            if not orders:
                which = "any round" if round is None else f"round {round}"
                raise BusinessRuleError("Acceptance", acceptance.id, f"has no rectification order for {which}")
            document = RectificationNotice(
                generated_at=self._now(),
                acceptance=acceptance,
                order=orders[-1],
                request=tx.get(tx.uow.requests, acceptance.request_id),
            )
        return self._renderer.render(document, locale=locale)

    # --- service levels -----------------------------------------------------

    @command
    def scan_sla(
        self,
        now: datetime | None = None,
        *,
        batch: int = 100,
        simulate: bool = False,
        progress: Callable[[int], None] | None = None,
        actor: Actor | None = None,
    ) -> SlaScanResult:
        """Record every SLA warning, breach and escalation reached by ``now`` (default: the clock's), once.

        Finds the cases whose clocks need a look through the storage index
        (:meth:`~servicecore.ports.storage.Repository.due_for_sla`), records the
        reached checkpoints on their clocks and queues a notification for each to
        its targets, one transaction per case. Idempotent: scanning again records
        nothing new. A case changed by a concurrent command is skipped (counted in
        ``conflicts``) and found again by the next scan. An escalation level that
        acts (``reassign_to``, ``raise_priority``) is applied in the same transaction
        as the checkpoint it belongs to, recorded in the case's history as done by
        the SLA scan (see :meth:`~servicecore.application.sla.SlaService.act`).

        ``now`` later than the desk clock by more than the SLA service's
        ``scan_tolerance`` (default 5 minutes) is refused with a ValidationError: a
        breach recorded ahead of time would be false. With ``simulate=True`` any
        ``now`` is accepted and nothing is written: the result lists what a scan at
        that instant would record (``simulated`` is set).

        ``progress``, if given, is called after each batch of due cases with the
        number of cases handled so far, all kinds together (for a progress display;
        a run with nothing due never calls it). What it raises stops the scan; the
        cases already handled stay recorded.
        """
        sla = self._require_sla()
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError("batch", f"expected a whole number of at least 1, got {describe(batch)}")
        if not isinstance(simulate, bool):
            raise ValidationError("simulate", f"expected True or False, got {describe(simulate)}")
        clock_now = self._now()
        at = clock_now if now is None else check_aware("now", now)
        if not simulate and at > clock_now + sla.scan_tolerance:
            raise ValidationError(
                "now",
                f"{at.isoformat()} is later than the desk clock ({clock_now.isoformat()}) by more than the "
                f"scan tolerance of {sla.scan_tolerance}; pass simulate=True to see what a scan then would record "
                "without recording it",
            )
        alerts: list[Alert] = []
        scanned = conflicts = handled = 0
        for kind in AGGREGATE_KINDS:
            if kind.name not in sla.policies:
                continue
            skip: set[str] = set()
            while True:
                with self._storage.unit_of_work() as uow:
                    found = uow.repository(kind.cls).due_for_sla(at_or_before=at, limit=batch + len(skip))
                due = [case for case in found if case.id not in skip]
                if not due:
                    break
                for loaded in due:
                    if simulate:
                        skip.add(loaded.id)
                        with self._reading() as reading:
                            _, reached = sla.scan(loaded, at, parties=self._sla_parties(reading, loaded))
                        if reached:
                            scanned += 1
                            alerts.extend(reached)
                        continue
                    # saved at the version it was loaded with: a command that changed it since wins
                    try:
                        with self._transaction() as tx:
                            case, reached = sla.scan(loaded, at, parties=self._sla_parties(tx, loaded))
                            if reached:
                                last = case.history[-1].at if case.history else tx.now
                                case, _ = sla.act(case, reached, at=max(tx.now, last))
                                tx.update(tx.uow.repository(kind.cls), case)
                    except ConcurrencyError:
                        conflicts += 1
                        skip.add(loaded.id)
                        continue
                    if reached:
                        scanned += 1
                        alerts.extend(reached)
                    else:
                        skip.add(loaded.id)  # nothing reached yet: storage and clocks disagree on the instant
                handled += len(due)
                if progress is not None:
                    progress(handled)
        return SlaScanResult(scanned=scanned, alerts=tuple(alerts), conflicts=conflicts, simulated=simulate)

    def _sla_parties(self, tx: Transaction, case: object) -> dict[str, tuple[str, ...]]:
        """Recipients by role that only the case's neighbours know: an acceptance's work assignees."""
        if not isinstance(case, Acceptance):
            return {}
        assignees: list[str] = []
        for order_id in case.work_order_ids:
            assignees.extend(f"actor:{a}" for a in tx.get(tx.uow.work_orders, order_id).assignees)
        return {"assignee": tuple(dict.fromkeys(assignees))} if assignees else {}

    @command
    def recompute_sla(
        self,
        *,
        calendar: str | None = None,
        batch: int = 100,
        progress: Callable[[int], None] | None = None,
        actor: Actor | None = None,
    ) -> SlaRecomputeResult:
        """Recompute the due times and next checks of every open SLA clock, after a calendar changed.

        Build the desk with the calendars as they now are (holidays announced, hours
        moved), then run this: each clock that has not stopped is rescheduled on its
        calendar (only on ``calendar``, if named), one transaction per case that
        changed. Recorded checkpoints stay recorded; stopped clocks keep their
        verdict. The result lists every clock that moved (case, clock, old and new
        due time). A case changed concurrently is counted in ``conflicts``.

        ``progress``, if given, is called after each batch of cases read with the
        number of cases handled so far, all kinds together, those without an open
        clock included (for a progress display). What it raises stops the run; the
        cases already recomputed stay so.
        """
        sla = self._require_sla()
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError("batch", f"expected a whole number of at least 1, got {batch!r}")
        if calendar is not None and calendar not in sla.calendars:
            raise ValidationError("calendar", f"unknown SLA calendar {calendar!r}; known: {sorted(sla.calendars)}")
        moves: list[SlaMove] = []
        examined = conflicts = handled = 0
        for kind in AGGREGATE_KINDS:
            if kind.name not in sla.policies:
                continue
            offset = 0
            while True:
                with self._storage.unit_of_work() as uow:
                    page = list(uow.repository(kind.cls).list(ListQuery(limit=batch, offset=offset)))
                offset += len(page)
                for loaded in page:
                    if not any(not clock.is_stopped for clock in loaded.clocks.clocks):
                        continue
                    examined += 1
                    try:
                        with self._transaction() as tx:
                            case, moved = sla.recompute(loaded, calendar=calendar)
                            if moved:
                                tx.update(tx.uow.repository(kind.cls), case)
                    except ConcurrencyError:
                        conflicts += 1
                        continue
                    moves.extend(moved)
                handled += len(page)
                if page and progress is not None:
                    progress(handled)
                if len(page) < batch:
                    break
        return SlaRecomputeResult(examined=examined, moves=tuple(moves), conflicts=conflicts)

    def _require_sla(self) -> SlaService:
        if self._sla is None:
            raise ConfigurationError(
                "this service desk runs no SLA clocks: pass sla=SlaService(calendar) or set a calendar in the config"
            )
        return self._sla

    @property
    def sla(self) -> SlaService | None:
        """The SLA service keeping the clocks, if the desk runs any."""
        return self._sla

    # --- notifications ------------------------------------------------------

    @query
    def pending_notifications(self, *, limit: int = 100, actor: Actor | None = None) -> Sequence[OutboxMessage]:
        """Outbox messages not yet delivered, oldest first."""
        with self._storage.unit_of_work() as uow:
            return uow.outbox.pending(limit=limit)

    @command
    def dispatch_notifications(
        self,
        *,
        limit: int = 100,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
        actor: Actor | None = None,
    ) -> DispatchResult:
        """Deliver up to ``limit`` due outbox messages through the notifier, at least once.

        Delegates to :class:`~servicecore.application.dispatcher.Dispatcher`: each
        message is claimed, sent with no transaction open (the notifier call is
        bounded by the ``retry`` policy's ``timeout``) and its result recorded: it
        is marked delivered, or failed with the error and retried after an
        exponential back-off; after ``max_attempts`` attempts (default: the
        ``retry`` policy's, 5) it is parked as finally failed and never holds up
        the others. A notifier failure never touches the state change that
        produced the message.
        """
        policy = retry or RetryPolicy()
        if max_attempts is not None:
            policy = attrs.evolve(policy, max_attempts=max_attempts)
        dispatcher = Dispatcher(storage=self._storage, notifier=self._notifier, clock=self._clock, retry=policy)
        return dispatcher.dispatch(limit=limit)


__all__ = ["BUILT_IN_TEMPLATES", "DispatchResult", "ServiceDesk", "default_sla"]
