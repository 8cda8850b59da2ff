"""Document models: what a renderer receives (服务单, 验收报告, 整改通知, 投诉答复, 处理决定, 公示, 申诉决定).

A document is a frozen snapshot of the aggregates it is about, plus when it was
generated. Renderers read these attributes; they never load anything themselves.
``kind`` tells a renderer which template to use.

The published violation notice (:class:`PublicationNotice`) is the exception:
it goes to every member of staff, so it holds no aggregate, only fields copied
from the violation with customer personal data removed by
:func:`redact_personal_data` before any renderer sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import attrs

from servicecore.domain.acceptance import Acceptance, RectificationOrder
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint, ComplaintOutcome, ComplaintResolution, ComplaintStatus
from servicecore.domain.errors import BusinessRuleError, ValidationError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import ActorRef, Customer, Money, as_tuple, aware, optional_aware
from servicecore.domain.violation import (
    Compensation,
    ResponsibilityDegree,
    Sanction,
    Violation,
    ViolationDecision,
    ViolationSourceKind,
)
from servicecore.domain.work_order import WorkOrder


@attrs.frozen(kw_only=True)
class Document:
    """Base of every document model."""

    kind: ClassVar[str] = "document"
    generated_at: datetime = attrs.field(validator=aware)

    @property
    def reference(self) -> str:
        """A short identifier used in file names, e.g. the work order id."""
        raise NotImplementedError


@attrs.frozen(kw_only=True)
class WorkOrderSheet(Document):
    """The work order sheet (服务单): what to do, where, by whom, and what was done."""

    kind: ClassVar[str] = "work_order_sheet"
    work_order: WorkOrder
    agreement: ServiceAgreement
    request: ServiceRequest

    @property
    def reference(self) -> str:
        """The work order id."""
        return self.work_order.id


@attrs.frozen(kw_only=True)
class AcceptanceReportDocument(Document):
    """The acceptance report (验收报告): every round, every rectification, the signature."""

    kind: ClassVar[str] = "acceptance_report"
    acceptance: Acceptance
    agreement: ServiceAgreement
    request: ServiceRequest

    def __attrs_post_init__(self) -> None:
        if self.acceptance.report is None:
            raise BusinessRuleError(
                "Acceptance", self.acceptance.id, "has no signed report yet; sign it before rendering the report"
            )

    @property
    def reference(self) -> str:
        """The acceptance id."""
        return self.acceptance.id


@attrs.frozen(kw_only=True)
class RectificationNotice(Document):
    """The rectification notice (整改通知) for one failed round."""

    kind: ClassVar[str] = "rectification_notice"
    acceptance: Acceptance
    order: RectificationOrder
    request: ServiceRequest

    @property
    def reference(self) -> str:
        """The acceptance id and round number."""
        return f"{self.acceptance.id}-round-{self.order.round}"


@attrs.frozen(kw_only=True)
class ComplaintReply(Document):
    """The reply to a complainant (投诉答复): what was found and what is offered.

    Built from the latest resolution; raises :class:`BusinessRuleError` if the
    complaint was never resolved. It states the disputed amount, if any, and the
    outcome: remedies offered, the complaint not upheld, or the charge maintained.
    Once the complaint is closed the reply no longer invites the customer to object.
    """

    kind: ClassVar[str] = "complaint_reply"
    complaint: Complaint

    def __attrs_post_init__(self) -> None:
        if not self.complaint.resolutions:
            raise BusinessRuleError("Complaint", self.complaint.id, "has no resolution yet; resolve it before replying")

    @property
    def resolution(self) -> ComplaintResolution:
        """The resolution the reply communicates (the latest)."""
        return self.complaint.resolutions[-1]

    @property
    def disputed_amount(self) -> Money | None:
        """The amount the customer disputes, as recorded at intake (a Decimal with its currency)."""
        return self.complaint.disputed_amount

    @property
    def outcome(self) -> ComplaintOutcome:
        """The outcome the reply communicates."""
        return self.resolution.outcome

    @property
    def invites_objection(self) -> bool:
        """True while the customer may still reject the resolution (it is resolved, not yet closed)."""
        return self.complaint.status is ComplaintStatus.RESOLVED

    @property
    def reference(self) -> str:
        """The complaint id and the resolution's number (1 unless the complaint was reopened)."""
        return f"{self.complaint.id}-{len(self.complaint.resolutions)}"


