"""Violation: a staff member's breach of the service rules (服务违规处理: handling breaches of the service rules).

reported → investigating (investigators assigned, evidence recorded with who and
when) → determined (who is responsible, and how much) → decided (sanctions,
compensation, the decider, the appeal deadline) → published (internal notice)
→ final, once nobody can appeal any more: the deadline has passed or everyone
the decision addresses has appealed, and no appeal is open. A determination in
which nobody bears responsibility ends the case as dismissed.

Appeals are their own aggregate (:class:`~servicecore.domain.appeal.Appeal`);
the violation keeps a record of each (:meth:`Violation.register_appeal`,
:meth:`Violation.conclude_appeal`) so that one appeal is open at a time and
each addressee appeals once. An upheld appeal appends a corrected decision:
earlier decisions are never changed or dropped, and the corrected one must be
published again. A final or dismissed case takes no further command; revisit it
with a new case that names it (``prior_case`` of :meth:`Violation.report`).

Separation of duties: the subject takes no part in handling their own case
(investigating, deciding, publishing, finalizing), nor does a responsible party
decide on their own sanctions.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
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
from servicecore.domain.values import (
    Actor,
    ActorId,
    ActorRef,
    AppealId,
    ComplaintId,
    EvidenceRef,
    Money,
    ViolationId,
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
    optional_aware,
    optional_identifier,
    optional_text,
    with_article,
)


class ViolationCategory(enum.StrEnum):
    """The built-in violation categories (违规行为界定: what counts as a breach); other non-blank text is a custom one
    (see :func:`~servicecore.domain.values.parse_category`)."""

    SERVICE_NORM_BREACH = "service_norm_breach"
    CUSTOMER_INFORMATION_LEAK = "customer_information_leak"
    QUALITY_FAILURE = "quality_failure"
    """A quality failure that caused a customer complaint."""
    ETHICS_BREACH = "ethics_breach"


def as_ref(field: str, value: object) -> ActorRef:
    """An :class:`Actor` or :class:`ActorRef` as the :class:`ActorRef` kept on record."""
    if isinstance(value, Actor):
        return value.ref
    if isinstance(value, ActorRef):
        return value
    raise ValidationError(field, f"must be an Actor or ActorRef, got {type(value).__name__}")


def people(field: str, value: Iterable[Actor | ActorRef]) -> tuple[ActorRef, ...]:
    """At least one person, as a tuple of :class:`ActorRef` without repeats."""
    refs = tuple(as_ref(f"{field}[{i}]", v) for i, v in enumerate(as_tuple(field, value)))
    if not refs:
        raise ValidationError(field, "name at least one person")
    ids = [r.id for r in refs]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValidationError(field, f"must not repeat a person, repeated: {repeated}")
    return refs


def _ref_converter(value: Actor | ActorRef) -> ActorRef:
    return as_ref("subject", value)


def _person(value: Actor | ActorRef) -> ActorRef:
    return as_ref("person", value)


class ViolationSourceKind(enum.StrEnum):
    """How the violation came to light."""

    COMPLAINT = "complaint"
    INSPECTION = "inspection"
    STAFF_REPORT = "staff_report"
    CUSTOMER_REPORT = "customer_report"


@attrs.frozen(kw_only=True)
class ViolationSource:
    """Where the case comes from: a complaint or an inspection (by id), or a report (by whom).

    Build one with :meth:`from_complaint`, :meth:`from_inspection`,
    :meth:`staff_report` or :meth:`customer_report`.
    """

    kind: ViolationSourceKind = attrs.field(converter=AsEnum[ViolationSourceKind])
    reference: str = attrs.field(default="", validator=optional_text)
    """The complaint id, or the acceptance/inspection id; optional for reports."""
    reported_by: ActorRef | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.reference, str):
            raise ValidationError("reference", f"must be a string, got {describe(self.reference)}")
        if self.kind in {ViolationSourceKind.COMPLAINT, ViolationSourceKind.INSPECTION} and not self.reference.strip():
            raise ValidationError(
                "reference", f"{with_article(self.kind.value)} source names the {self.kind.value} it comes from"
            )
        if self.kind is ViolationSourceKind.STAFF_REPORT and self.reported_by is None:
            raise ValidationError("reported_by", "a staff report names the staff member who reported")
        if self.reported_by is not None and not isinstance(self.reported_by, ActorRef):
            raise ValidationError("reported_by", f"must be an ActorRef, got {type(self.reported_by).__name__}")

    @classmethod
    def from_complaint(cls, complaint_id: ComplaintId) -> ViolationSource:
        """The case was raised while investigating this complaint."""
        return cls(kind=ViolationSourceKind.COMPLAINT, reference=check_text("complaint_id", complaint_id))

    @classmethod
    def from_inspection(cls, reference: str) -> ViolationSource:
        """The case came out of an inspection (an acceptance id, or an internal inspection's reference)."""
        return cls(kind=ViolationSourceKind.INSPECTION, reference=check_text("reference", reference))

    @classmethod
    def staff_report(cls, reporter: Actor | ActorRef, reference: str = "") -> ViolationSource:
        """A staff member reported it."""
        return cls(kind=ViolationSourceKind.STAFF_REPORT, reference=reference, reported_by=as_ref("reporter", reporter))

    @classmethod
    def customer_report(cls, reporter: Actor | ActorRef | None = None, reference: str = "") -> ViolationSource:
        """A customer reported it (the reporter is personal data: it never reaches the published notice)."""
        ref = None if reporter is None else as_ref("reporter", reporter)
        return cls(kind=ViolationSourceKind.CUSTOMER_REPORT, reference=reference, reported_by=ref)

    @property
    def complaint_id(self) -> ComplaintId | None:
        """The complaint this case was raised from, if any."""
        return ComplaintId(self.reference) if self.kind is ViolationSourceKind.COMPLAINT else None


class ResponsibilityDegree(enum.StrEnum):
    """How much responsibility a person bears (责任认定: 责任主体和责任程度 — who is responsible, and how much)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    NONE = "none"


@attrs.frozen(kw_only=True)
class Finding:
    """One person's responsibility, and why."""

    person: ActorRef = attrs.field(converter=_person)
    degree: ResponsibilityDegree = attrs.field(converter=AsEnum[ResponsibilityDegree])
    reason: str = attrs.field(default="", validator=optional_text)

    @property
    def responsible(self) -> bool:
        """True for primary or secondary responsibility."""
        return self.degree is not ResponsibilityDegree.NONE


def _finding_tuple(value: Iterable[Finding]) -> tuple[Finding, ...]:
    return as_tuple("findings", value, of=Finding)


@attrs.frozen(kw_only=True)
class Determination:
    """The outcome of the investigation: findings per person and a summary."""

    findings: tuple[Finding, ...] = attrs.field(converter=_finding_tuple)
    summary: str = attrs.field(validator=non_empty)
    determined_by: ActorRef
    determined_at: datetime = attrs.field(validator=aware)
    evidence_numbers: tuple[int, ...] = ()
    """The evidence items on record when responsibility was determined."""

    @property
    def responsible(self) -> tuple[Finding, ...]:
        """Findings of primary or secondary responsibility."""
        return tuple(f for f in self.findings if f.responsible)


class SanctionKind(enum.StrEnum):
    """Sanctions (处理决定: 警告, 罚款, 降职, 撤职, 解除劳动合同)."""

    WARNING = "warning"
    FINE = "fine"
    DEMOTION = "demotion"
    REMOVAL_FROM_POST = "removal_from_post"
    DISMISSAL = "dismissal"


@attrs.frozen(kw_only=True)
class Sanction:
    """One sanction on one person; a fine carries its amount."""

    person: ActorRef = attrs.field(converter=_person)
    kind: SanctionKind = attrs.field(converter=AsEnum[SanctionKind])
    amount: Money | None = None
    note: str = attrs.field(default="", validator=optional_text)

    def __attrs_post_init__(self) -> None:
        if self.kind is SanctionKind.FINE:
            check_positive_money("amount", self.amount)
        elif self.amount is not None:
            raise ValidationError("amount", f"only a fine carries an amount, not a {self.kind.value}")


@attrs.frozen(kw_only=True)
class Compensation:
    """Compensation a person must pay for the loss caused (赔偿)."""

    person: ActorRef = attrs.field(converter=_person)
    amount: Money = attrs.field()
    note: str = attrs.field(default="", validator=optional_text)

    @amount.validator
    def _amount(self, _: attrs.Attribute[Any], value: object) -> None:
        check_positive_money("amount", value)


def sanction_tuple(value: Iterable[Sanction]) -> tuple[Sanction, ...]:
    """Sanctions as a tuple (a caller's list is copied)."""
    return as_tuple("sanctions", value, of=Sanction)


def compensation_tuple(value: Iterable[Compensation]) -> tuple[Compensation, ...]:
    """Compensations as a tuple (a caller's list is copied)."""
    return as_tuple("compensations", value, of=Compensation)


def same_measures(
    a: tuple[tuple[Sanction, ...], tuple[Compensation, ...]], b: tuple[tuple[Sanction, ...], tuple[Compensation, ...]]
) -> bool:
    """True if two sets of sanctions and compensations impose the same measures (notes and order aside)."""

    def key(measures: tuple[tuple[Sanction, ...], tuple[Compensation, ...]]) -> Counter[tuple[str, str, str]]:
        sanctions, compensations = measures
        return Counter(
            [(s.person.id, s.kind.value, str(s.amount)) for s in sanctions]
            + [(c.person.id, "compensation", str(c.amount)) for c in compensations]
        )

    return key(a) == key(b)


@attrs.frozen(kw_only=True)
class ViolationDecision:
    """A decision on the case. Decisions are numbered; a correction after an upheld appeal is a new one."""

    number: int
    sanctions: tuple[Sanction, ...] = attrs.field(converter=sanction_tuple)
    compensations: tuple[Compensation, ...] = attrs.field(default=(), converter=compensation_tuple)
    reasons: str = attrs.field(validator=non_empty)
    decided_by: ActorRef
    decided_at: datetime = attrs.field(validator=aware)
    appeal_deadline: datetime = attrs.field(validator=aware)
    """The last moment an appeal may be filed (a correction keeps the original deadline)."""
    corrects: int | None = None
    """The number of the decision this one corrects, after an upheld appeal."""
    appeal_id: AppealId | None = attrs.field(default=None, validator=optional_identifier)
    """The upheld appeal that produced this correction."""

    @property
    def addressee_ids(self) -> tuple[ActorId, ...]:
        """Everyone sanctioned or ordered to pay compensation, in order, once each."""
        seen: dict[ActorId, None] = {}
        for person in [s.person for s in self.sanctions] + [c.person for c in self.compensations]:
            seen.setdefault(person.id, None)
        return tuple(seen)

    @property
    def is_revocation(self) -> bool:
        """True for a correction that leaves no sanction and no compensation."""
        return self.corrects is not None and not self.sanctions and not self.compensations

    def measures_for(self, person_id: ActorId) -> tuple[tuple[Sanction, ...], tuple[Compensation, ...]]:
        """The sanctions and compensations addressed to one person."""
        return (
            tuple(s for s in self.sanctions if s.person.id == person_id),
            tuple(c for c in self.compensations if c.person.id == person_id),
        )


@attrs.frozen(kw_only=True)
class Publication:
    """An internal publication of a decision (结果公示)."""

    decision_number: int
    published_by: ActorRef
    published_at: datetime = attrs.field(validator=aware)
    note: str = attrs.field(default="", validator=optional_text)


@attrs.frozen(kw_only=True)
class AppealRecord:
    """What the violation knows of one appeal against it."""

    appeal_id: AppealId = attrs.field(validator=identifier)
    appellant: ActorRef
    decision_number: int
    filed_at: datetime = attrs.field(validator=aware)
    concluded_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    upheld: bool | None = None

    @property
    def is_open(self) -> bool:
        """True until the panel upholds or rejects the appeal."""
        return self.concluded_at is None


@attrs.frozen(kw_only=True)
class AppealConclusion:
    """The panel's outcome, as an :class:`~servicecore.domain.appeal.Appeal` hands it to the violation.

    ``sanctions`` and ``compensations`` are the appellant's revised measures when
    ``upheld`` (both empty: revoked); they are empty when rejected.
    """

    appeal_id: AppealId = attrs.field(validator=identifier)
    appellant: ActorRef
    decision_number: int
    upheld: bool
    reasons: str = attrs.field(validator=non_empty)
    decided_by: ActorRef
    sanctions: tuple[Sanction, ...] = attrs.field(default=(), converter=sanction_tuple)
    compensations: tuple[Compensation, ...] = attrs.field(default=(), converter=compensation_tuple)


class ViolationStatus(enum.StrEnum):
    """States of a :class:`Violation`."""

    REPORTED = "reported"
    INVESTIGATING = "investigating"
    DETERMINED = "determined"
    DISMISSED = "dismissed"
    DECIDED = "decided"
    PUBLISHED = "published"
    FINAL = "final"


TERMINAL_STATES = frozenset({ViolationStatus.DISMISSED, ViolationStatus.FINAL})
APPEALABLE_STATES = frozenset({ViolationStatus.DECIDED, ViolationStatus.PUBLISHED})


def _optional_violation_id(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_id(attribute.name, value)


@attrs.frozen(kw_only=True, field_transformer=shared_fields_last)
class Violation(SlaTrackedAggregate):
    """A case against a staff member. Create it with :meth:`report`."""

    kind: ClassVar[str] = "Violation"
    id_kind: ClassVar[str] = "violation"

    id: ViolationId = attrs.field(validator=identifier)
    subject: ActorRef = attrs.field(converter=_ref_converter)
    category: ViolationCategory | str = attrs.field(converter=AsCategory[ViolationCategory])
    """A :class:`ViolationCategory`, or custom text (see :attr:`is_category_custom`)."""
    source: ViolationSource = attrs.field(validator=instance_of(ViolationSource))
    description: str = attrs.field(validator=non_empty)
    reported_at: datetime = attrs.field(validator=aware)
    reported_by: ActorRef
    prior_case_id: ViolationId | None = attrs.field(default=None, validator=_optional_violation_id)
    """An earlier, closed case this one revisits."""
    status: ViolationStatus = ViolationStatus.REPORTED
    investigators: tuple[ActorRef, ...] = ()
    """Everyone ever assigned to investigate (assignment only adds)."""
    evidence: tuple[EvidenceItem, ...] = ()
    determination: Determination | None = None
    decisions: tuple[ViolationDecision, ...] = ()
    """Every decision, oldest first; the last is in force, earlier ones were corrected on appeal."""
    publications: tuple[Publication, ...] = ()
    appeals: tuple[AppealRecord, ...] = ()

    @classmethod
    def report(
        cls,
        *,
        id: ViolationId,
        subject: Actor | ActorRef,
        category: ViolationCategory | str,
        source: ViolationSource,
        description: str,
        actor: Actor,
        at: datetime,
        prior_case: Violation | None = None,
    ) -> Violation:
        """Open a case against ``subject``. ``prior_case`` links an earlier case that has ended."""
        check_aware("at", at)
        prior_id: ViolationId | None = None
        if prior_case is not None:
            if not isinstance(prior_case, Violation):
                raise ValidationError("prior_case", f"must be a Violation, got {type(prior_case).__name__}")
            if not prior_case.is_terminal:
                raise BusinessRuleError(
                    "Violation",
                    prior_case.id,
                    f"is {prior_case.status.value!r}; a new case may revisit it only once it is final or dismissed",
                )
            prior_id = prior_case.id
        violation = cls(
            id=id,
            subject=subject,
            category=category,
            source=source,
            description=description,
            reported_at=at,
            reported_by=actor.ref,
            prior_case_id=prior_id,
        )
        note = f"{violation.category} by {violation.subject.name}, from {violation.source.kind.value}"
        return started(
            violation,
            action="report",
            actor=actor,
            at=at,
            note=note + (f"; revisits {prior_id}" if prior_id else ""),
            event=ev.ViolationReported(
                **event_fields(violation, at, actor),
                subject_id=violation.subject.id,
                category=str(violation.category),
                source_kind=violation.source.kind.value,
            ),
        )

    # --- reading ------------------------------------------------------------

    @property
    def is_terminal(self) -> bool:
        """True once dismissed or final."""
        return self.status in TERMINAL_STATES

    @property
    def is_category_custom(self) -> bool:
        """True if the category is not one of :class:`ViolationCategory`."""
        return not isinstance(self.category, ViolationCategory)

    @property
    def decision(self) -> ViolationDecision | None:
        """The decision in force (the latest), if any."""
        return self.decisions[-1] if self.decisions else None

    @property
    def original_decision(self) -> ViolationDecision | None:
        """The first decision, as made before any appeal."""
        return self.decisions[0] if self.decisions else None

    @property
    def superseded_decisions(self) -> tuple[ViolationDecision, ...]:
        """Decisions corrected on appeal; they stay on record."""
        return self.decisions[:-1]

    @property
    def open_appeal(self) -> AppealRecord | None:
        """The appeal under way, if any (there is at most one)."""
        for appeal in self.appeals:
            if appeal.is_open:
                return appeal
        return None

    @property
    def open_appeal_id(self) -> AppealId | None:
        """Id of the appeal under way, if any."""
        appeal = self.open_appeal
        return None if appeal is None else appeal.appeal_id

    @property
    def investigator_ids(self) -> frozenset[ActorId]:
        """Ids of everyone who was assigned to investigate."""
        return frozenset(i.id for i in self.investigators)

    def may_still_appeal(self, at: datetime) -> tuple[ActorId, ...]:
        """Addressees of the decision in force who have not appealed and are within the deadline at ``at``."""
        decision = self.decision
        if decision is None or self.status not in APPEALABLE_STATES or at > decision.appeal_deadline:
            return ()
        appealed = {a.appellant.id for a in self.appeals}
        return tuple(i for i in decision.addressee_ids if i not in appealed)

    def check_appeal(self, appellant: Actor, at: datetime, *, action: str = "file_appeal") -> ViolationDecision:
        """Raise unless ``appellant`` may appeal the decision in force at ``at``; return that decision.

        Only someone the decision sanctions may appeal (:class:`PermissionDeniedError`),
        once, not after the deadline, and not while another appeal is open
        (:class:`BusinessRuleError`, naming the deadline when late).
        """
        require_status(self, action, APPEALABLE_STATES, at=at)
        decision = self.decision
        assert decision is not None  # decided and published cases have one
        if appellant.id not in decision.addressee_ids:
            raise PermissionDeniedError(
                appellant.id,
                f"appeal decision {decision.number} of violation {self.id}",
                "only a staff member the decision sanctions may appeal it",
            )
        if at > decision.appeal_deadline:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"the appeal deadline of decision {decision.number} was {decision.appeal_deadline.isoformat()}; "
                f"an appeal at {at.isoformat()} is too late",
            )
        earlier = [a for a in self.appeals if a.appellant.id == appellant.id]
        if earlier:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"{appellant.name} already appealed (appeal {earlier[0].appeal_id}); each person appeals once",
            )
        open_appeal = self.open_appeal
        if open_appeal is not None:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"appeal {open_appeal.appeal_id} against decision {open_appeal.decision_number} is still open; "
                "only one appeal may be open at a time",
            )
        return decision

    # --- commands -----------------------------------------------------------

    def assign_investigators(
        self, *, actor: Actor, at: datetime, investigators: Iterable[Actor | ActorRef], note: str = ""
    ) -> Violation:
        """Add people to the investigation team; the first assignment starts the investigation."""
        action = "assign_investigators"
        require_status(self, action, {ViolationStatus.REPORTED, ViolationStatus.INVESTIGATING}, at=at)
        self._require_not_subject(actor, action, "assign investigators to")
        added = people("investigators", investigators)
        for person in added:
            self._require_not_subject(person, action, "investigate")
        already = sorted(p.id for p in added if p.id in self.investigator_ids)
        if already:
            raise ValidationError("investigators", f"already investigating violation {self.id}: {already}")
        ids = tuple(p.id for p in added)
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ViolationStatus.INVESTIGATING,
            note=check_text("note", note, optional=True) or ", ".join(p.name for p in added),
            investigators=(*self.investigators, *added),
            events=[ev.ViolationInvestigatorsAssigned(**event_fields(self, at, actor), investigator_ids=ids)],
        )

    def add_evidence(
        self,
        *,
        actor: Actor,
        at: datetime,
        kind: EvidenceKind | str,
        description: str,
        reference: EvidenceRef | None = None,
    ) -> Violation:
        """Record an evidence item; only an assigned investigator may."""
        action = "add_evidence"
        require_status(self, action, {ViolationStatus.INVESTIGATING}, at=at)
        self._require_investigator(actor, action)
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
                ev.ViolationEvidenceAdded(
                    **event_fields(self, at, actor),
                    evidence_number=item.number,
                    evidence_kind=item.kind.value,
                )
            ],
        )

    def determine(self, *, actor: Actor, at: datetime, findings: Iterable[Finding], summary: str) -> Violation:
        """Determine who is responsible, backed by the evidence on record.

        ``findings`` must cover the subject and name nobody twice. If nobody is
        found responsible (every degree ``none``) the case is dismissed.
        """
        action = "determine"
        require_status(self, action, {ViolationStatus.INVESTIGATING}, at=at)
        self._require_investigator(actor, action)
        if not self.evidence:
            raise BusinessRuleError(
                "Violation", self.id, "a determination must be backed by at least one evidence item; none is recorded"
            )
        found = _finding_tuple(findings)
        ids = [f.person.id for f in found]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValidationError("findings", f"name each person once, repeated: {repeated}")
        if self.subject.id not in ids:
            raise ValidationError("findings", f"must state the responsibility of the subject {self.subject.name}")
        determination = Determination(
            findings=found,
            summary=check_text("summary", summary),
            determined_by=actor.ref,
            determined_at=at,
            evidence_numbers=tuple(e.number for e in self.evidence),
        )
        responsible = tuple(f.person.id for f in determination.responsible)
        if not responsible:
            return record(
                self,
                action=action,
                actor=actor,
                at=at,
                to=ViolationStatus.DISMISSED,
                note=f"nobody responsible: {determination.summary}",
                determination=determination,
                events=[ev.ViolationDismissed(**event_fields(self, at, actor))],
            )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ViolationStatus.DETERMINED,
            note=determination.summary,
            determination=determination,
            events=[ev.ViolationDetermined(**event_fields(self, at, actor), responsible_ids=responsible)],
        )

    def decide(
        self,
        *,
        actor: Actor,
        at: datetime,
        sanctions: Iterable[Sanction],
        reasons: str,
        appeal_deadline: datetime,
        compensations: Iterable[Compensation] = (),
    ) -> Violation:
        """Decide sanctions and compensation for the responsible parties; set the appeal deadline.

        Needs at least one sanction or compensation, each for someone found
        responsible; the deadline (computed by the caller, e.g. from a business
        calendar) must be after ``at``.
        """
        action = "decide"
        require_status(self, action, {ViolationStatus.DETERMINED}, at=at)
        self._require_not_subject(actor, action, "decide")
        determination = self.determination
        assert determination is not None  # determined cases have one
        measures = sanction_tuple(sanctions), compensation_tuple(compensations)
        if not measures[0] and not measures[1]:
            raise ValidationError("sanctions", "a decision needs at least one sanction or compensation")
        responsible = {f.person.id: f for f in determination.responsible}
        if actor.id in responsible:
            raise SeparationOfDutiesError(
                actor.id, f"{action} violation {self.id}", "a person found responsible may not decide the sanctions"
            )
        for person in [s.person for s in measures[0]] + [c.person for c in measures[1]]:
            if person.id not in responsible:
                raise BusinessRuleError(
                    "Violation",
                    self.id,
                    f"{person.name} ({person.id}) was not found responsible; only responsible parties are sanctioned",
                )
        check_aware("appeal_deadline", appeal_deadline)
        if appeal_deadline <= at:
            raise ValidationError(
                "appeal_deadline",
                f"must be after the decision time {at.isoformat()}, got {appeal_deadline.isoformat()}",
            )
        decision = ViolationDecision(
            number=len(self.decisions) + 1,
            sanctions=measures[0],
            compensations=measures[1],
            reasons=check_text("reasons", reasons),
            decided_by=actor.ref,
            decided_at=at,
            appeal_deadline=appeal_deadline,
        )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ViolationStatus.DECIDED,
            note=f"decision {decision.number}: {_describe(decision)}; appeal by {appeal_deadline.isoformat()}",
            decisions=(*self.decisions, decision),
            events=[
                ev.ViolationDecided(
                    **event_fields(self, at, actor),
                    decision_number=decision.number,
                    addressee_ids=decision.addressee_ids,
                    appeal_deadline=appeal_deadline,
                )
            ],
        )

    def publish(self, *, actor: Actor, at: datetime, note: str = "") -> Violation:
        """Publish the decision in force internally.

        The notice itself is a document: :class:`~servicecore.documents.PublicationNotice`.
        """
        action = "publish"
        require_status(self, action, {ViolationStatus.DECIDED}, at=at)
        self._require_not_subject(actor, action, "publish")
        decision = self.decision
        assert decision is not None
        publication = Publication(decision_number=decision.number, published_by=actor.ref, published_at=at, note=note)
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ViolationStatus.PUBLISHED,
            note=check_text("note", note, optional=True) or f"decision {decision.number} published",
            publications=(*self.publications, publication),
            events=[ev.ViolationPublished(**event_fields(self, at, actor), decision_number=decision.number)],
        )

    def register_appeal(self, *, appellant: Actor, at: datetime, appeal_id: AppealId) -> Violation:
        """Record an appeal just filed (see :meth:`check_appeal` for who may appeal and when)."""
        decision = self.check_appeal(appellant, at, action="register_appeal")
        appeal_id = AppealId(check_text("appeal_id", appeal_id))
        if appeal_id in {a.appeal_id for a in self.appeals}:
            raise BusinessRuleError("Violation", self.id, f"appeal {appeal_id} is already registered")
        entry = AppealRecord(appeal_id=appeal_id, appellant=appellant.ref, decision_number=decision.number, filed_at=at)
        return record(
            self,
            action="register_appeal",
            actor=appellant,
            at=at,
            note=f"appeal {appeal_id} against decision {decision.number}",
            appeals=(*self.appeals, entry),
        )

    def conclude_appeal(self, *, actor: Actor, at: datetime, conclusion: AppealConclusion) -> Violation:
        """Apply the panel's outcome. Upheld: a corrected decision is appended (the earlier ones
        stay) and must be published again. Rejected: the decision in force is maintained."""
        action = "conclude_appeal"
        require_status(self, action, APPEALABLE_STATES, at=at)
        self._require_not_subject(actor, action, "conclude an appeal on")
        if not isinstance(conclusion, AppealConclusion):
            raise ValidationError("conclusion", f"must be an AppealConclusion, got {type(conclusion).__name__}")
        open_appeal = self.open_appeal
        if open_appeal is None or open_appeal.appeal_id != conclusion.appeal_id:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"appeal {conclusion.appeal_id} is not the open appeal (open: {self.open_appeal_id or 'none'})",
            )
        current = self.decision
        assert current is not None
        if conclusion.decision_number != current.number:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"appeal {conclusion.appeal_id} contests decision {conclusion.decision_number}, "
                f"but decision {current.number} is in force",
            )
        closed = attrs.evolve(open_appeal, concluded_at=at, upheld=conclusion.upheld)
        appeals = tuple(closed if a.appeal_id == closed.appeal_id else a for a in self.appeals)
        decisions = self.decisions
        status = self.status
        if conclusion.upheld:
            appellant_id = conclusion.appellant.id
            corrected = ViolationDecision(
                number=current.number + 1,
                sanctions=(*(s for s in current.sanctions if s.person.id != appellant_id), *conclusion.sanctions),
                compensations=(
                    *(c for c in current.compensations if c.person.id != appellant_id),
                    *conclusion.compensations,
                ),
                reasons=conclusion.reasons,
                decided_by=conclusion.decided_by,
                decided_at=at,
                appeal_deadline=current.appeal_deadline,
                corrects=current.number,
                appeal_id=conclusion.appeal_id,
            )
            decisions = (*decisions, corrected)
            status = ViolationStatus.DECIDED  # the corrected decision is published afresh
            note = f"appeal {conclusion.appeal_id} upheld; decision {corrected.number} corrects {current.number}"
        else:
            note = f"appeal {conclusion.appeal_id} rejected; decision {current.number} maintained"
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=status,
            note=note,
            appeals=appeals,
            decisions=decisions,
            events=[
                ev.ViolationAppealConcluded(
                    **event_fields(self, at, actor),
                    appeal_id=conclusion.appeal_id,
                    upheld=conclusion.upheld,
                    decision_number=decisions[-1].number,
                )
            ],
        )

    def finalize(self, *, actor: Actor, at: datetime, note: str = "") -> Violation:
        """Make the published decision final, once no appeal is open and none is still possible."""
        action = "finalize"
        require_status(self, action, {ViolationStatus.PUBLISHED}, at=at)
        self._require_not_subject(actor, action, "finalize")
        decision = self.decision
        assert decision is not None
        open_appeal = self.open_appeal
        if open_appeal is not None:
            raise BusinessRuleError(
                "Violation", self.id, f"appeal {open_appeal.appeal_id} is still open; conclude it before finalizing"
            )
        waiting = self.may_still_appeal(at)
        if waiting:
            raise BusinessRuleError(
                "Violation",
                self.id,
                f"the appeal window of decision {decision.number} is open until "
                f"{decision.appeal_deadline.isoformat()} for {', '.join(waiting)}; finalize after it has passed",
            )
        return record(
            self,
            action=action,
            actor=actor,
            at=at,
            to=ViolationStatus.FINAL,
            note=check_text("note", note, optional=True) or f"decision {decision.number} final",
            events=[ev.ViolationFinalized(**event_fields(self, at, actor), decision_number=decision.number)],
        )

    # --- rules --------------------------------------------------------------

    def _require_not_subject(self, person: Actor | ActorRef, action: str, verb: str) -> None:
        if person.id == self.subject.id:
            raise SeparationOfDutiesError(
                person.id,
                f"{action} violation {self.id}",
                f"{person.name} is the subject of this violation and may not {verb} it",
            )

    def _require_investigator(self, actor: Actor, action: str) -> None:
        if actor.id not in self.investigator_ids:
            names = describe_names(f"{i.name} ({i.id})" for i in self.investigators)
            raise PermissionDeniedError(
                actor.id, f"{action} on violation {self.id}", f"only an assigned investigator may; assigned: {names}"
            )


def _describe(decision: ViolationDecision) -> str:
    parts = [
        s.kind.value + (f" {s.amount}" if s.amount is not None else "") + f" for {s.person.name}"
        for s in decision.sanctions
    ]
    parts += [f"compensation {c.amount} by {c.person.name}" for c in decision.compensations]
    return "; ".join(parts) or "revoked"


__all__ = [
    "AppealConclusion",
    "AppealRecord",
    "Compensation",
    "Determination",
    "EvidenceItem",
    "EvidenceKind",
    "Finding",
    "Publication",
    "ResponsibilityDegree",
    "Sanction",
    "SanctionKind",
    "Violation",
    "ViolationCategory",
    "ViolationDecision",
    "ViolationSource",
    "ViolationSourceKind",
    "ViolationStatus",
    "as_ref",
    "compensation_tuple",
    "people",
    "same_measures",
    "sanction_tuple",
]
