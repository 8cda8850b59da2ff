"""Document models: what a renderer receives (服务单, 验收报告, 整改通知).

A document is a frozen snapshot of the aggregates it is about, plus when it was
generated. Renderers read these attributes; they never load anything themselves.
``kind`` tells a renderer which template to use.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from servicecore.domain.acceptance import Acceptance, RectificationOrder
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.errors import BusinessRuleError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import aware
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


__all__ = ["AcceptanceReportDocument", "Document", "RectificationNotice", "WorkOrderSheet"]