def _decision_of(violation: Violation, number: int | None) -> ViolationDecision:
    if not violation.decisions:
        raise BusinessRuleError("Violation", violation.id, f"is {violation.status.value!r}; nothing has been decided")
    if number is None:
        return violation.decisions[-1]
    for decision in violation.decisions:
        if decision.number == number:
            return decision
    raise BusinessRuleError("Violation", violation.id, f"has no decision {number}")


@attrs.frozen(kw_only=True)
class ViolationDecisionLetter(Document):
    """The decision letter (处理决定书) to the people a violation decision addresses.

    Shows the case, the evidence, the findings and one decision (default: the
    one in force), and every earlier decision it corrects.
    """

    kind: ClassVar[str] = "violation_decision_letter"
    violation: Violation
    decision_number: int | None = None

    def __attrs_post_init__(self) -> None:
        _decision_of(self.violation, self.decision_number)

    @property
    def decision(self) -> ViolationDecision:
        """The decision this letter communicates."""
        return _decision_of(self.violation, self.decision_number)

    @property
    def corrected(self) -> tuple[ViolationDecision, ...]:
        """Earlier decisions, kept visible: those before the letter's decision."""
        return tuple(d for d in self.violation.decisions if d.number < self.decision.number)

    @property
    def reference(self) -> str:
        """The violation id and decision number."""
        return f"{self.violation.id}-{self.decision.number}"


# --- confidentiality ------------------------------------------------------------

