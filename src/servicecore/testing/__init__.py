"""Test kit for people who build on servicecore: adapter authors and application developers.

Three parts:

* :mod:`servicecore.testing.storage_contract` - :class:`~servicecore.testing.storage_contract.StorageContract`,
  the pytest suite every storage backend must pass (needs ``pytest``);
* :mod:`servicecore.testing.strategies` - Hypothesis strategies that build valid
  aggregates by driving the real domain commands (needs ``hypothesis``);
* this module - deterministic sample aggregates and hostile strings, with no
  dependency beyond servicecore itself.

Every sample is built through the public domain constructors and commands
(:meth:`ServiceRequest.receive`, :meth:`ServiceAgreement.draft`, ...), never by
filling fields directly, so it is an object the domain could really produce,
including its history and pending ``events``.

>>> life = full_lifecycle("7")
>>> [r.status.value for r in life.requests][-1]
'closed'
>>> life.acceptances[-1].round_count
2
>>> case = discipline_case("7")
>>> [agg.status.value for agg in case.finals()]
['closed', 'final', 'closed']
>>> len(case.violations[-1].decisions)
2
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeAlias

import attrs

from servicecore.domain.acceptance import Acceptance, CriterionResult, Inspector, InspectorKind
from servicecore.domain.agreement import (
    AcceptanceCriterion,
    AgreementTerms,
    InspectionMethod,
    Schedule,
    ServiceAgreement,
    ServiceItem,
)
from servicecore.domain.appeal import Appeal
from servicecore.domain.checklists import ChecklistTemplate, StepTemplate
from servicecore.domain.complaint import Complaint, ComplaintSubject, Remedy
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import (
    MAX_LINE_LENGTH,
    AcceptanceId,
    Actor,
    ActorId,
    AgreementId,
    AppealId,
    ComplaintId,
    Customer,
    CustomerId,
    EvidenceRef,
    Money,
    RequestId,
    ViolationId,
    WorkOrderId,
)
from servicecore.domain.violation import Compensation, Finding, Sanction, Violation, ViolationSource
from servicecore.domain.work_order import HoldReason, Measurement, SiteSignOff, WorkOrder
from servicecore.ports.notification import Notification

DisciplineAggregate: TypeAlias = Complaint | Violation | Appeal
"""A complaint, a violation or an appeal."""

Aggregate: TypeAlias = ServiceRequest | ServiceAgreement | WorkOrder | Acceptance | DisciplineAggregate
"""Any of the seven aggregate types."""

CST = timezone(timedelta(hours=8), "CST")
"""China Standard Time (UTC+08:00), the samples' main offset."""

START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
"""When the sample stories begin."""

HOSTILE_TEXTS: Mapping[str, str] = {
    "quotes": 'O\'Brien said "hi" and `ran` \'\'; ""',
    "sql": "'; DROP TABLE service_requests; -- \" OR 1=1; /* */",
    "unicode": "客户咨询与接待 · Ünïcödé · עברית · العربية · e\u0301 · \u2028line\u2029para · \ufeffBOM",
    "emoji": "🐜🪳 pest control 👩🏽‍🔧 ✅ 🇨🇳",
    "long": "very long text " * 1000,  # 15,000 characters: long, within the 20,000 free text may have
    "markup": (
        "# Title\n\n<script>alert('x')</script> **bold** [link](javascript:alert(1))"
        " | a | b |\n---\n{{ jinja }} {% raw %} <!-- -->"
    ),
    "whitespace": "  leading and trailing\ttabs\r\nCRLF\n\n  ",
    "escapes": "back\\slash \\n \\x00 \\u0000 %s %(name)s {0} $1 ${HOME} \x7f",
    "json": '{"id": "REQ-1", "version": 99, "events": []}',
}
"""Strings an adapter must store as plain data and return unchanged (no NUL, no lone surrogates)."""

HOSTILE_IDS: tuple[str, ...] = (
    "REQ-'\"; DROP TABLE requests;--",
    "请求-①",
    "id with spaces and 🐜",
)
"""Identifiers with quotes, SQL, spaces, CJK and emoji (but no NUL and no path separators)."""

