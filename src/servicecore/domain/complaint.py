"""Complaint: a customer's complaint, from intake to closure (投诉处理: complaint handling).

received → acknowledged → investigating → resolved → closed (the customer confirms,
or stays silent for a configurable period after the reply); the customer may
reopen a resolved complaint (back to investigating, the count is kept), and may
withdraw it from any open state. While under investigation a complaint can raise
violations against staff; their ids are linked here and the violation's source
names the complaint.

Separation of duties: nobody the complaint is about (the staff named in its
subject, and whoever worked on the request or work order, recorded at intake as
``work_staff_ids``) takes any step on it after intake.

A complaint about a charge can carry the disputed amount as :class:`Money`
(``disputed_amount``); the investigator records evidence (statements, photos,
records: who collected it and when) as a violation's investigator does; and the
resolution states its :class:`ComplaintOutcome`: remedied, not upheld, or the
disputed charge maintained (an explanation, no remedy).

Categories work as severities do: the built-in ones are :class:`ComplaintCategory`
members; any other non-blank text is a custom category, through the one extension
point shared with violation categories
(:func:`~servicecore.domain.values.parse_category`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from servicecore.domain import events as ev
from servicecore.domain.aggregate import (
    SlaTrackedAggregate,
    event_fields,
    record,
    require_status,
    shared_fields_last,
    started,
)
from servicecore.domain.errors import (
    BusinessRuleError,
    PermissionDeniedError,
    SeparationOfDutiesError,
    ValidationError,
)
from servicecore.domain.evidence import EvidenceItem, EvidenceKind, next_evidence_item
from servicecore.domain.fields import AsCategory, AsEnum
from servicecore.domain.service_request import Channel
from servicecore.domain.values import (
    Actor,
    ActorId,
    ActorRef,
    ComplaintId,
    Customer,
    EvidenceRef,
    Money,
    RequestId,
    ViolationId,
    WorkOrderId,
    as_tuple,
    aware,
    check_aware,
    check_id,
    check_positive_money,
    check_text,
    describe,
    describe_names,
    identifier,
    instance_of,
    non_empty,
    optional_text,
    parse_category,
    with_article,
)
from servicecore.domain.work_order import WorkOrder


class ComplaintCategory(enum.StrEnum):
    """The built-in complaint categories; any other non-blank text is a custom category
    (see :func:`~servicecore.domain.values.parse_category`)."""

    ATTITUDE = "attitude"
    QUALITY = "quality"
    DELAY = "delay"
    BILLING = "billing"
    PRIVACY = "privacy"
    OTHER = "other"


def category_text(field: str, value: object, known: type[enum.StrEnum]) -> str:
    """A category as stored: a member's value, or custom non-blank text (stripped).

    >>> category_text("category", ComplaintCategory.DELAY, ComplaintCategory)
    'delay'
    >>> category_text("category", "  noise at night ", ComplaintCategory)
    'noise at night'
    """
    return str(parse_category(known, field, value))


class ComplaintSeverity(enum.StrEnum):
    """How serious the complaint is."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


def staff_id_tuple(field: str, value: Iterable[ActorId]) -> tuple[ActorId, ...]:
    """Staff ids as a tuple: each a non-blank string, no repeats."""
    ids = as_tuple(field, value)
    for index, item in enumerate(ids):
        check_id(f"{field}[{index}]", item)
    if len(set(ids)) != len(ids):
        raise ValidationError(field, f"must not repeat an id, got {describe(list(ids))}")
    return ids


def _subject_staff(value: Iterable[ActorId]) -> tuple[ActorId, ...]:
    return staff_id_tuple("staff_ids", value)