REDACTED = "***"
"""What :func:`redact_personal_data` puts in place of personal data."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a run of digits with phone separators; ASCII look-arounds so ids such as WO-2026-0001 survive
# while "电话13800000000" (a CJK character before the number) is still caught
_PHONE = re.compile(r"(?<![A-Za-z0-9_\-])(?<!\d\.)\+?\d[\d \t()\-]*\d(?![A-Za-z0-9_]|\.\d)")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2})?")
_MIN_PHONE_DIGITS = 7
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HONORIFICS = ("先生", "女士", "小姐", "老师", "师傅", "阿姨", "总", "经理")
_ADDRESS_PARTS = re.compile(r"[,，、;；/\n]")
# a Chinese address has no separators: cut it after each administrative or street-level suffix
_CJK_ADDRESS_SEGMENT = re.compile(
    r".+?(?:自治区|特别行政区|街道|大道|单元|省|市|区|县|镇|乡|村|路|街|巷|弄|号|栋|幢|座|楼|层|室)|.+$"
)


def _flexible(literal: str) -> str:
    """A pattern for ``literal`` that tolerates any whitespace (or none) between its words."""
    return r"\s*".join(re.escape(part) for part in literal.split())


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        return None
    return r"\+?" + r"[\s().\-]*".join(digits)


def _customer_patterns(customer: Customer) -> list[str]:
    patterns: list[str] = []
    name = customer.name.strip()
    if name:
        patterns.append(_flexible(name))
        if _CJK.search(name):
            compact = "".join(name.split())
            patterns.extend(re.escape(compact[0]) + h for h in _HONORIFICS)
            if len(compact) >= 3:
                patterns.append(re.escape(compact[1:]))
        else:
            parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 2]
            patterns.extend(rf"\b{re.escape(p)}\b" for p in parts)
    for value in (customer.email, customer.address):
        if value and value.strip():
            patterns.append(_flexible(value))
    if customer.address:
        parts = [p.strip() for p in _ADDRESS_PARTS.split(customer.address)]
        patterns.extend(_flexible(p) for p in parts if len(p) >= 2)
        for part in parts:
            if _CJK.search(part):
                patterns.extend(_cjk_address_runs(part))
    if customer.phone and customer.phone.strip():
        patterns.append(_flexible(customer.phone))
        digits = _phone_pattern(customer.phone)
        if digits:
            patterns.append(digits)
    return patterns


def _cjk_address_runs(address: str) -> list[str]:
    """Every run of two or more consecutive segments (世纪大道100号, 3号楼502室...), as patterns."""
    segments = _CJK_ADDRESS_SEGMENT.findall("".join(address.split()))
    return [
        re.escape("".join(segments[start:end]))
        for start in range(len(segments))
        for end in range(start + 2, len(segments) + 1)
    ]


def _scrub_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if _DATE.fullmatch(text.strip()) or len(re.sub(r"\D", "", text)) < _MIN_PHONE_DIGITS:
        return text
    return REDACTED


def redact_personal_data(text: str, customers: Iterable[Customer] = (), *, extra: Iterable[str] = ()) -> str:
    """``text`` with customer personal data replaced by :data:`REDACTED`.

    Removes every email address and phone-like number (seven digits or more,
    dates excepted), and each known customer's name (also its parts, and a
    Chinese surname with an honorific such as 王女士), phone (in any spacing),
    email and address (also each comma-separated part and, for a Chinese
    address, every run of two or more of its levels, such as 世纪大道100号),
    plus any ``extra`` strings. It errs on the side of removing too much: a staff member who
    shares a customer's surname loses it too. Free text can still describe a
    person indirectly; keep notices factual.

    >>> redact_personal_data("王芳 (138 0013 8000, wf@example.cn) complained", [Customer("C-1", "王芳")])
    '*** (***, ***) complained'
    """
    if not isinstance(text, str):
        raise ValidationError("text", f"must be a string, got {type(text).__name__}")
    patterns: list[str] = []
    for customer in as_tuple("customers", customers, of=Customer):
        patterns.extend(_customer_patterns(customer))
    patterns.extend(_flexible(e) for e in as_tuple("extra", extra, of=str) if e.strip())
    # longest first, so "Wang Fang" goes before "Wang"
    for pattern in sorted(set(patterns), key=len, reverse=True):
        text = re.sub(pattern, REDACTED, text, flags=re.IGNORECASE)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(_scrub_phone, text)


@attrs.frozen(kw_only=True)
class NoticeFinding:
    """One person's responsibility as published (reason redacted)."""

    person: ActorRef
    degree: ResponsibilityDegree
    reason: str


