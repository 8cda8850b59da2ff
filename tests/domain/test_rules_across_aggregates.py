"""Rules that need another aggregate's data are the domain's: the facade hands over what it loaded."""

from __future__ import annotations

from typing import Any

import pytest

from servicecore.domain.acceptance import Acceptance, Inspector, InspectorKind
from servicecore.domain.complaint import Complaint, ComplaintSubject
from servicecore.domain.errors import SeparationOfDutiesError, ValidationError
from servicecore.domain.work_order import WorkOrderStatus


def _open(domain: Any, inspector: Inspector, **extra: Any) -> Acceptance:
    order = domain.work_order(WorkOrderStatus.COMPLETED)
    return Acceptance.open(
        id="acc-1",
        agreement_id=order.agreement_id,
        request_id=order.request_id,
        criteria=domain.criteria(),
        inspector=inspector,
        actor=domain.agent,
        at=domain.after(order),
        **{"work_orders": [order], **extra},
    )


def test_open_records_the_inspected_work_orders(domain: Any) -> None:
    acceptance = _open(domain, domain.inspector)
    assert acceptance.work_order_ids == ("wo-1",)


def test_open_refuses_an_inspector_who_worked_on_an_inspected_order(domain: Any) -> None:
    worker = Inspector(domain.technician.ref, InspectorKind.THIRD_PARTY, organisation="CertCo")
    with pytest.raises(SeparationOfDutiesError, match=r"recorded work on, the work inspected \(wo-1\)") as info:
        _open(domain, worker)
    assert info.value.actor_id == domain.technician.id


def test_open_refuses_something_else_as_a_work_order(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        _open(domain, domain.inspector, work_orders=["wo-1"])
    assert info.value.field == "work_orders[0]"


def test_receive_derives_the_work_staff_from_the_subject_work_orders(domain: Any, discipline: Any) -> None:
    order = domain.work_order(WorkOrderStatus.COMPLETED)
    complaint = Complaint.receive(
        id="cmp-1",
        complainant=discipline.complainant,
        subject=ComplaintSubject(request_id=order.request_id, work_order_id=order.id),
        channel="hotline",
        category="quality",
        severity="major",
        description="Rats back a week after the treatment",
        actor=domain.agent,
        at=domain.after(order),
        work_orders=[order],
    )
    assert complaint.work_staff_ids == tuple(sorted({*order.assignees, *order.worked_by}))
    assert domain.technician.id in complaint.work_staff_ids
