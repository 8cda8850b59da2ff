"""A desk driven to interesting points, shared by renderer and documents tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs

import servicecore as sc
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier

CST = timezone(timedelta(hours=8))
AGENT = sc.Actor("E-001", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-002", "Zhou Wei", ["reviewer"])
ENGINEER = sc.Actor("E-010", "Chen Gang", ["engineer"])
CUSTOMER = sc.Actor("C-100", "Wang Fang", ["customer"])


@attrs.define
class Case:
    desk: sc.ServiceDesk
    clock: ManualClock
    notifier: RecordingNotifier
    request_id: str = ""
    agreement_id: str = ""
    work_order_id: str = ""
    acceptance_id: str = ""


def new_desk() -> Case:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    notifier = RecordingNotifier()
    desk = sc.ServiceDesk(
        storage=MemoryStorage(),
        notifier=notifier,
        renderer=MarkdownRenderer(),
        clock=clock,
        ids=SequentialIds(),
        templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
    )
    return Case(desk, clock, notifier)


def terms(description: str = "Kitchen treatment") -> sc.AgreementTerms:
    return sc.AgreementTerms(
        items=[sc.ServiceItem(description, "GB/T 27770", "2", "room", sc.Money("450", "CNY"))],
        schedule=sc.Schedule(
            datetime(2026, 3, 5, 9, tzinfo=CST), datetime(2026, 3, 5, 12, tzinfo=CST), "Block 3, Room 201"
        ),
        criteria=[
            sc.AcceptanceCriterion("no-live-insects", "No live insects", "site_check"),
            sc.AcceptanceCriterion("site-clean", "Site clean", "site_check", required=False),
        ],
    )


def active_agreement(case: Case, *, customer: sc.Customer | None = None, description: str = "Kitchen") -> Case:
    desk = case.desk
    request = desk.receive_request(
        actor=AGENT,
        customer=customer or sc.Customer("C-100", "Wang Fang", phone="+86 138 0000 0000"),
        channel="phone",
        category="pest control",
        priority="normal",
        description=description,
    )
    desk.acknowledge_request(request.id, actor=AGENT, message="ok")
    desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="feasible")
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Pest control", terms=terms(description))
    desk.submit_agreement_for_review(agreement.id, actor=AGENT)
    desk.approve_agreement(agreement.id, actor=REVIEWER)
    desk.offer_agreement(agreement.id, actor=AGENT)
    desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    desk.activate_agreement(agreement.id, actor=AGENT)
    case.request_id, case.agreement_id = request.id, agreement.id
    return case


def completed_work_order(case: Case) -> Case:
    desk = case.desk
    order = desk.create_work_order(
        case.agreement_id, actor=AGENT, title="Treat", assignees=[ENGINEER.id], template="pest-control"
    )
    desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps:
        case.clock.advance(timedelta(minutes=10))
        desk.complete_step(order.id, actor=ENGINEER, step_key=step.key, note=f"{step.key} done")
    desk.complete_work_order(order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", case.clock.now()))
    case.work_order_id = order.id
    return case


def accepted_after_rectification(case: Case) -> Case:
    desk = case.desk
    acceptance = desk.open_acceptance(case.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
    desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER,
        results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False, note="two seen")],
    )
    desk.order_rectification(
        acceptance.id, actor=AGENT, responsible_party="Chen Gang", deadline=case.clock.now() + timedelta(days=2)
    )
    case.clock.advance(timedelta(days=1))
    desk.mark_rectified(acceptance.id, actor=ENGINEER, note="re-treated")
    desk.record_inspection(
        acceptance.id, actor=CUSTOMER, results=[sc.CriterionResult(criterion_code="no-live-insects", passed=True)]
    )
    desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by="Wang Fang")
    case.acceptance_id = acceptance.id
    return case