@attrs.frozen(kw_only=True)
class PublicationNotice(Document):
    """The internal publication of a violation decision (违规处理结果公示), free of customer data.

    Build it with :meth:`from_violation`: every free-text field is passed
    through :func:`redact_personal_data` with the customers the case involves,
    and nothing identifying a customer (the complaint, the reporter, the
    evidence) is copied at all.
    """

    kind: ClassVar[str] = "publication_notice"
    violation_id: str
    subject: ActorRef
    category: str
    source_kind: ViolationSourceKind
    summary: str
    findings: tuple[NoticeFinding, ...]
    decision_number: int
    decided_by: ActorRef
    decided_at: datetime = attrs.field(validator=aware)
    reasons: str
    sanctions: tuple[Sanction, ...]
    compensations: tuple[Compensation, ...]
    corrects: int | None = None
    """The decision this one corrects after an upheld appeal."""
    appeal_deadline: datetime = attrs.field(validator=aware)
    published_at: datetime | None = attrs.field(default=None, validator=optional_aware)
    """When this decision was published; ``None`` for a draft of the notice."""

    @classmethod
    def from_violation(
        cls,
        violation: Violation,
        *,
        generated_at: datetime,
        customers: Iterable[Customer] = (),
        extra: Iterable[str] = (),
    ) -> PublicationNotice:
        """The notice for the decision in force, with personal data of ``customers`` (and ``extra``) removed.

        Pass every customer the case involves (the complainant of the source
        complaint, a reporting customer); emails and phone numbers are removed
        whoever they belong to.
        """
        decision = _decision_of(violation, None)
        people = as_tuple("customers", customers, of=Customer)
        sensitive = list(as_tuple("extra", extra, of=str))
        if violation.source.kind is ViolationSourceKind.CUSTOMER_REPORT:
            # a customer who reported through a staff member is named only as the recorder
            reporter = violation.source.reported_by or violation.reported_by
            sensitive.append(reporter.name)

        def clean(text: str) -> str:
            return redact_personal_data(text, people, extra=sensitive)

        published = [p for p in violation.publications if p.decision_number == decision.number]
        determination = violation.determination
        assert determination is not None  # a decided case was determined
        return cls(
            generated_at=generated_at,
            violation_id=violation.id,
            subject=violation.subject,
            category=violation.category,
            source_kind=violation.source.kind,
            summary=clean(violation.description),
            findings=tuple(
                NoticeFinding(person=f.person, degree=f.degree, reason=clean(f.reason)) for f in determination.findings
            ),
            decision_number=decision.number,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            reasons=clean(decision.reasons),
            sanctions=tuple(attrs.evolve(s, note=clean(s.note)) for s in decision.sanctions),
            compensations=tuple(attrs.evolve(c, note=clean(c.note)) for c in decision.compensations),
            corrects=decision.corrects,
            appeal_deadline=decision.appeal_deadline,
            published_at=published[-1].published_at if published else None,
        )

    @property
    def fines_total(self) -> tuple[Money, ...]:
        """The fines, one total per currency."""
        totals: dict[str, Money] = {}
        for sanction in self.sanctions:
            if sanction.amount is not None:
                currency = sanction.amount.currency
                totals[currency] = totals.get(currency, Money.zero(currency)) + sanction.amount
        return tuple(totals.values())

    @property
    def reference(self) -> str:
        """The violation id and decision number."""
        return f"{self.violation_id}-{self.decision_number}"


@attrs.frozen(kw_only=True)
class AppealDecisionLetter(Document):
    """The appeal decision (申诉处理决定) to the appellant: upheld or rejected, and why.

    Raises :class:`BusinessRuleError` until the panel has decided.
    """

    kind: ClassVar[str] = "appeal_decision"
    appeal: Appeal
    violation: Violation

    def __attrs_post_init__(self) -> None:
        if self.appeal.outcome is None:
            raise BusinessRuleError(
                "Appeal", self.appeal.id, f"is {self.appeal.status.value!r}; the panel has not decided yet"
            )
        if self.appeal.violation_id != self.violation.id:
            raise ValidationError(
                "violation", f"appeal {self.appeal.id} concerns {self.appeal.violation_id}, not {self.violation.id}"
            )

    @property
    def contested(self) -> ViolationDecision:
        """The decision the appeal contests."""
        return _decision_of(self.violation, self.appeal.decision_number)

    @property
    def correction(self) -> ViolationDecision | None:
        """The decision that corrects the contested one after this appeal, if the violation records it yet."""
        for decision in self.violation.decisions:
            if decision.appeal_id == self.appeal.id:
                return decision
        return None

    @property
    def reference(self) -> str:
        """The appeal id."""
        return self.appeal.id


__all__ = [
    "REDACTED",
    "AcceptanceReportDocument",
    "AppealDecisionLetter",
    "ComplaintReply",
    "Document",
    "NoticeFinding",
    "PublicationNotice",
    "RectificationNotice",
    "ViolationDecisionLetter",
    "WorkOrderSheet",
    "redact_personal_data",
]
