"""Evidence gathered while investigating a case (调查取证), shared by complaints and violations.

An evidence item is numbered within its case and records who collected it and
when; the file itself (a photo, a signed statement, a scanned record) stays in
the host's document store and is pointed to by an :class:`EvidenceRef`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from servicecore.domain.errors import ValidationError
from servicecore.domain.values import ActorRef, EvidenceRef, aware, check_text, non_empty, parse_enum


class EvidenceKind(enum.StrEnum):
    """What kind of evidence an item is (调查取证: 查阅资料, 询问当事人, 收集证据)."""

    DOCUMENT = "document"
    INTERVIEW_RECORD = "interview_record"
    SERVICE_RECORD = "service_record"
    STATEMENT = "statement"
    """A written statement by a party (the customer, a witness, the staff member)."""
    PHOTO = "photo"
    """A photograph or video of the site, the goods or the damage."""


def _evidence_kind(value: EvidenceKind | str) -> EvidenceKind:
    return parse_enum(EvidenceKind, "kind", value)


@attrs.frozen(kw_only=True)
class EvidenceItem:
    """One piece of evidence, numbered, with who collected it and when."""

    number: int
    kind: EvidenceKind = attrs.field(converter=_evidence_kind)
    description: str = attrs.field(validator=non_empty)
    collected_by: ActorRef
    collected_at: datetime = attrs.field(validator=aware)
    reference: EvidenceRef | None = None


def next_evidence_item(
    evidence: tuple[EvidenceItem, ...],
    *,
    kind: EvidenceKind | str,
    description: str,
    collected_by: ActorRef,
    at: datetime,
    reference: EvidenceRef | None = None,
) -> EvidenceItem:
    """The item that follows ``evidence`` in its case: numbered on, fields checked, each naming itself."""
    if reference is not None and not isinstance(reference, EvidenceRef):
        raise ValidationError("reference", f"must be an EvidenceRef or None, got {type(reference).__name__}")
    return EvidenceItem(
        number=len(evidence) + 1,
        kind=kind,
        description=check_text("description", description),
        collected_by=collected_by,
        collected_at=at,
        reference=reference,
    )


__all__ = ["EvidenceItem", "EvidenceKind", "next_evidence_item"]