def _optional_id(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_id(attribute.name, value)


@attrs.frozen(kw_only=True)
class ComplaintSubject:
    """What the complaint is about: a request, a work order and/or staff members (at least one)."""

    request_id: RequestId | None = attrs.field(default=None, validator=_optional_id)
    work_order_id: WorkOrderId | None = attrs.field(default=None, validator=_optional_id)
    staff_ids: tuple[ActorId, ...] = attrs.field(default=(), converter=_subject_staff)

    def __attrs_post_init__(self) -> None:
        if self.request_id is None and self.work_order_id is None and not self.staff_ids:
            raise ValidationError("subject", "name a request, a work order or a staff member the complaint is about")


class RemedyKind(enum.StrEnum):
    """What the customer is offered to put things right."""

    APOLOGY = "apology"
    REDO = "redo"
    REFUND = "refund"
    COMPENSATION = "compensation"


_PAID = frozenset({RemedyKind.REFUND, RemedyKind.COMPENSATION})


@attrs.frozen(kw_only=True)
class Remedy:
    """One remedy. Refunds and compensation carry an amount; a redo names the new work order."""

    kind: RemedyKind = attrs.field(converter=AsEnum[RemedyKind])
    amount: Money | None = None
    work_order_id: WorkOrderId | None = attrs.field(default=None, validator=_optional_id)
    note: str = attrs.field(default="", validator=optional_text)

    def __attrs_post_init__(self) -> None:
        if self.kind in _PAID:
            check_positive_money("amount", self.amount)
        elif self.amount is not None:
            raise ValidationError(
                "amount", f"{with_article(self.kind.value)} remedy carries no amount, got {self.amount}"
            )
        if self.kind is RemedyKind.REDO and self.work_order_id is None:
            raise ValidationError("work_order_id", "a redo names the new work order that redoes the service")
        if self.kind is not RemedyKind.REDO and self.work_order_id is not None:
            raise ValidationError(
                "work_order_id", f"only a redo names a work order, not {with_article(self.kind.value)}"
            )


def _remedy_tuple(value: Iterable[Remedy]) -> tuple[Remedy, ...]:
    return as_tuple("remedies", value, of=Remedy)


class ComplaintOutcome(enum.StrEnum):
    """What the investigation concluded, as the reply tells the customer."""

    REMEDIED = "remedied"
    """The complaint is founded (wholly or in part): at least one remedy is offered."""
    NOT_UPHELD = "not_upheld"
    """The complaint is unfounded: the reply explains why; no remedy."""
    CHARGE_MAINTAINED = "charge_maintained"
    """The disputed charge stands: the reply explains it; no remedy, nothing is refunded."""


def _implied_outcome(resolution: ComplaintResolution) -> ComplaintOutcome:
    # resolutions stored before outcomes existed: remedies meant remedied, none meant not upheld
    return ComplaintOutcome.REMEDIED if resolution.remedies else ComplaintOutcome.NOT_UPHELD


@attrs.frozen(kw_only=True)
class ComplaintResolution:
    """How the complaint was resolved and what the customer was told (the reply).

    ``outcome`` and ``remedies`` agree: a remedied complaint offers at least one
    remedy; one not upheld, or whose charge is maintained, offers none.
    """

    summary: str = attrs.field(validator=non_empty)
    remedies: tuple[Remedy, ...] = attrs.field(default=(), converter=_remedy_tuple)
    outcome: ComplaintOutcome = attrs.field(
        default=attrs.Factory(_implied_outcome, takes_self=True), converter=AsEnum[ComplaintOutcome]
    )
    reply: str = attrs.field(validator=non_empty)
    resolved_by: ActorRef
    resolved_at: datetime = attrs.field(validator=aware)

    def __attrs_post_init__(self) -> None:
        if self.outcome is ComplaintOutcome.REMEDIED and not self.remedies:
            raise ValidationError("remedies", "a remedied complaint offers at least one remedy; none was given")
        if self.outcome is not ComplaintOutcome.REMEDIED and self.remedies:
            kinds = describe_names(r.kind.value for r in self.remedies)
            raise ValidationError(
                "remedies", f"a {self.outcome.value} resolution offers no remedy, got {kinds}; use outcome 'remedied'"
            )

    @property
    def maintains_charge(self) -> bool:
        """True if the disputed charge stands (an explanation, no remedy)."""
        return self.outcome is ComplaintOutcome.CHARGE_MAINTAINED

    @property
    def replied_at(self) -> datetime:
        """When the reply was sent (the silence period runs from here)."""
        return self.resolved_at


@attrs.frozen(kw_only=True)
class ComplaintAcknowledgement:
    """The first response to the complainant."""

    by: ActorRef
    at: datetime = attrs.field(validator=aware)
    message: str = attrs.field(validator=non_empty)


class ComplaintClosureKind(enum.StrEnum):
    """How a resolved complaint came to be closed."""

    CONFIRMED = "confirmed"
    SILENCE = "silence"


@attrs.frozen(kw_only=True)
class ComplaintClosure:
    """When and how the complaint was closed."""

    how: ComplaintClosureKind
    by: ActorRef
    at: datetime = attrs.field(validator=aware)
    note: str = attrs.field(default="", validator=optional_text)


class ComplaintStatus(enum.StrEnum):
    """States of a :class:`Complaint`."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


TERMINAL_STATES = frozenset({ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN})
OPEN_STATES = frozenset(ComplaintStatus) - TERMINAL_STATES
MAX_SILENCE = timedelta(days=366)
"""The longest silence period after a reply that may close a complaint without the customer's answer."""


def _work_staff(value: Iterable[ActorId]) -> tuple[ActorId, ...]:
    return staff_id_tuple("work_staff_ids", value)


def _disputed(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_positive_money(attribute.name, value)


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class Complaint(SlaTrackedAggregate):
    """A customer's complaint. Create it with :meth:`receive`."""

    kind: ClassVar[str] = "Complaint"
    id_kind: ClassVar[str] = "complaint"

    id: ComplaintId = attrs.field(validator=identifier)
    complainant: Customer = attrs.field(validator=instance_of(Customer))
    subject: ComplaintSubject = attrs.field(validator=instance_of(ComplaintSubject))
    channel: Channel = attrs.field(converter=AsEnum[Channel])
    category: ComplaintCategory | str = attrs.field(converter=AsCategory[ComplaintCategory])
    """A :class:`ComplaintCategory`, or custom text (see :attr:`is_category_custom`)."""
    severity: ComplaintSeverity = attrs.field(converter=AsEnum[ComplaintSeverity])
    description: str = attrs.field(validator=non_empty)
    received_at: datetime = attrs.field(validator=aware)
    work_staff_ids: tuple[ActorId, ...] = attrs.field(default=(), converter=_work_staff)
    """Staff whose work the complaint is about (e.g. the work order's assignees), recorded at intake."""
    disputed_amount: Money | None = attrs.field(default=None, validator=_disputed)
    """The amount the customer disputes (e.g. a damage charge of 3 × 50 CNY), if the complaint is about money."""
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    acknowledgement: ComplaintAcknowledgement | None = None
    investigator: ActorRef | None = None
    violation_ids: tuple[ViolationId, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    """Evidence the investigation gathered (statements, photos, records), numbered from 1."""
    resolutions: tuple[ComplaintResolution, ...] = ()
    """Every resolution, oldest first; a reopened complaint keeps the ones the customer rejected."""
    reopen_count: int = 0
    closure: ComplaintClosure | None = None
    withdrawal_reason: str = attrs.field(default="", validator=optional_text)

    @classmethod
    def receive(
        cls,
        *,
        id: ComplaintId,
        complainant: Customer,
        subject: ComplaintSubject,
        channel: Channel | str,
        category: ComplaintCategory | str,
        severity: ComplaintSeverity | str,
        description: str,
        actor: Actor,
        at: datetime,
        work_staff_ids: Iterable[ActorId] = (),
        disputed_amount: Money | None = None,
        work_orders: Iterable[WorkOrder] = (),
    ) -> Complaint:
        """Record a complaint in detail (who, about what, how it arrived, how serious, what amount is disputed).

        ``work_orders`` are the subject's work orders as loaded (the subject work
        order, or the subject request's): whoever worked on them (their assignees,
        and anyone who recorded work, a supervisor included) joins
        ``work_staff_ids``, so they never handle, rate or close this complaint.
        """
        check_aware("at", at)
        staff = _work_staff(work_staff_ids)
        orders = as_tuple("work_orders", work_orders, of=WorkOrder)
        worked = {a for order in orders for a in (*order.assignees, *order.worked_by)}
        complaint = cls(
            id=id,
            complainant=complainant,
            subject=subject,
            channel=channel,
            category=category,
            severity=severity,
            description=description,
            received_at=at,
            work_staff_ids=staff if not worked else sorted({*staff, *worked}),
            disputed_amount=disputed_amount,
        )
        disputed = "" if complaint.disputed_amount is None else f", disputes {complaint.disputed_amount}"
        return started(
            complaint,
            action="receive",
            actor=actor,
            at=at,
            note=f"{complaint.category}, {complaint.severity.value}, via {complaint.channel.value}{disputed}",
            event=ev.ComplaintReceived(
                **event_fields(complaint, at, actor),
                customer_id=complainant.id,
                channel=complaint.channel.value,
                category=str(complaint.category),
                severity=complaint.severity.value,
            ),
        )

    # --- reading ------------------------------------------------------------

    @property
    def is_terminal(self) -> bool:
        """True once closed or withdrawn."""
        return self.status in TERMINAL_STATES

    @property
    def resolution(self) -> ComplaintResolution | None:
        """The resolution in force: the latest, while the complaint is resolved or closed after one."""
        if self.status in {ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED} and self.resolutions:
            return self.resolutions[-1]
        return None

    @property
    def conflicted_staff_ids(self) -> frozenset[ActorId]:
        """Staff the complaint is about; none of them may act on it after intake."""
        return frozenset((*self.subject.staff_ids, *self.work_staff_ids))

    @property
    def is_category_custom(self) -> bool:
        """True if the category is not one of :class:`ComplaintCategory`."""
        return not isinstance(self.category, ComplaintCategory)

    @property
    def outcome(self) -> ComplaintOutcome | None:
        """The outcome of the resolution in force, if any."""
        resolution = self.resolution
        return None if resolution is None else resolution.outcome

    def silence_ends_at(self, silence: timedelta) -> datetime:
        """When a resolved complaint may be closed for lack of an answer to the reply."""
        resolution = self.resolution
        if self.status is not ComplaintStatus.RESOLVED or resolution is None:
            raise BusinessRuleError("Complaint", self.id, f"is {self.status.value!r}; no reply is awaiting an answer")
        return resolution.replied_at + _silence(silence)

    # --- commands -----------------------------------------------------------

    def acknowledge(self, *, actor: Actor, at: datetime, message: str) -> Complaint:
        """Tell the complainant the complaint was received and is being handled."""
        self._check(actor, at, "acknowledge", {ComplaintStatus.RECEIVED})
        ack = ComplaintAcknowledgement(by=actor.ref, at=at, message=check_text("message", message))
        return record(
            self,
            action="acknowledge",
            actor=actor,
            at=at,
            to=ComplaintStatus.ACKNOWLEDGED,
            note=ack.message,
            acknowledgement=ack,
            events=[ev.ComplaintAcknowledged(**event_fields(self, at, actor), customer_id=self.complainant.id)],
        )

    def start_investigation(
        self, *, actor: Actor, at: datetime, investigator: Actor | None = None, note: str = ""
    ) -> Complaint:
        """Begin the investigation; ``investigator`` (default: ``actor``) handles it from now on."""
        self._check(actor, at, "start_investigation", {ComplaintStatus.ACKNOWLEDGED})
        if investigator is not None and not isinstance(investigator, Actor):
            raise ValidationError("investigator", f"must be an Actor or None, got {describe(investigator)}")
        handler = actor if investigator is None else investigator
        self._require_independent(handler, "start_investigation", "investigate")
        return record(
            self,
            action="start_investigation",
            actor=actor,
            at=at,
            to=ComplaintStatus.INVESTIGATING,
            note=check_text("note", note, optional=True) or f"investigator {handler.name}",
            investigator=handler.ref,
            events=[ev.ComplaintInvestigationStarted(**event_fields(self, at, actor), investigator_id=handler.id)],
        )

    def link_violation(self, *, actor: Actor, at: datetime, violation_id: ViolationId) -> Complaint:
        """Record a violation raised from this complaint's investigation (its source names this complaint)."""
        self._check(actor, at, "link_violation", {ComplaintStatus.INVESTIGATING})
        linked = ViolationId(check_text("violation_id", violation_id))
        if linked in self.violation_ids:
            raise BusinessRuleError("Complaint", self.id, f"violation {linked} is already linked")
        return record(
            self,
            action="link_violation",
            actor=actor,
            at=at,
            note=f"violation {linked}",
            violation_ids=(*self.violation_ids, linked),
        )

    def add_evidence(
        self,
        *,
        actor: Actor,
        at: datetime,
        kind: EvidenceKind | str,
        description: str,
        reference: EvidenceRef | None = None,
    ) -> Complaint:
        """Record an evidence item (a statement, a photo, a record); only the investigator may.

        The item is numbered and keeps who collected it and when; ``reference``
        points to the file in the host's document store.
        """
        action = "add_evidence"
        self._check(actor, at, action, {ComplaintStatus.INVESTIGATING})
        assert self.investigator is not None  # a complaint under investigation has one
        if actor.id != self.investigator.id:
            raise PermissionDeniedError(
                actor.id,
                f"{action} on complaint {self.id}",
                f"only the investigator may; investigator: {self.investigator.name} ({self.investigator.id})",
            )
        item = next_evidence_item(
            self.evidence, kind=kind, description=description, collected_by=actor.ref, at=at, reference=reference
        )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            note=f"#{item.number} {item.kind.value}: {item.description}",
            evidence=(*self.evidence, item),
            events=[
                ev.ComplaintEvidenceAdded(
                    **event_fields(self, at, actor),
                    evidence_number=item.number,
                    evidence_kind=item.kind.value,
                )
            ],
        )

    def resolve(
        self,
        *,
        actor: Actor,
        at: datetime,
        summary: str,
        reply: str,
        remedies: Iterable[Remedy] = (),
        outcome: ComplaintOutcome | str | None = None,
    ) -> Complaint:
        """Resolve the complaint: what was found, what is offered, and the reply sent to the customer.

        ``outcome`` defaults to ``remedied`` when remedies are given and
        ``not_upheld`` when none are (a complaint found unfounded still gets a
        reasoned reply); ``charge_maintained`` says the disputed charge stands,
        with the reply as the explanation and no remedy.
        """
        self._check(actor, at, "resolve", {ComplaintStatus.INVESTIGATING})
        offered = _remedy_tuple(remedies)
        if outcome is None:
            outcome = ComplaintOutcome.REMEDIED if offered else ComplaintOutcome.NOT_UPHELD
        resolution = ComplaintResolution(
            summary=check_text("summary", summary),
            remedies=offered,
            outcome=outcome,
            reply=check_text("reply", reply),
            resolved_by=actor.ref,
            resolved_at=at,
        )
        kinds = tuple(r.kind.value for r in resolution.remedies)
        if resolution.maintains_charge:
            found = "; the charge is maintained" + (
                "" if self.disputed_amount is None else f" ({self.disputed_amount})"
            )
        else:
            found = f" (remedies: {', '.join(kinds)})" if kinds else ""
        return record(
            self,
            action="resolve",
            actor=actor,
            at=at,
            to=ComplaintStatus.RESOLVED,
            note=resolution.summary + found,
            resolutions=(*self.resolutions, resolution),
            events=[
                ev.ComplaintResolved(
                    **event_fields(self, at, actor),
                    customer_id=self.complainant.id,
                    remedies=kinds,
                    outcome=resolution.outcome.value,
                )
            ],
        )

    def confirm_resolution(self, *, actor: Actor, at: datetime, note: str = "") -> Complaint:
        """The customer accepts the resolution; the complaint closes."""
        self._check(actor, at, "confirm_resolution", {ComplaintStatus.RESOLVED})
        return self._close(actor, at, ComplaintClosureKind.CONFIRMED, note, "confirm_resolution")

    def close_after_silence(self, *, actor: Actor, at: datetime, silence: timedelta, note: str = "") -> Complaint:
        """Close a resolved complaint the customer has not answered for ``silence`` since the reply.

        Refused (:class:`BusinessRuleError` naming when the period ends) before then.
        """
        self._check(actor, at, "close_after_silence", {ComplaintStatus.RESOLVED})
        ends = self.silence_ends_at(silence)
        if at < ends:
            raise BusinessRuleError(
                "Complaint",
                self.id,
                f"the customer was replied to at {self.resolutions[-1].replied_at.isoformat()}; with a silence "
                f"period of {silence} it may be closed without an answer only from {ends.isoformat()}",
            )
        return self._close(
            actor,
            at,
            ComplaintClosureKind.SILENCE,
            check_text("note", note, optional=True) or f"no answer within {silence}",
            "close_after_silence",
        )

    def reopen(self, *, actor: Actor, at: datetime, reason: str) -> Complaint:
        """The customer is not satisfied with the resolution: back to investigation, count kept."""
        self._check(actor, at, "reopen", {ComplaintStatus.RESOLVED})
        text = check_text("reason", reason)
        count = self.reopen_count + 1
        assert self.investigator is not None  # a resolved complaint was investigated
        return record(
            self,
            action="reopen",
            actor=actor,
            at=at,
            to=ComplaintStatus.INVESTIGATING,
            note=text,
            reopen_count=count,
            events=[
                ev.ComplaintReopened(
                    **event_fields(self, at, actor),
                    reopen_count=count,
                    investigator_id=self.investigator.id,
                )
            ],
        )

    def withdraw(self, *, actor: Actor, at: datetime, reason: str) -> Complaint:
        """The complainant withdraws the complaint, from any open state."""
        self._check(actor, at, "withdraw", OPEN_STATES)
        text = check_text("reason", reason)
        return record(
            self,
            action="withdraw",
            actor=actor,
            at=at,
            to=ComplaintStatus.WITHDRAWN,
            note=text,
            withdrawal_reason=text,
            events=[ev.ComplaintWithdrawn(**event_fields(self, at, actor), reason=text)],
        )

    # --- rules --------------------------------------------------------------

    def _check(self, actor: Actor, at: datetime, action: str, allowed: Iterable[ComplaintStatus]) -> None:
        require_status(self, action, frozenset(allowed), at=at)
        self._require_independent(actor, action, "act on")

    def _require_independent(self, person: Actor, action: str, verb: str) -> None:
        if person.id in self.conflicted_staff_ids:
            raise SeparationOfDutiesError(
                person.id,
                f"{action} complaint {self.id}",
                f"the complaint is about {person.name}'s own work; they may not {verb} it",
            )

    def _close(self, actor: Actor, at: datetime, how: ComplaintClosureKind, note: str, action: str) -> Complaint:
        closure = ComplaintClosure(how=how, by=actor.ref, at=at, note=note)
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ComplaintStatus.CLOSED,
            note=check_text("note", note, optional=True) or how.value,
            closure=closure,
            events=[
                ev.ComplaintClosed(
                    **event_fields(self, at, actor),
                    customer_id=self.complainant.id,
                    how=how.value,
                )
            ],
        )


def _silence(value: object) -> timedelta:
    if not isinstance(value, timedelta):
        raise ValidationError("silence", f"must be a timedelta, got {type(value).__name__}")
    if value <= timedelta(0):
        raise ValidationError("silence", f"must be longer than zero, got {value}")
    if value > MAX_SILENCE:  # a reply date plus timedelta.max overflows
        raise ValidationError("silence", f"may be at most {MAX_SILENCE.days} days, got {value}")
    return value


__all__ = [
    "MAX_SILENCE",
    "Complaint",
    "ComplaintAcknowledgement",
    "ComplaintCategory",
    "ComplaintClosure",
    "ComplaintClosureKind",
    "ComplaintOutcome",
    "ComplaintResolution",
    "ComplaintSeverity",
    "ComplaintStatus",
    "ComplaintSubject",
    "Remedy",
    "RemedyKind",
    "category_text",
    "staff_id_tuple",
]
