"""ServiceAgreement: the proposal, its internal review and the customer's confirmation.

Drawing up and reviewing a plan (方案制定, 方案审核与沟通): a plan with service content, standards,
schedule and fees is reviewed internally by someone other than its author, then
offered to the customer, who confirms, declines or asks for changes. A change
request opens revision n+1; revision n stays readable, and a confirmed revision
never changes again.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import Aggregate, event_fields, record, require_status, shared_fields_last, started
from servicecore.domain.errors import BusinessRuleError, SeparationOfDutiesError, ValidationError
from servicecore.domain.fields import AsEnum
from servicecore.domain.values import (
    AcceptanceId,
    Actor,
    ActorRef,
    AgreementId,
    CustomerId,
    Money,
    RequestId,
    WorkOrderId,
    as_tuple,
    aware,
    check_aware,
    check_text,
    describe,
    identifier,
    instance_of,
    is_bool,
    non_empty,
    non_empty_line,
    optional_aware,
    optional_identifier,
    optional_text,
    parse_decimal,
)
from servicecore.sla.policy import ServiceLevel


class InspectionMethod(enum.StrEnum):
    """How an acceptance criterion is checked."""

    DOCUMENT_REVIEW = "document_review"
    SITE_CHECK = "site_check"
    FUNCTIONAL_TEST = "functional_test"


@attrs.frozen
class AcceptanceCriterion:
    """One thing the customer will check at acceptance, and how."""

    code: str = attrs.field(validator=non_empty_line)
    description: str = attrs.field(validator=non_empty)
    method: InspectionMethod = attrs.field(converter=AsEnum[InspectionMethod])
    required: bool = attrs.field(default=True, validator=is_bool)


def _quantity(value: Decimal | int | str) -> Decimal:
    return parse_decimal("quantity", value)


def _positive(_: Any, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(attribute.name, f"must be greater than zero, got {value}")


def _non_negative_money(_: Any, attribute: attrs.Attribute[Any], value: Money) -> None:
    if not isinstance(value, Money):
        raise ValidationError(attribute.name, f"must be Money, got {type(value).__name__}")
    if value.amount < 0:
        raise ValidationError(attribute.name, f"must not be negative, got {value}")


@attrs.frozen
class ServiceItem:
    """One line of the proposal: what is done, to which standard, how much, at what price."""

    content: str = attrs.field(validator=non_empty)
    standard: str = attrs.field(validator=non_empty_line)
    quantity: Decimal = attrs.field(converter=_quantity, validator=_positive)
    unit: str = attrs.field(validator=non_empty_line)
    unit_price: Money = attrs.field(validator=_non_negative_money)

    @property
    def total(self) -> Money:
        """``quantity × unit_price``, rounded half-up to the currency's minor unit."""
        return self.unit_price.times(self.quantity).rounded()


@attrs.frozen
class Schedule:
    """When and where the service is delivered."""

    start: datetime = attrs.field(validator=aware)
    end: datetime = attrs.field(validator=aware)
    place: str = attrs.field(validator=non_empty)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("schedule.end", f"must be after schedule.start ({self.start.isoformat()})")


def _item_tuple(value: Iterable[ServiceItem]) -> tuple[ServiceItem, ...]:
    return as_tuple("items", value, of=ServiceItem)


def _service_levels(value: Iterable[ServiceLevel]) -> tuple[ServiceLevel, ...]:
    return as_tuple("service_levels", value, of=ServiceLevel)


def criterion_tuple(value: Iterable[AcceptanceCriterion]) -> tuple[AcceptanceCriterion, ...]:
    """Accept any iterable of criteria; store a tuple."""
    return as_tuple("criteria", value, of=AcceptanceCriterion)


