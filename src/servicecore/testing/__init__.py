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
"""

from __future__ import annotations

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
from servicecore.domain.checklists import ChecklistTemplate, StepTemplate
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import (
    AcceptanceId,
    Actor,
    ActorId,
    AgreementId,
    Customer,
    CustomerId,
    EvidenceRef,
    Money,
    RequestId,
    WorkOrderId,
)
from servicecore.domain.work_order import HoldReason, Measurement, SiteSignOff, WorkOrder
from servicecore.ports.notification import Notification

Aggregate: TypeAlias = ServiceRequest | ServiceAgreement | WorkOrder | Acceptance
"""Any of the four aggregate types."""

CST = timezone(timedelta(hours=8), "CST")
"""China Standard Time (UTC+08:00), the samples' main offset."""

START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
"""When the sample stories begin."""

HOSTILE_TEXTS: Mapping[str, str] = {
    "quotes": 'O\'Brien said "hi" and `ran` \'\'; ""',
    "sql": "'; DROP TABLE service_requests; -- \" OR 1=1; /* */",
    "unicode": "客户咨询与接待 · Ünïcödé · עברית · العربية · e\u0301 · \u2028line\u2029para · \ufeffBOM",
    "emoji": "🐜🪳 pest control 👩🏽‍🔧 ✅ 🇨🇳",
    "long": "very long text " * 4000,
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
    customer = Actor(ActorId(f"C-{key}"), t("Wang Fang"), ["customer"])
    request_id, agreement_id = RequestId(f"REQ-{key}"), AgreementId(f"AGR-{key}")
    work_order_id, acceptance_id = WorkOrderId(f"WO-{key}"), AcceptanceId(f"ACC-{key}")

    # --- the request, up to assessment ---------------------------------------
    req = ServiceRequest.receive(
        id=request_id,
        customer=Customer(
            CustomerId(customer.id), customer.name, phone=t("138 0000 0000"), email=None, address=t("Block 3")
        ),
        channel="phone",
        category=t("pest control"),
        priority="high",
        description=t("Cockroaches in kitchen"),
        actor=AGENT,
        at=clock.next(),
    )
    requests = [req]
    req = req.acknowledge(actor=AGENT, at=clock.next(), message=t("We will assess today."))
    requests.append(req)
    req = req.assess(
        actor=AGENT, at=clock.next(), feasible=True, analysis=t("Standard treatment"), departments=("pest", t("ops"))
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
        measurements=[Measurement(t("dosage"), "2.50", "g/m²"), Measurement("area", Decimal("12.0"), "m²")],
    )
    wo = wo.skip_step(actor=ENGINEER, at=clock.next(), step_key="photo", reason=t("camera broken"))
    wo = wo.complete_step(actor=ENGINEER, at=clock.next(), step_key="sign")
    signed_at = clock.next()
    wo = wo.complete(
        actor=ENGINEER,
        at=clock.next(1),
        sign_off=SiteSignOff(t("Wang Fang"), signed_at, position=t("tenant")),
        note=t("done"),
    )
    work_orders.append(wo)

    # --- acceptance ----------------------------------------------------------
    acc = Acceptance.open(
        id=acceptance_id,
        agreement_id=agr.id,
        request_id=req.id,
        criteria=revision.terms.criteria,
        inspector=Inspector(customer.ref, InspectorKind.CUSTOMER, organisation=t("tenant")),
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
        responsible_party=t("Chen Gang"),
        deadline=clock.next(0) + timedelta(days=3),
        instructions=t("re-treat"),
    )
    acceptances.append(acc)
    acc = acc.mark_rectified(actor=ENGINEER, at=clock.next(60 * 24), note=t("re-treated"))
    acceptances.append(acc)
    acc = acc.record_inspection(
        actor=customer, at=clock.next(), results=[CriterionResult(criterion_code="no-live-insects", passed=True)]
    )
    acceptances.append(acc)
    acc = acc.sign_report(actor=customer, at=clock.next(), signed_by=t("Wang Fang"), summary=t("all good"))
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
    customer = Customer(CustomerId(f"C-{key}"), t("Zhao Min"))
    declined = ServiceRequest.receive(
        id=RequestId(f"REQ-{key}-x"),
        customer=customer,
        channel="online",
        category=t("termites"),
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


def sample_aggregates(key: str = "1", *, text: str = "") -> tuple[tuple[str, Aggregate], ...]:
    """Labelled samples of every aggregate type in many states (``"ServiceRequest-received"``...).

    Labels are unique; ids are not (snapshots of one aggregate share its id).
    """
    life = full_lifecycle(key, text=text)
    labelled: dict[str, Aggregate] = {}
    for aggregate in (*life.snapshots(), *side_paths(key, text=text)):
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
    "ENGINEER",
    "HOSTILE_IDS",
    "HOSTILE_TEXTS",
    "REVIEWER",
    "SAMPLE_TEMPLATE",
    "START",
    "SUPERVISOR",
    "Aggregate",
    "Lifecycle",
    "full_lifecycle",
    "sample_aggregates",
    "sample_notification",
    "sample_terms",
    "side_paths",
]