AGENT = Actor(ActorId("E-001"), "Li Na", ["agent"])
"""A customer-service agent who authors agreements."""
REVIEWER = Actor(ActorId("E-002"), "Zhou Wei", ["reviewer"])
"""An internal reviewer (never the author)."""
ENGINEER = Actor(ActorId("E-010"), "Chen Gang", ["engineer"])
"""A field engineer assigned to work orders."""
SUPERVISOR = Actor(ActorId("E-020"), "Sun Li", ["supervisor"])
"""A supervisor who handles work-order exceptions."""
DISCIPLINE_OFFICER = Actor(ActorId("E-030"), "Zhang Min", ["discipline_officer"])
"""Decides, publishes and finalizes violation cases."""
QUALITY_INSPECTOR = Actor(ActorId("E-040"), "Huang Lei", ["quality_inspector"])
"""Investigates complaints and violations."""
PANEL_MEMBERS = (
    Actor(ActorId("E-050"), "Xu Hua", ["appeal_panel_member"]),
    Actor(ActorId("E-051"), "Ma Jun", ["appeal_panel_member"]),
)
"""An appeal panel that took no part in the samples' cases."""

SAMPLE_TEMPLATE = ChecklistTemplate(
    key="sample-visit",
    title="Sample site visit",
    steps=(
        StepTemplate("arrive", "Arrive on time", title_zh="准时到场"),
        StepTemplate("treat", "Carry out the treatment", title_zh="精准施工"),
        StepTemplate("photo", "Take before/after photos", required=False),
        StepTemplate("sign", "Get the site representative's signature", title_zh="登记签字"),
    ),
)
"""A small checklist with one optional step, used by the samples."""


@attrs.frozen
class Lifecycle:
    """Snapshots of the four aggregates of one service request, one after each command.

    Each tuple is in the order the states were reached; the last element is the
    final state. Every snapshot still carries its pending ``events`` and has
    ``version`` 0, exactly as the domain returns it.
    """

    requests: tuple[ServiceRequest, ...]
    agreements: tuple[ServiceAgreement, ...]
    work_orders: tuple[WorkOrder, ...]
    acceptances: tuple[Acceptance, ...]

    def finals(self) -> tuple[ServiceRequest, ServiceAgreement, WorkOrder, Acceptance]:
        """The last snapshot of each aggregate (the ones with the fullest history)."""
        return self.requests[-1], self.agreements[-1], self.work_orders[-1], self.acceptances[-1]

    def snapshots(self) -> tuple[Aggregate, ...]:
        """Every snapshot of every aggregate."""
        return (*self.requests, *self.agreements, *self.work_orders, *self.acceptances)


