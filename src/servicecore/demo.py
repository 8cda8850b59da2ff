"""A complete delivery lifecycle and a discipline case, scripted: what ``servicecore demo`` runs.

A pest-control request is received, assessed, proposed, returned once by the
reviewer, confirmed by the customer, executed from the built-in pest-control checklist (with
a material-shortage exception along the way), fails its first inspection, is
rectified, passes the second round and is signed off.

Then the customer complains about the engineer's attitude (投诉处理, then 服务违规处理):
the complaint is investigated and raises a violation case against him; he is
warned and fined, the decision is published without the customer's personal
data, he appeals in time, the panel reduces the fine (the original decision
stays on record), the customer accepts the reply and the case becomes final.
Three refusals are shown on the way: separation of duties, a role that may not
decide, an appeal after the deadline.

The history of each aggregate is printed as it grows and the rendered documents
are written to a folder. Time is a manual clock in Beijing time, so every run
prints the same. The cases are stored in a SQLite database next to the documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

import attrs

from servicecore.application.config import ServiceDeskConfig
from servicecore.application.service_desk import ServiceDesk
from servicecore.bootstrap import bootstrap
from servicecore.domain.acceptance import CriterionResult, Inspector, InspectorKind
from servicecore.domain.agreement import AcceptanceCriterion, AgreementTerms, Schedule, ServiceItem
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import (
    Complaint,
    ComplaintCategory,
    ComplaintSeverity,
    ComplaintSubject,
    Remedy,
    RemedyKind,
)
from servicecore.domain.errors import ServiceCoreError
from servicecore.domain.values import (
    Actor,
    ActorId,
    Customer,
    CustomerId,
    EvidenceRef,
    HistoryEntry,
    Money,
    RequestId,
    WorkOrderId,
)
from servicecore.domain.violation import (
    EvidenceKind,
    Finding,
    ResponsibilityDegree,
    Sanction,
    SanctionKind,
    Violation,
    ViolationCategory,
)
from servicecore.domain.work_order import HoldReason, Measurement, SiteSignOff
from servicecore.plugins import Plugins
from servicecore.ports.rendering import RenderedDocument
from servicecore.testing import (  # the staff of the samples: the demo, the tests and the docs share one cast
    AGENT,
    DISCIPLINE_OFFICER,
    ENGINEER,
    PANEL_MEMBERS,
    QUALITY_INSPECTOR,
    REVIEWER,
    SUPERVISOR,
)
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds

BEIJING = timezone(timedelta(hours=8), "CST")
START = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)

CUSTOMER_CONTACT = Actor(ActorId("C-100"), "Wang Fang", ["customer"])
PANEL_CHAIR, PANEL_MEMBER = PANEL_MEMBERS
DEMO_DATABASE = "servicecore-demo.sqlite3"


class _HasHistory(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def history(self) -> tuple[HistoryEntry, ...]: ...


@attrs.frozen
class DemoResult:
    """What the demo produced: the ids it created and the files it wrote."""

    request_id: str
    agreement_id: str
    work_order_id: str
    acceptance_id: str
    complaint_id: str
    violation_id: str
    appeal_id: str
    files: tuple[Path, ...]


def _history_printer(echo: Callable[[str], None]) -> Callable[[_HasHistory], None]:
    seen: dict[str, int] = {}

    def show(aggregate: _HasHistory) -> None:
        for entry in aggregate.history[seen.get(aggregate.id, 0) :]:
            change = f"{entry.from_state or '·'} → {entry.to_state}" if entry.from_state != entry.to_state else ""
            note = f"  ({entry.note})" if entry.note else ""
            echo(f"{entry.at:%m-%d %H:%M}  {aggregate.id:<14} {entry.actor.name:<10} {entry.action:<24}{change}{note}")
        seen[aggregate.id] = len(aggregate.history)

    return show


def run_demo(
    output_dir: Path,
    *,
    locales: tuple[str, ...] = ("en", "zh-CN"),
    echo: Callable[[str], None] = print,
    config: ServiceDeskConfig | None = None,
) -> DemoResult:
    """Run the scripted lifecycle and discipline case on a fresh desk; write their documents to ``output_dir``.

    Without a ``config`` the desk stores its data in a new SQLite database,
    ``servicecore-demo.sqlite3`` in ``output_dir`` (an earlier demo's database
    there is replaced), and records notifications instead of sending them.
    """
    clock = ManualClock(START)
    if config is None:
        database = output_dir / DEMO_DATABASE
        output_dir.mkdir(parents=True, exist_ok=True)
        for leftover in (
            database,
            database.with_name(f"{database.name}-wal"),
            database.with_name(f"{database.name}-shm"),
        ):
            leftover.unlink(missing_ok=True)  # the demo's own file from an earlier run: ids start again at 0001
        config = ServiceDeskConfig(storage="sqlite", storage_options={"path": str(database)}, notifier="recording")
        echo(f"== Storing the case in SQLite: {database}")
    desk = bootstrap(config, plugins=Plugins(), clock=clock, ids=SequentialIds())
    show = _history_printer(echo)

    def later(**delta: float) -> None:
        clock.advance(timedelta(**delta))

    echo("== Intake and needs analysis")
    request = desk.receive_request(
        actor=AGENT,
        customer=Customer(CustomerId("C-100"), "Wang Fang", phone="+86 138 0000 0000", address="Block 3, Room 201"),
        channel="hotline",
        category="pest control",
        priority="high",
        description="Cockroaches in the kitchen and the storeroom",
    )
    show(request)
    later(minutes=25)
    show(desk.acknowledge_request(request.id, actor=AGENT, message="An engineer will assess today."))
    later(hours=3)
    request = desk.assess_request(
        request.id,
        actor=ENGINEER,
        feasible=True,
        analysis="German cockroach infestation; gel bait and residual spray",
        departments=["technical", "customer service"],
    )
    show(request)

    echo("== Proposal, internal review, customer confirmation")
    schedule = Schedule(START + timedelta(days=3), START + timedelta(days=3, hours=4), "Block 3, Room 201")
    terms = AgreementTerms(
        items=[
            ServiceItem("Kitchen and storeroom treatment", "GB/T 27770-2011 level C", "2", "room", Money("450", "CNY")),
            ServiceItem("Follow-up monitoring visit", "Sticky traps, 14 days", "1", "visit", Money("150", "CNY")),
        ],
        schedule=schedule,
        criteria=[
            AcceptanceCriterion("no-live-insects", "No live cockroaches in treated rooms", "site_check"),
            AcceptanceCriterion(
                "treatment-record", "Treatment record signed by the site representative", "document_review"
            ),
            AcceptanceCriterion("site-clean", "Site cleaned, packaging removed", "site_check", required=False),
        ],
        process="Built-in pest-control checklist",
    )
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Pest control, Block 3 Room 201", terms=terms)
    show(agreement)
    later(minutes=30)
    show(desk.submit_agreement_for_review(agreement.id, actor=AGENT))
    later(hours=1)
    show(desk.return_agreement(agreement.id, actor=REVIEWER, comments="Add the follow-up visit to the schedule note"))
    later(minutes=40)
    terms = attrs.evolve(terms, notes="Follow-up visit 14 days after treatment")
    show(desk.revise_agreement(agreement.id, actor=AGENT, terms=terms, note="follow-up visit noted"))
    show(desk.submit_agreement_for_review(agreement.id, actor=AGENT))
    later(minutes=20)
    show(desk.approve_agreement(agreement.id, actor=REVIEWER))
    show(desk.offer_agreement(agreement.id, actor=AGENT))
    later(hours=5)
    show(desk.confirm_agreement(agreement.id, actor=CUSTOMER_CONTACT, note="Agreed"))
    agreement = desk.activate_agreement(agreement.id, actor=AGENT)
    show(agreement)
    show(desk.get_request(request.id))

    echo("== Execution from the pest-control checklist")
    order = desk.create_work_order(
        agreement.id,
        actor=SUPERVISOR,
        title="Treat kitchen and storeroom",
        assignees=[ENGINEER.id],
        template="pest-control",
    )
    show(order)
    show(desk.get_request(request.id))
    later(days=2, hours=-9)
    order = desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps[:4]:
        later(minutes=15)
        order = desk.complete_step(order.id, actor=ENGINEER, step_key=step.key)
    later(minutes=10)
    order = desk.hold_work_order(
        order.id, actor=ENGINEER, reason=HoldReason.MATERIAL_SHORTAGE, description="Gel bait stock insufficient"
    )
    later(minutes=5)
    order = desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR)
    later(minutes=20)
    order = desk.coordinate_hold(order.id, actor=SUPERVISOR, plan="Courier brings two cartridges from the depot")
    order = desk.inform_customer_of_hold(order.id, actor=ENGINEER, message="45 minutes' delay, materials on the way")
    later(minutes=45)
    order = desk.resume_work_order(order.id, actor=ENGINEER)
    for step in order.steps[4:]:
        later(minutes=20)
        evidence = [EvidenceRef("photos/kitchen-after.jpg", "after treatment")] if step.key == "execute" else []
        measures = [Measurement("gel bait", "30", "g")] if step.key == "prepare" else []
        order = desk.complete_step(
            order.id, actor=ENGINEER, step_key=step.key, evidence=evidence, measurements=measures
        )
    order = desk.complete_work_order(
        order.id, actor=ENGINEER, sign_off=SiteSignOff("Wang Fang", clock.now(), position="resident")
    )
    show(order)

    echo("== Acceptance: a failed round, rectification, a passed round")
    later(days=1)
    inspector = Inspector(CUSTOMER_CONTACT.ref, InspectorKind.CUSTOMER)
    acceptance = desk.open_acceptance(agreement.id, actor=AGENT, inspector=inspector)
    acceptance = desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER_CONTACT,
        results=[
            CriterionResult(criterion_code="no-live-insects", passed=False, note="Two live cockroaches under the sink"),
            CriterionResult(criterion_code="treatment-record", passed=True),
            CriterionResult(criterion_code="site-clean", passed=True),
        ],
    )
    acceptance = desk.order_rectification(
        acceptance.id,
        actor=SUPERVISOR,
        responsible_party="Chen Gang",
        deadline=clock.now() + timedelta(days=3),
        instructions="Re-treat the sink cabinet and seal the pipe gap",
    )
    later(days=1)
    acceptance = desk.mark_rectified(acceptance.id, actor=ENGINEER, note="Sink cabinet re-treated, gap sealed")
    later(days=1)
    acceptance = desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER_CONTACT,
        results=[
            CriterionResult(criterion_code="no-live-insects", passed=True, note="None seen"),
            CriterionResult(criterion_code="treatment-record", passed=True),
        ],
    )
    acceptance = desk.sign_acceptance_report(
        acceptance.id, actor=CUSTOMER_CONTACT, signed_by="Wang Fang", summary="Accepted after one rectification"
    )
    show(acceptance)
    show(desk.get_agreement(agreement.id))
    show(desk.get_request(request.id))

    later(days=7)
    request = desk.close_request(request.id, actor=AGENT, note="Follow-up call: no live insects since the treatment")
    show(request)

    complaint, violation, appeal = _discipline(desk, clock, show, echo, request.id, order.id)

    dispatched = desk.dispatch_notifications()
    echo(f"== {dispatched.delivered} notifications delivered through the outbox")

    output_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for locale in locales:
        documents: tuple[RenderedDocument, ...] = (
            desk.render_work_order_sheet(order.id, locale=locale),
            desk.render_rectification_notice(acceptance.id, locale=locale),
            desk.render_acceptance_report(acceptance.id, locale=locale),
            desk.render_complaint_reply(complaint.id, locale=locale),
            desk.render_violation_decision_letter(violation.id, locale=locale),
            desk.render_publication_notice(violation.id, locale=locale),
            desk.render_appeal_decision(appeal.id, locale=locale),
        )
        for rendered in documents:
            path = output_dir / rendered.filename
            path.write_text(rendered.content, encoding="utf-8")
            files.append(path)
    echo(f"== Documents written to {output_dir}:")
    for path in files:
        echo(f"   {path.name}")
    desk.close()
    return DemoResult(
        request_id=request.id,
        agreement_id=agreement.id,
        work_order_id=order.id,
        acceptance_id=acceptance.id,
        complaint_id=complaint.id,
        violation_id=violation.id,
        appeal_id=appeal.id,
        files=tuple(files),
    )


def _discipline(
    desk: ServiceDesk,
    clock: ManualClock,
    show: Callable[[_HasHistory], None],
    echo: Callable[[str], None],
    request_id: RequestId,
    work_order_id: WorkOrderId,
) -> tuple[Complaint, Violation, Appeal]:
    """The customer complains about the engineer: complaint → violation → decision → appeal → final."""

    def on(month: int, day: int, hour: int, minute: int = 0) -> None:
        clock.set(datetime(2026, month, day, hour, minute, tzinfo=BEIJING))

    def refused(attempt: str, command: Callable[[], object]) -> None:
        # shows the refusal; a refused command writes nothing
        try:
            command()
        except ServiceCoreError as error:
            echo(f"   refused: {attempt}: {error}")
        else:  # pragma: no cover - the script is written so that these are refused
            raise AssertionError(f"the demo expected this to be refused: {attempt}")

    echo("== Complaint: on the follow-up call the customer complains about the engineer's attitude")
    on(3, 14, 15, 50)
    complaint = desk.receive_complaint(
        actor=AGENT,
        complainant=desk.get_request(request_id).customer,
        subject=ComplaintSubject(request_id=request_id, work_order_id=work_order_id),
        channel="hotline",
        category=ComplaintCategory.ATTITUDE,
        severity=ComplaintSeverity.MAJOR,
        description="The engineer was rude and argued with her when she asked whether the bait was safe",
    )
    show(complaint)
    on(3, 14, 16, 5)
    show(desk.acknowledge_complaint(complaint.id, actor=AGENT, message="Quality inspection will reply in 3 days."))
    on(3, 16, 9)
    refused(
        "Sun Li makes Chen Gang the investigator",
        lambda: desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=ENGINEER),
    )
    on(3, 16, 9, 30)
    show(desk.start_complaint_investigation(complaint.id, actor=QUALITY_INSPECTOR))

    echo("== Violation case raised from the complaint: investigation and determination")
    on(3, 16, 15)
    violation = desk.raise_violation_from_complaint(
        complaint.id,
        actor=QUALITY_INSPECTOR,
        subject=ENGINEER,
        category=ViolationCategory.SERVICE_NORM_BREACH,
        description="Wang Fang (+86 138 0000 0000) reports that Chen Gang argued with her at Block 3, Room 201",
    )
    show(violation)
    show(desk.get_complaint(complaint.id))
    on(3, 16, 16)
    desk.assign_violation_investigators(violation.id, actor=DISCIPLINE_OFFICER, investigators=[QUALITY_INSPECTOR])
    on(3, 17, 10)
    desk.add_violation_evidence(
        violation.id,
        actor=QUALITY_INSPECTOR,
        kind=EvidenceKind.INTERVIEW_RECORD,
        description="Interview with Chen Gang: admits raising his voice",
        reference=EvidenceRef("hr/cases/VIOLATION-0001/interview-chen-gang.pdf"),
    )
    on(3, 17, 11)
    desk.add_violation_evidence(
        violation.id,
        actor=QUALITY_INSPECTOR,
        kind=EvidenceKind.SERVICE_RECORD,
        description=f"Hotline recording and work order {work_order_id}",
        reference=EvidenceRef("records/calls/2026-03-14-1550.mp3"),
    )
    on(3, 18, 10)
    violation = desk.determine_violation(
        violation.id,
        actor=QUALITY_INSPECTOR,
        findings=[Finding(person=ENGINEER, degree=ResponsibilityDegree.PRIMARY, reason="argued with the customer")],
        summary="Rude to the customer, in breach of the service norms",
    )
    show(violation)

    echo("== Decision and publication (customer data withheld from the notice)")
    on(3, 19, 10)
    fined = [
        Sanction(person=ENGINEER, kind=SanctionKind.WARNING),
        Sanction(person=ENGINEER, kind=SanctionKind.FINE, amount=Money("500.00", "CNY")),
    ]
    refused(
        "the customer decides",
        lambda: desk.decide_violation(violation.id, actor=CUSTOMER_CONTACT, sanctions=fined, reasons="Dismiss him"),
    )
    deadline = datetime(2026, 4, 3, 18, 0, tzinfo=BEIJING)  # 15 days, to the end of the working day
    desk.decide_violation(
        violation.id,
        actor=DISCIPLINE_OFFICER,
        sanctions=fined,
        reasons="Rude to a customer, causing a complaint",
        appeal_deadline=deadline,
    )
    on(3, 19, 11)
    violation = desk.publish_violation(violation.id, actor=DISCIPLINE_OFFICER)
    show(violation)
    notice = desk.render_publication_notice(violation.id).content.splitlines()
    echo("   notice: " + notice[notice.index("## What happened") + 2].replace("\\*", "*"))

    echo("== Appeal: upheld by an independent panel, the fine reduced")
    on(3, 23, 9)
    appeal = desk.file_appeal(violation.id, actor=ENGINEER, grounds="First offence; I apologised to the customer")
    show(appeal)
    show(desk.get_violation(violation.id))
    on(3, 24, 10)
    show(desk.start_appeal_review(appeal.id, actor=PANEL_CHAIR, panel=[PANEL_CHAIR, PANEL_MEMBER]))
    on(3, 27, 15)
    appeal = desk.uphold_appeal(
        appeal.id,
        actor=PANEL_CHAIR,
        reasons="Facts established; first offence and an apology: fine reduced, warning kept",
        sanctions=[
            Sanction(person=ENGINEER, kind=SanctionKind.WARNING),
            Sanction(person=ENGINEER, kind=SanctionKind.FINE, amount=Money("200.00", "CNY")),
        ],
    )
    show(appeal)
    show(desk.get_violation(violation.id))
    on(3, 27, 16)
    appeal = desk.close_appeal(appeal.id, actor=PANEL_CHAIR, notification="decision handed over and signed for")
    show(appeal)
    on(3, 30, 9)
    show(desk.publish_violation(violation.id, actor=DISCIPLINE_OFFICER, note="corrected decision 2 published"))

    echo("== Complaint resolved and confirmed; the case becomes final")
    on(3, 30, 10)
    desk.resolve_complaint(
        complaint.id,
        actor=QUALITY_INSPECTOR,
        summary="The engineer breached our service norms and has been sanctioned",
        reply="We apologise for the experience and will compensate you CNY 100",
        remedies=[
            Remedy(kind=RemedyKind.APOLOGY),
            Remedy(kind=RemedyKind.COMPENSATION, amount=Money("100.00", "CNY")),
        ],
    )
    on(3, 30, 20)
    complaint = desk.confirm_complaint_resolution(complaint.id, actor=CUSTOMER_CONTACT, note="Satisfied")
    show(complaint)
    on(4, 7, 9)
    refused(
        "Chen Gang appeals again",
        lambda: desk.file_appeal(violation.id, actor=ENGINEER, grounds="Still too harsh"),
    )
    on(4, 7, 10)
    violation = desk.finalize_violation(violation.id, actor=DISCIPLINE_OFFICER)
    show(violation)
    return complaint, violation, appeal


__all__ = ["DemoResult", "run_demo"]
