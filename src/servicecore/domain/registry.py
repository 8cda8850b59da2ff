"""Every kind of aggregate, in one tuple: storage, serialization and the SLA scan take the list from here.

A new aggregate is a subclass of :class:`~servicecore.domain.aggregate.Aggregate`
with its ``kind``, an event base in :mod:`servicecore.domain.events` naming
that kind, and one entry here. The order is the order storage registers the
kinds in and the SLA scan visits them.
"""

from __future__ import annotations

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.aggregate import Aggregate
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder

AGGREGATES: tuple[type[Aggregate], ...] = (
    ServiceRequest,
    ServiceAgreement,
    WorkOrder,
    Acceptance,
    Complaint,
    Violation,
    Appeal,
)
"""The aggregate classes, each with its storage ``kind``."""

__all__ = ["AGGREGATES"]