def _items(_: Any, attribute: attrs.Attribute[Any], value: tuple[ServiceItem, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, "an agreement needs at least one service item")
    currencies = {item.unit_price.currency for item in value}
    if len(currencies) > 1:
        raise ValidationError(attribute.name, f"all items must share one currency, got {describe(sorted(currencies))}")


def _criteria(_: Any, attribute: attrs.Attribute[Any], value: tuple[AcceptanceCriterion, ...]) -> None:
    if not any(c.required for c in value):
        raise ValidationError(attribute.name, "at least one required acceptance criterion is needed")
    counts = Counter(c.code for c in value)
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        raise ValidationError(attribute.name, f"criterion codes must be unique, repeated: {describe(duplicates)}")


@attrs.frozen(kw_only=True)
class AgreementTerms:
    """The content of one revision: items, schedule, process and acceptance criteria."""

    items: tuple[ServiceItem, ...] = attrs.field(converter=_item_tuple, validator=_items)
    schedule: Schedule = attrs.field(validator=instance_of(Schedule))
    criteria: tuple[AcceptanceCriterion, ...] = attrs.field(converter=criterion_tuple, validator=_criteria)
    process: str = attrs.field(default="", validator=optional_text)
    notes: str = attrs.field(default="", validator=optional_text)
    service_levels: tuple[ServiceLevel, ...] = attrs.field(default=(), converter=_service_levels)
    """The service standards the agreement states (服务标准): targets that replace the desk's
    default ones for its request, work orders and acceptance once the customer confirms."""

    @property
    def fee_total(self) -> Money:
        """Sum of every item's total."""
        currency = self.items[0].unit_price.currency
        return Money.total((item.total for item in self.items), currency)


class RevisionStatus(enum.StrEnum):
    """Where one revision stands."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CHANGE_REQUESTED = "change_requested"


@attrs.frozen(kw_only=True)
class AgreementRevision:
    """One numbered version of the proposal, with its review and customer outcome."""

    number: int
    terms: AgreementTerms = attrs.field(validator=instance_of(AgreementTerms))
    author: ActorRef
    created_at: datetime = attrs.field(validator=aware)
    contributors: tuple[ActorRef, ...] = ()
    """Everyone who wrote this revision's content (the author and whoever revised it)."""
    status: RevisionStatus = RevisionStatus.DRAFT
    reviewer: ActorRef | None = None
    review_comments: str = attrs.field(default="", validator=optional_text)
    customer_comments: str = attrs.field(default="", validator=optional_text)
    confirmed_at: datetime | None = attrs.field(default=None, validator=optional_aware)


class AgreementStatus(enum.StrEnum):
    """States of a :class:`ServiceAgreement`."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ACTIVE = "active"
    FULFILLED = "fulfilled"
    TERMINATED = "terminated"


TERMINAL_STATES = frozenset({AgreementStatus.DECLINED, AgreementStatus.FULFILLED, AgreementStatus.TERMINATED})


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class ServiceAgreement(Aggregate):
    """A proposal for a request and its path to an active agreement. Create with :meth:`draft`."""

    kind: ClassVar[str] = "ServiceAgreement"
    id_kind: ClassVar[str] = "agreement"

    id: AgreementId = attrs.field(validator=identifier)
    request_id: RequestId = attrs.field(validator=identifier)
    customer_id: CustomerId = attrs.field(validator=identifier)
    title: str = attrs.field(validator=non_empty)
    status: AgreementStatus = AgreementStatus.DRAFT
    revisions: tuple[AgreementRevision, ...] = ()
    end_reason: str = attrs.field(default="", validator=optional_text)
    work_order_ids: tuple[WorkOrderId, ...] = ()
    acceptance_id: AcceptanceId | None = attrs.field(default=None, validator=optional_identifier)

    @classmethod
    def draft(
        cls,
        *,
        id: AgreementId,
        request_id: RequestId,
        customer_id: CustomerId,
        title: str,
        terms: AgreementTerms,
        actor: Actor,
        at: datetime,
    ) -> ServiceAgreement:
        """Draft revision 1 of a proposal; ``actor`` is its author."""
        check_aware("at", at)
        revision = AgreementRevision(number=1, terms=terms, author=actor.ref, created_at=at, contributors=(actor.ref,))
        agreement = cls(id=id, request_id=request_id, customer_id=customer_id, title=title, revisions=(revision,))
        return started(
            agreement,
            action="draft",
            actor=actor,
            at=at,
            event=ev.AgreementDrafted(**event_fields(agreement, at, actor), request_id=request_id),
        )

    # --- reading ------------------------------------------------------------

    @property
    def current(self) -> AgreementRevision:
        """The latest revision (the one being worked on, offered or confirmed)."""
        return self.revisions[-1]

    @property
    def confirmed_revision(self) -> AgreementRevision | None:
        """The revision the customer confirmed, if any."""
        for revision in self.revisions:
            if revision.status is RevisionStatus.CONFIRMED:
                return revision
        return None

    @property
    def is_terminal(self) -> bool:
        """True once nothing more can happen to the agreement."""
        return self.status in TERMINAL_STATES

    # --- commands -----------------------------------------------------------

    def revise(self, *, actor: Actor, at: datetime, terms: AgreementTerms, note: str = "") -> ServiceAgreement:
        """Replace the content of the current draft (or returned) revision."""
        require_status(self, "revise", {AgreementStatus.DRAFT, AgreementStatus.RETURNED}, at=at)
        current = self.current
        contributors = current.contributors
        if actor.id not in {c.id for c in contributors}:
            contributors = (*contributors, actor.ref)
        # the previous review was of other content: it stays in history, not on the revision
        revision = attrs.evolve(
            current,
            terms=terms,
            contributors=contributors,
            status=RevisionStatus.DRAFT,
            reviewer=None,
            review_comments="",
        )
        return record(
            self,
            action="revise",
            actor=actor,
            at=at,
            to=AgreementStatus.DRAFT,
            note=note,
            revisions=self._with_current(revision),
            events=[ev.AgreementRevised(**event_fields(self, at, actor), revision=revision.number)],
        )

    def submit_for_review(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceAgreement:
        """Send the current revision for internal review."""
        require_status(self, "submit_for_review", {AgreementStatus.DRAFT, AgreementStatus.RETURNED}, at=at)
        revision = attrs.evolve(self.current, status=RevisionStatus.IN_REVIEW)
        return record(
            self,
            action="submit_for_review",
            actor=actor,
            at=at,
            to=AgreementStatus.IN_REVIEW,
            note=note,
            revisions=self._with_current(revision),
            events=[ev.AgreementSubmittedForReview(**event_fields(self, at, actor), revision=revision.number)],
        )

    def approve(self, *, reviewer: Actor, at: datetime, comments: str = "") -> ServiceAgreement:
        """Internal approval. The reviewer may not be the revision's author."""
        require_status(self, "approve", {AgreementStatus.IN_REVIEW}, at=at)
        self._require_independent_reviewer(reviewer, "approve")
        revision = attrs.evolve(
            self.current, status=RevisionStatus.APPROVED, reviewer=reviewer.ref, review_comments=comments
        )
        return record(
            self,
            action="approve",
            actor=reviewer,
            at=at,
            to=AgreementStatus.APPROVED,
            note=comments,
            revisions=self._with_current(revision),
            events=[ev.AgreementApproved(**event_fields(self, at, reviewer), revision=revision.number)],
        )

    def return_for_changes(self, *, reviewer: Actor, at: datetime, comments: str) -> ServiceAgreement:
        """Internal review sends the revision back to its author with comments."""
        require_status(self, "return_for_changes", {AgreementStatus.IN_REVIEW}, at=at)
        self._require_independent_reviewer(reviewer, "return_for_changes")
        text = check_text("comments", comments)
        revision = attrs.evolve(
            self.current, status=RevisionStatus.RETURNED, reviewer=reviewer.ref, review_comments=text
        )
        return record(
            self,
            action="return_for_changes",
            actor=reviewer,
            at=at,
            to=AgreementStatus.RETURNED,
            note=text,
            revisions=self._with_current(revision),
            events=[
                ev.AgreementReturned(
                    **event_fields(self, at, reviewer),
                    revision=revision.number,
                    author_id=revision.author.id,
                    comments=text,
                )
            ],
        )

    def offer(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceAgreement:
        """Send the approved revision to the customer."""
        require_status(self, "offer", {AgreementStatus.APPROVED}, at=at)
        revision = attrs.evolve(self.current, status=RevisionStatus.OFFERED)
        return record(
            self,
            action="offer",
            actor=actor,
            at=at,
            to=AgreementStatus.OFFERED,
            note=note,
            revisions=self._with_current(revision),
            events=[
                ev.AgreementOffered(
                    **event_fields(self, at, actor),
                    customer_id=self.customer_id,
                    revision=revision.number,
                )
            ],
        )

    def confirm(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceAgreement:
        """The customer confirms the offered revision; from now on it never changes."""
        require_status(self, "confirm", {AgreementStatus.OFFERED}, at=at)
        revision = attrs.evolve(self.current, status=RevisionStatus.CONFIRMED, confirmed_at=at, customer_comments=note)
        return record(
            self,
            action="confirm",
            actor=actor,
            at=at,
            to=AgreementStatus.CONFIRMED,
            note=note,
            revisions=self._with_current(revision),
            events=[ev.AgreementConfirmed(**event_fields(self, at, actor), revision=revision.number)],
        )

    def decline(self, *, actor: Actor, at: datetime, reason: str) -> ServiceAgreement:
        """The customer declines the offer; the agreement ends."""
        require_status(self, "decline", {AgreementStatus.OFFERED}, at=at)
        text = check_text("reason", reason)
        revision = attrs.evolve(self.current, status=RevisionStatus.DECLINED, customer_comments=text)
        return record(
            self,
            action="decline",
            actor=actor,
            at=at,
            to=AgreementStatus.DECLINED,
            note=text,
            end_reason=text,
            revisions=self._with_current(revision),
            events=[ev.AgreementDeclined(**event_fields(self, at, actor), revision=revision.number, reason=text)],
        )

    def request_change(self, *, actor: Actor, at: datetime, comments: str) -> ServiceAgreement:
        """The customer asks for changes: revision n is kept, revision n+1 opens as a draft."""
        require_status(self, "request_change", {AgreementStatus.OFFERED}, at=at)
        text = check_text("comments", comments)
        old = attrs.evolve(self.current, status=RevisionStatus.CHANGE_REQUESTED, customer_comments=text)
        new = AgreementRevision(
            number=old.number + 1, terms=old.terms, author=old.author, created_at=at, contributors=old.contributors
        )
        return record(
            self,
            action="request_change",
            actor=actor,
            at=at,
            to=AgreementStatus.DRAFT,
            note=text,
            revisions=(*self.revisions[:-1], old, new),
            events=[
                ev.AgreementChangeRequested(
                    **event_fields(self, at, actor),
                    revision=old.number,
                    new_revision=new.number,
                    comments=text,
                )
            ],
        )

    def activate(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceAgreement:
        """Put the confirmed agreement into force; work orders may now be created."""
        require_status(self, "activate", {AgreementStatus.CONFIRMED}, at=at)
        return record(
            self,
            action="activate",
            actor=actor,
            at=at,
            to=AgreementStatus.ACTIVE,
            note=note,
            events=[ev.AgreementActivated(**event_fields(self, at, actor))],
        )

    def link_work_order(self, *, actor: Actor, at: datetime, work_order_id: WorkOrderId) -> ServiceAgreement:
        """Record a work order created under this active agreement (none once acceptance is open)."""
        require_status(self, "link_work_order", {AgreementStatus.ACTIVE}, at=at)
        work_order_id = WorkOrderId(check_text("work_order_id", work_order_id))
        if self.acceptance_id is not None:
            raise BusinessRuleError(
                "ServiceAgreement", self.id, f"acceptance {self.acceptance_id} is open; no new work orders"
            )
        if work_order_id in self.work_order_ids:
            raise BusinessRuleError("ServiceAgreement", self.id, f"work order {work_order_id} is already linked")
        return record(
            self,
            action="link_work_order",
            actor=actor,
            at=at,
            note=f"work order {work_order_id}",
            work_order_ids=(*self.work_order_ids, work_order_id),
        )

    def link_acceptance(self, *, actor: Actor, at: datetime, acceptance_id: AcceptanceId) -> ServiceAgreement:
        """Record the acceptance opened for this agreement; there is only ever one."""
        require_status(self, "link_acceptance", {AgreementStatus.ACTIVE}, at=at)
        acceptance_id = AcceptanceId(check_text("acceptance_id", acceptance_id))
        if self.acceptance_id is not None:
            raise BusinessRuleError(
                "ServiceAgreement", self.id, f"acceptance {self.acceptance_id} is already open for this agreement"
            )
        return record(
            self,
            action="link_acceptance",
            actor=actor,
            at=at,
            note=f"acceptance {acceptance_id}",
            acceptance_id=acceptance_id,
        )

    def fulfil(self, *, actor: Actor, at: datetime, note: str = "") -> ServiceAgreement:
        """Everything agreed was delivered and accepted."""
        require_status(self, "fulfil", {AgreementStatus.ACTIVE}, at=at)
        return record(
            self,
            action="fulfil",
            actor=actor,
            at=at,
            to=AgreementStatus.FULFILLED,
            note=note,
            events=[ev.AgreementFulfilled(**event_fields(self, at, actor))],
        )

    def terminate(self, *, actor: Actor, at: datetime, reason: str) -> ServiceAgreement:
        """End the agreement early, from any non-terminal state, with a reason."""
        allowed = set(AgreementStatus) - TERMINAL_STATES
        require_status(self, "terminate", allowed, at=at)
        text = check_text("reason", reason)
        return record(
            self,
            action="terminate",
            actor=actor,
            at=at,
            to=AgreementStatus.TERMINATED,
            note=text,
            end_reason=text,
            events=[ev.AgreementTerminated(**event_fields(self, at, actor), reason=text)],
        )

    # --- rules --------------------------------------------------------------

    def _with_current(self, revision: AgreementRevision) -> tuple[AgreementRevision, ...]:
        return (*self.revisions[:-1], revision)

    def _require_independent_reviewer(self, reviewer: Actor, action: str) -> None:
        revision = self.current
        if reviewer.id == revision.author.id:
            rule = f"the reviewer may not be the author of revision {revision.number}"
        elif reviewer.id in {c.id for c in revision.contributors}:
            rule = f"the reviewer may not have revised revision {revision.number}"
        else:
            return
        raise SeparationOfDutiesError(reviewer.id, f"{action} agreement {self.id}", rule)


def criteria_of(agreement: ServiceAgreement) -> tuple[AcceptanceCriterion, ...]:
    """The acceptance criteria of the confirmed revision; raise if none is confirmed."""
    revision = agreement.confirmed_revision
    if revision is None:
        raise BusinessRuleError("ServiceAgreement", agreement.id, "has no confirmed revision to take criteria from")
    return revision.terms.criteria


__all__ = [
    "AcceptanceCriterion",
    "AgreementRevision",
    "AgreementStatus",
    "AgreementTerms",
    "InspectionMethod",
    "RevisionStatus",
    "Schedule",
    "ServiceAgreement",
    "ServiceItem",
    "criteria_of",
]