class _Timeline:
    """A clock for scripts: every call to :meth:`next` is a few minutes later."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def next(self, minutes: int = 7) -> datetime:
        self._now += timedelta(minutes=minutes)
        return self._now


def one_line(text: str) -> str:
    """``text`` with every character a single-line field refuses (controls, line breaks and separators,
    invisible format characters such as zero-width joiners and bidi marks) replaced by a space: the
    form of a hostile text that fits a name, a key or a category, cut to the
    :data:`~servicecore.domain.values.MAX_LINE_LENGTH` characters such a field may have."""
    return "".join(" " if unicodedata.category(ch) in _NOT_ON_ONE_LINE else ch for ch in text[:MAX_LINE_LENGTH])


_NOT_ON_ONE_LINE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def sample_terms(*, text: str = "", start: datetime = START, currency: str = "CNY") -> AgreementTerms:
    """Agreement terms with two items, a schedule and two criteria (one optional)."""

    def t(base: str) -> str:
        return f"{base} {text}" if text else base

    return AgreementTerms(
        items=[
            ServiceItem(t("Kitchen treatment"), "GB/T 27770", "1", "visit", Money("800.00", currency)),
            ServiceItem(t("Bait stations"), "GB/T 27770", Decimal("2.50"), "set", Money("0.10", currency)),
        ],
        schedule=Schedule(start + timedelta(days=3), start + timedelta(days=3, hours=3), t("Block 3, Room 201")),
        criteria=[
            AcceptanceCriterion("no-live-insects", t("No live cockroaches seen"), InspectionMethod.SITE_CHECK),
            AcceptanceCriterion("report", t("Treatment record signed"), "document_review", required=False),
        ],
        process=t("Gel bait, then spray"),
        notes=t("Keep pets away"),
    )


def full_lifecycle(key: str = "1", *, text: str = "", start: datetime = START) -> Lifecycle:
    """One request taken through its whole life, with a snapshot after every command.

    The story: received, acknowledged, assessed; an agreement drafted, returned
    by review, revised, approved, offered, changed at the customer's request,
    approved and offered again, confirmed and activated; a work order started,
    put on hold and taken through the whole exception procedure, every step
    done (one skipped) with evidence and measurements, and completed; an
    acceptance that fails its first round, is rectified, passes the second and
    is signed; the agreement fulfilled, the request completed and closed.

    Ids are ``REQ-<key>``, ``AGR-<key>``, ``WO-<key>`` and ``ACC-<key>``;
    ``text`` (if given) is appended to every free-text field.
    """

    def t(base: str) -> str:
        return f"{base} {text}" if text else base

    clock = _Timeline(start)
    customer = Actor(ActorId(f"C-{key}"), one_line(t("Wang Fang")), ["customer"])
    request_id, agreement_id = RequestId(f"REQ-{key}"), AgreementId(f"AGR-{key}")
    work_order_id, acceptance_id = WorkOrderId(f"WO-{key}"), AcceptanceId(f"ACC-{key}")

    # --- the request, up to assessment ---------------------------------------
    req = ServiceRequest.receive(
        id=request_id,
        customer=Customer(
            CustomerId(customer.id), customer.name, phone=one_line(t("138 0000 0000")), email=None, address=t("Block 3")
        ),
        channel="phone",
        category=one_line(t("pest control")),
        priority="high",
        description=t("Cockroaches in kitchen"),
        actor=AGENT,
        at=clock.next(),
    )
    requests = [req]
    req = req.acknowledge(actor=AGENT, at=clock.next(), message=t("We will assess today."))
    requests.append(req)
    req = req.assess(
        actor=AGENT,
        at=clock.next(),
        feasible=True,
        analysis=t("Standard treatment"),
        departments=("pest", one_line(t("ops"))),
    )
    requests.append(req)

    # --- the agreement -------------------------------------------------------
    terms = sample_terms(text=text, start=start)
    agr = ServiceAgreement.draft(
        id=agreement_id,
        request_id=req.id,
        customer_id=req.customer.id,
        title=t("Kitchen pest control"),
        terms=terms,
        actor=AGENT,
        at=clock.next(),
    )
    agreements = [agr]
    agr = agr.submit_for_review(actor=AGENT, at=clock.next(), note=t("please review"))
    agreements.append(agr)
    agr = agr.return_for_changes(reviewer=REVIEWER, at=clock.next(), comments=t("add bait stations"))
    agreements.append(agr)
    agr = agr.revise(actor=AGENT, at=clock.next(), terms=terms, note=t("added"))
    agr = agr.submit_for_review(actor=AGENT, at=clock.next())
    agr = agr.approve(reviewer=REVIEWER, at=clock.next(), comments=t("fine"))
    agr = agr.offer(actor=AGENT, at=clock.next())
    agreements.append(agr)
    agr = agr.request_change(actor=customer, at=clock.next(), comments=t("mornings only"))
    agr = agr.submit_for_review(actor=AGENT, at=clock.next())
    agr = agr.approve(reviewer=REVIEWER, at=clock.next())
    agr = agr.offer(actor=AGENT, at=clock.next(), note=t("revision 2"))
    agr = agr.confirm(actor=customer, at=clock.next(), note=t("ok"))
    agreements.append(agr)
    req = req.mark_agreed(actor=customer, at=clock.next(), agreement_id=agr.id)
    requests.append(req)
    agr = agr.activate(actor=AGENT, at=clock.next())
    agreements.append(agr)

    # --- the work order ------------------------------------------------------
    revision = agr.confirmed_revision
    assert revision is not None
    wo = WorkOrder.create(
        id=work_order_id,
        agreement_id=agr.id,
        request_id=req.id,
        title=t("Kitchen treatment"),
        assignees=[ENGINEER.id, ActorId("E-011")],
        window=revision.terms.schedule,
        template=SAMPLE_TEMPLATE,
        actor=AGENT,
        at=clock.next(),
    )
    work_orders = [wo]
    req = req.start_service(actor=AGENT, at=clock.next(), work_order_id=wo.id)
    requests.append(req)
    wo = wo.start(actor=ENGINEER, at=clock.next())
    wo = wo.complete_step(
        actor=ENGINEER,
        at=clock.next(),
        step_key="arrive",
        note=t("on time"),
        evidence=[EvidenceRef("photo://arrive/1.jpg", t("door"))],
    )
    work_orders.append(wo)
    wo = wo.hold(actor=ENGINEER, at=clock.next(), reason=HoldReason.MATERIAL_SHORTAGE, description=t("out of gel"))
    wo = wo.report_hold(actor=ENGINEER, at=clock.next(), supervisor=SUPERVISOR, note=t("called"))
    wo = wo.coordinate_hold(actor=SUPERVISOR, at=clock.next(), plan=t("courier brings gel"))
    work_orders.append(wo)
    wo = wo.inform_customer_of_hold(actor=ENGINEER, at=clock.next(), message=t("30 minutes delay"))
    wo = wo.resume(actor=ENGINEER, at=clock.next(), note=t("gel arrived"))
    wo = wo.complete_step(
        actor=ENGINEER,
        at=clock.next(),
        step_key="treat",
        measurements=[Measurement(one_line(t("dosage")), "2.50", "g/m²"), Measurement("area", Decimal("12.0"), "m²")],
    )
    wo = wo.skip_step(actor=ENGINEER, at=clock.next(), step_key="photo", reason=t("camera broken"))
    wo = wo.complete_step(actor=ENGINEER, at=clock.next(), step_key="sign")
    signed_at = clock.next()
    wo = wo.complete(
        actor=ENGINEER,
        at=clock.next(1),
        sign_off=SiteSignOff(one_line(t("Wang Fang")), signed_at, position=one_line(t("tenant"))),
        note=t("done"),
    )
    work_orders.append(wo)

    # --- acceptance ----------------------------------------------------------
    acc = Acceptance.open(
        id=acceptance_id,
        agreement_id=agr.id,
        request_id=req.id,
        criteria=revision.terms.criteria,
        inspector=Inspector(customer.ref, InspectorKind.CUSTOMER, organisation=one_line(t("tenant"))),
        actor=AGENT,
        at=clock.next(),
        work_order_ids=[wo.id],
    )
    acceptances = [acc]
    acc = acc.record_inspection(
        actor=customer,
        at=clock.next(),
        results=[
            CriterionResult(
                criterion_code="no-live-insects",
                passed=False,
                note=t("two seen"),
                evidence=(EvidenceRef("photo://acc/1.jpg"),),
            ),
            CriterionResult(criterion_code="report", passed=True),
        ],
        note=t("first round"),
    )
    acceptances.append(acc)
    acc = acc.order_rectification(
        actor=AGENT,
        at=clock.next(),
        responsible_party=one_line(t("Chen Gang")),
        deadline=clock.next(0) + timedelta(days=3),
        instructions=t("re-treat"),
    )
    acceptances.append(acc)
    acc = acc.mark_rectified(actor=ENGINEER, at=clock.next(60 * 24), note=t("re-treated"), workers={ENGINEER.id})
    acceptances.append(acc)
    acc = acc.record_inspection(
        actor=customer, at=clock.next(), results=[CriterionResult(criterion_code="no-live-insects", passed=True)]
    )
    acceptances.append(acc)
    acc = acc.sign_report(actor=customer, at=clock.next(), signed_by=one_line(t("Wang Fang")), summary=t("all good"))
    acceptances.append(acc)

    # --- closing -------------------------------------------------------------
    agr = agr.fulfil(actor=AGENT, at=clock.next(), note=t(f"accepted in {acc.id}"))
    agreements.append(agr)
    req = req.complete(actor=AGENT, at=clock.next(), note=t("accepted"))
    requests.append(req)
    req = req.close(actor=AGENT, at=clock.next(), note=t("follow-up call made"))
    requests.append(req)

    return Lifecycle(tuple(requests), tuple(agreements), tuple(work_orders), tuple(acceptances))


def side_paths(key: str = "1", *, text: str = "", start: datetime = START) -> tuple[Aggregate, ...]:
    """Aggregates that ended early: a declined request, a declined and a terminated
    agreement, a cancelled work order. Ids are ``<KIND>-<key>-x`` and ``-y``."""

    def t(base: str) -> str:
        return f"{base} {text}" if text else base

    clock = _Timeline(start)
    customer = Customer(CustomerId(f"C-{key}"), one_line(t("Zhao Min")))
    declined = ServiceRequest.receive(
        id=RequestId(f"REQ-{key}-x"),
        customer=customer,
        channel="online",
        category=one_line(t("termites")),
        priority="low",
        description=t("Wooden floor"),
        actor=AGENT,
        at=clock.next(),
    ).decline(actor=AGENT, at=clock.next(), reason=t("out of area"))
    offered = (
        ServiceAgreement.draft(
            id=AgreementId(f"AGR-{key}-x"),
            request_id=RequestId(f"REQ-{key}"),
            customer_id=customer.id,
            title=t("Declined offer"),
            terms=sample_terms(text=text, start=start),
            actor=AGENT,
            at=clock.next(),
        )
        .submit_for_review(actor=AGENT, at=clock.next())
        .approve(reviewer=REVIEWER, at=clock.next())
        .offer(actor=AGENT, at=clock.next())
    )
    agreement_declined = offered.decline(actor=AGENT, at=clock.next(), reason=t("too expensive"))
    terminated = attrs.evolve(offered, id=AgreementId(f"AGR-{key}-y")).terminate(
        actor=AGENT, at=clock.next(), reason=t("customer moved")
    )
    cancelled = WorkOrder.create(
        id=WorkOrderId(f"WO-{key}-x"),
        agreement_id=AgreementId(f"AGR-{key}"),
        request_id=RequestId(f"REQ-{key}"),
        title=t("Second visit"),
        assignees=[ENGINEER.id],
        window=Schedule(start + timedelta(days=5), start + timedelta(days=5, hours=1), t("Block 3")),
        template=SAMPLE_TEMPLATE,
        actor=AGENT,
        at=clock.next(),
    ).cancel(actor=AGENT, at=clock.next(), reason=t("not needed"))
    return declined, agreement_declined, terminated, cancelled


def with_running_clocks(key: str = "1", *, text: str = "") -> tuple[Aggregate, ...]:
    """A request and a complaint whose SLA clocks run (one paused work order too), as the facade stores them.

    The clocks follow :func:`~servicecore.application.sla.default_policies` on a
    weekday calendar in Shanghai, so checkpoints, pauses and ISO durations round-trip.
    """
    from servicecore.application.sla import SlaService
    from servicecore.sla.calendar import BusinessCalendar

    sla = SlaService(BusinessCalendar.weekdays("Asia/Shanghai", ["09:00-12:00", "13:30-18:00"]))
    life = full_lifecycle(key, text=text)
    request = sla.observe(life.requests[0], life.requests[0].received_at)
    request = sla.observe(attrs.evolve(request, status=life.requests[1].status), life.requests[1].history[-1].at)
    order = life.work_orders[0]
    order = sla.observe(order, order.history[-1].at)
    complaint = discipline_case(key, text=text).complaints[0]
    complaint = sla.observe(complaint, complaint.received_at)
    return (attrs.evolve(request, history=life.requests[1].history, events=life.requests[1].events), order, complaint)


def sample_aggregates(key: str = "1", *, text: str = "") -> tuple[tuple[str, Aggregate], ...]:
    """Labelled samples of every aggregate type in many states (``"ServiceRequest-received"``...).

    Includes complaints, violations and appeals, and aggregates with running SLA clocks.

    Labels are unique; ids are not (snapshots of one aggregate share its id).
    """
    life = full_lifecycle(key, text=text)
    discipline = discipline_case(key, text=text)
    labelled: dict[str, Aggregate] = {}
    for aggregate in (
        *life.snapshots(),
        *side_paths(key, text=text),
        *discipline.snapshots(),
        *discipline_side_paths(key, text=text),
        *with_running_clocks(key, text=text),
    ):
        label = f"{type(aggregate).__name__}-{aggregate.status.value}"
        suffix = 2
        while label in labelled:
            label = f"{type(aggregate).__name__}-{aggregate.status.value}-{suffix}"
            suffix += 1
        labelled[label] = aggregate
    return tuple(labelled.items())


@attrs.frozen
class DisciplineCase:
    """Snapshots of a complaint, the violation raised from it and the appeal against it.

    As in :class:`Lifecycle`, each tuple is in the order the states were
    reached and every snapshot keeps its pending ``events`` and ``version`` 0.
    """

    complaints: tuple[Complaint, ...]
    violations: tuple[Violation, ...]
    appeals: tuple[Appeal, ...]

    def finals(self) -> tuple[Complaint, Violation, Appeal]:
        """The last snapshot of each aggregate."""
        return self.complaints[-1], self.violations[-1], self.appeals[-1]

    def snapshots(self) -> tuple[DisciplineAggregate, ...]:
        """Every snapshot of every aggregate."""
        return (*self.complaints, *self.violations, *self.appeals)


def sample_complainant(key: str = "1", *, text: str = "") -> Customer:
    """The customer of :func:`full_lifecycle` ``key``, with all contact data filled in."""

    def line(base: str) -> str:
        return one_line(f"{base} {text}") if text else base

    return Customer(
        CustomerId(f"C-{key}"),
        line("Wang Fang"),
        phone=line("138 0000 0000"),
        email=line("wang.fang@example.cn"),
        address=line("Block 3, Room 201, 88 Garden Road"),
    )


def discipline_case(key: str = "1", *, text: str = "", start: datetime = START) -> DisciplineCase:
    """A complaint that ends in a sanction and an upheld appeal, with a snapshot after each step.

    The story: the customer of :func:`full_lifecycle` complains about the work
    of ``WO-<key>`` (engineer :data:`ENGINEER`); the complaint is acknowledged
    and investigated, raises violation ``VIO-<key>``, is resolved, reopened,
    resolved again and confirmed. The violation is investigated with three
    evidence items, the engineer found primarily responsible, warned, fined and
    ordered to pay compensation; the decision is published. The engineer
    appeals (``APL-<key>``); the panel revokes the fine; the corrected decision
    is published and the case made final. Ids are ``CMP-<key>``, ``VIO-<key>``,
    ``APL-<key>``; ``text`` (if given) is appended to every free-text field.
    """

    def t(base: str) -> str:
        return f"{base} {text}" if text else base

    clock = _Timeline(start + timedelta(days=10))
    customer = sample_complainant(key, text=text)
    contact = Actor(ActorId(customer.id), customer.name, ["customer"])
    investigator, officer = QUALITY_INSPECTOR, DISCIPLINE_OFFICER
    complaint_id, violation_id, appeal_id = ComplaintId(f"CMP-{key}"), ViolationId(f"VIO-{key}"), AppealId(f"APL-{key}")

    cmp = Complaint.receive(
        id=complaint_id,
        complainant=customer,
        subject=ComplaintSubject(
            request_id=RequestId(f"REQ-{key}"), work_order_id=WorkOrderId(f"WO-{key}"), staff_ids=[ENGINEER.id]
        ),
        channel="hotline",
        category="quality",
        severity="major",
        description=t("Cockroaches back two days after the treatment; the engineer skipped the photos"),
        actor=AGENT,
        at=clock.next(),
        work_staff_ids=[ENGINEER.id, ActorId("E-011")],
        disputed_amount=Money("400.00", "CNY").times(2),
    )
    complaints = [cmp]
    cmp = cmp.acknowledge(actor=AGENT, at=clock.next(), message=t("We are looking into it today."))
    complaints.append(cmp)
    cmp = cmp.start_investigation(actor=SUPERVISOR, at=clock.next(), investigator=investigator).add_evidence(
        actor=investigator,
        at=clock.next(),
        kind="photo",
        description=t("Live cockroaches under the sink, two days after the treatment"),
        reference=EvidenceRef(f"dms://complaints/{key}/sink.jpg"),
    )
    complaints.append(cmp)

    vio = Violation.report(
        id=violation_id,
        subject=ENGINEER,
        category="quality_failure",
        source=ViolationSource.from_complaint(cmp.id),
        description=t(
            f"{customer.name} (tel. {customer.phone}) found live cockroaches at {customer.address} "
            "two days after the treatment"
        ),
        actor=investigator,
        at=clock.next(),
    )
    violations = [vio]
    cmp = cmp.link_violation(actor=investigator, at=clock.next(), violation_id=vio.id)
    complaints.append(cmp)
    vio = vio.assign_investigators(actor=officer, at=clock.next(), investigators=[investigator])
    violations.append(vio)
    vio = vio.add_evidence(
        actor=investigator,
        at=clock.next(),
        kind="service_record",
        description=t("Work order sheet: gel applied at half the agreed dosage"),
        reference=EvidenceRef(f"doc://work-orders/WO-{key}", t("sheet")),
    )
    vio = vio.add_evidence(
        actor=investigator, at=clock.next(), kind="interview_record", description=t("Interview with the engineer")
    )
    vio = vio.add_evidence(
        actor=investigator,
        at=clock.next(),
        kind="document",
        description=t(f"Photos sent by the customer from {customer.phone}"),
        reference=EvidenceRef("photo://complaints/1.jpg"),
    )
    violations.append(vio)
    vio = vio.determine(
        actor=investigator,
        at=clock.next(),
        findings=[Finding(person=ENGINEER, degree="primary", reason=t(f"Under-dosed at {customer.name}'s flat"))],
        summary=t("The treatment did not follow the standard"),
    )
    violations.append(vio)
    decided_at = clock.next()
    vio = vio.decide(
        actor=officer,
        at=decided_at,
        sanctions=[
            Sanction(person=ENGINEER, kind="warning", note=t("first offence")),
            Sanction(person=ENGINEER, kind="fine", amount=Money("200.00", "CNY")),
        ],
        compensations=[Compensation(person=ENGINEER, amount=Money("300.00", "CNY"), note=t("refund to the customer"))],
        reasons=t("Service standard GB/T 27770 not followed"),
        appeal_deadline=decided_at + timedelta(days=7),
    )
    violations.append(vio)

    cmp = cmp.resolve(
        actor=investigator,
        at=clock.next(),
        summary=t("The treatment was under-dosed"),
        reply=t("We apologise; the treatment will be redone at no cost."),
        remedies=[
            Remedy(kind="apology"),
            Remedy(kind="redo", work_order_id=WorkOrderId(f"WO-{key}-r"), note=t("next Monday")),
        ],
    )
    complaints.append(cmp)
    cmp = cmp.reopen(actor=contact, at=clock.next(60 * 24), reason=t("Still seeing insects after the redo"))
    complaints.append(cmp)
    cmp = cmp.resolve(
        actor=investigator,
        at=clock.next(),
        summary=t("Redo confirmed insufficient"),
        reply=t("We refund the treatment."),
        remedies=[Remedy(kind="refund", amount=Money("300.00", "CNY"))],
    )
    complaints.append(cmp)
    cmp = cmp.confirm_resolution(actor=contact, at=clock.next(), note=t("Thank you"))
    complaints.append(cmp)

    vio = vio.publish(actor=officer, at=clock.next(), note=t("notice board"))
    violations.append(vio)
    apl = Appeal.file(
        id=appeal_id, violation=vio, appellant=ENGINEER, at=clock.next(), grounds=t("The depot issued the wrong gel")
    )
    appeals = [apl]
    vio = vio.register_appeal(appellant=ENGINEER, at=clock.next(0), appeal_id=apl.id)
    violations.append(vio)
    apl = apl.start_review(actor=SUPERVISOR, at=clock.next(), panel=PANEL_MEMBERS)
    appeals.append(apl)
    apl = apl.uphold(
        actor=PANEL_MEMBERS[0],
        at=clock.next(),
        reasons=t("The depot's mistake is confirmed; the fine is revoked"),
        sanctions=[Sanction(person=ENGINEER, kind="warning", note=t("first offence"))],
        compensations=[Compensation(person=ENGINEER, amount=Money("300.00", "CNY"))],
    )
    appeals.append(apl)
    vio = vio.conclude_appeal(actor=PANEL_MEMBERS[0], at=clock.next(0), conclusion=apl.conclusion)
    violations.append(vio)
    apl = apl.close(actor=PANEL_MEMBERS[0], at=clock.next(), notification=t("Told in person"))
    appeals.append(apl)
    vio = vio.publish(actor=officer, at=clock.next(), note=t("corrected notice"))
    violations.append(vio)
    vio = vio.finalize(actor=officer, at=clock.next())
    violations.append(vio)
    return DisciplineCase(tuple(complaints), tuple(violations), tuple(appeals))


def discipline_side_paths(
    key: str = "1", *, text: str = "", start: datetime = START
) -> tuple[DisciplineAggregate, ...]:
    """Cases that end otherwise: a withdrawn complaint, one closed after the customer's silence,
    a dismissed violation, and a violation whose appeal was rejected (final) with that appeal.
    Ids are ``<PREFIX>-<key>-x`` and ``-y``."""

    def t(base: str) -> str:
        return f"{base} {text}" if text else base

    clock = _Timeline(start + timedelta(days=20))
    customer = sample_complainant(key, text=text)
    about_engineer = ComplaintSubject(staff_ids=[ENGINEER.id])

    def complaint(suffix: str) -> Complaint:
        return Complaint.receive(
            id=ComplaintId(f"CMP-{key}-{suffix}"),
            complainant=customer,
            subject=about_engineer,
            channel="online",
            category=one_line(t("noise at night")),
            severity="minor",
            description=t("Loud equipment late in the evening"),
            actor=AGENT,
            at=clock.next(),
        ).acknowledge(actor=AGENT, at=clock.next(), message=t("Received"))

    withdrawn = complaint("x").withdraw(actor=AGENT, at=clock.next(), reason=t("Sorted it out with the neighbour"))
    resolved = (
        complaint("y")
        .start_investigation(actor=SUPERVISOR, at=clock.next())
        .resolve(actor=SUPERVISOR, at=clock.next(), summary=t("Work hours agreed"), reply=t("Sorry for the noise"))
    )
    silent = resolved.close_after_silence(actor=AGENT, at=clock.next(60 * 24 * 8), silence=timedelta(days=7))

    def reported(suffix: str) -> Violation:
        return (
            Violation.report(
                id=ViolationId(f"VIO-{key}-{suffix}"),
                subject=ENGINEER,
                category="service_norm_breach",
                source=ViolationSource.staff_report(SUPERVISOR),
                description=t("Arrived late without notice"),
                actor=SUPERVISOR,
                at=clock.next(),
            )
            .assign_investigators(actor=DISCIPLINE_OFFICER, at=clock.next(), investigators=[QUALITY_INSPECTOR])
            .add_evidence(actor=QUALITY_INSPECTOR, at=clock.next(), kind="service_record", description=t("Log"))
        )

    dismissed = reported("x").determine(
        actor=QUALITY_INSPECTOR,
        at=clock.next(),
        findings=[Finding(person=ENGINEER, degree="none", reason=t("The customer moved the appointment"))],
        summary=t("Not late: the appointment was moved"),
    )
    determined = reported("y").determine(
        actor=QUALITY_INSPECTOR,
        at=clock.next(),
        findings=[Finding(person=ENGINEER, degree="secondary")],
        summary=t("Late by an hour"),
    )
    decided_at = clock.next()
    decided = determined.decide(
        actor=DISCIPLINE_OFFICER,
        at=decided_at,
        sanctions=[Sanction(person=ENGINEER, kind="warning")],
        reasons=t("Punctuality rule"),
        appeal_deadline=decided_at + timedelta(days=3),
    ).publish(actor=DISCIPLINE_OFFICER, at=clock.next())
    appeal = Appeal.file(
        id=AppealId(f"APL-{key}-y"), violation=decided, appellant=ENGINEER, at=clock.next(), grounds=t("Traffic")
    )
    decided = decided.register_appeal(appellant=ENGINEER, at=clock.next(0), appeal_id=appeal.id)
    appeal = appeal.start_review(actor=SUPERVISOR, at=clock.next(), panel=PANEL_MEMBERS[:1]).reject(
        actor=PANEL_MEMBERS[0], at=clock.next(), reasons=t("Traffic was foreseeable")
    )
    final = decided.conclude_appeal(actor=PANEL_MEMBERS[0], at=clock.next(0), conclusion=appeal.conclusion).finalize(
        actor=DISCIPLINE_OFFICER, at=clock.next()
    )
    appeal = appeal.close(actor=PANEL_MEMBERS[0], at=clock.next(), notification=t("By letter"))
    return withdrawn, silent, dismissed, final, appeal


def sample_discipline_aggregates(key: str = "1", *, text: str = "") -> tuple[tuple[str, DisciplineAggregate], ...]:
    """Labelled samples of complaints, violations and appeals in many states (``"Violation-final"``...).

    :func:`sample_aggregates` includes them.
    """
    case = discipline_case(key, text=text)
    labelled: dict[str, DisciplineAggregate] = {}
    for aggregate in (*case.snapshots(), *discipline_side_paths(key, text=text)):
        label = f"{type(aggregate).__name__}-{aggregate.status.value}"
        suffix = 2
        while label in labelled:
            label = f"{type(aggregate).__name__}-{aggregate.status.value}-{suffix}"
            suffix += 1
        labelled[label] = aggregate
    return tuple(labelled.items())


def sample_notification(
    id: str,
    *,
    created_at: datetime = START,
    text: str = "",
    aggregate_id: str = "REQ-1",
    recipients: tuple[str, ...] = ("customer:C-1", "role:agent"),
) -> Notification:
    """A notification as the default policy would write it; ``text`` goes into subject and body."""
    subject = f"We received your request {aggregate_id} {text}" if text else f"We received your request {aggregate_id}"
    return Notification(
        id=id,
        event="RequestReceived",
        aggregate_type="ServiceRequest",
        aggregate_id=aggregate_id,
        recipients=recipients,
        subject=subject,
        body=f"{subject}\n\nLi Na at {created_at.isoformat()}",
        created_at=created_at,
    )


__all__ = [
    "AGENT",
    "CST",
    "DISCIPLINE_OFFICER",
    "ENGINEER",
    "HOSTILE_IDS",
    "HOSTILE_TEXTS",
    "PANEL_MEMBERS",
    "QUALITY_INSPECTOR",
    "REVIEWER",
    "SAMPLE_TEMPLATE",
    "START",
    "SUPERVISOR",
    "Aggregate",
    "DisciplineAggregate",
    "DisciplineCase",
    "Lifecycle",
    "discipline_case",
    "discipline_side_paths",
    "full_lifecycle",
    "one_line",
    "sample_aggregates",
    "sample_complainant",
    "sample_discipline_aggregates",
    "sample_notification",
    "sample_terms",
    "side_paths",
]
