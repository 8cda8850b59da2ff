"""Hypothesis strategies for servicecore objects, built by driving the real domain commands.

Every aggregate is created with its public constructor (``receive``, ``draft``,
``create``, ``open``) and then taken through a random number of randomly chosen
commands that its current state allows, with random but valid arguments and a
clock that only moves forward (in randomly chosen UTC offsets). So every drawn
object is one the domain could really produce, history and pending events
included, and shrinking leads to short, readable stories.

Use them in an adapter's own property tests::

    from hypothesis import given
    from servicecore.testing import strategies as sst

    @given(sst.aggregates())
    def test_round_trip(aggregate): ...

Requires ``hypothesis`` (part of servicecore's ``test`` extra).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from servicecore.domain.acceptance import Acceptance, AcceptanceStatus, CriterionResult, Inspector, InspectorKind
from servicecore.domain.agreement import (
    AcceptanceCriterion,
    AgreementStatus,
    AgreementTerms,
    InspectionMethod,
    Schedule,
    ServiceAgreement,
    ServiceItem,
)
from servicecore.domain.appeal import Appeal, AppealStatus
from servicecore.domain.checklists import ChecklistTemplate, StepTemplate
from servicecore.domain.complaint import (
    Complaint,
    ComplaintCategory,
    ComplaintOutcome,
    ComplaintSeverity,
    ComplaintStatus,
    ComplaintSubject,
    Remedy,
    RemedyKind,
)
from servicecore.domain.service_request import Channel, Priority, RequestStatus, ServiceRequest
from servicecore.domain.values import (
    AcceptanceId,
    Actor,
    ActorId,
    ActorRef,
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
from servicecore.domain.violation import (
    AppealConclusion,
    Compensation,
    EvidenceKind,
    Finding,
    ResponsibilityDegree,
    Sanction,
    SanctionKind,
    Violation,
    ViolationCategory,
    ViolationSource,
    ViolationStatus,
    same_measures,
)
from servicecore.domain.work_order import (
    HoldReason,
    HoldStage,
    Measurement,
    SiteSignOff,
    StepStatus,
    WorkOrder,
    WorkOrderStatus,
)
from servicecore.ports.notification import Notification
from servicecore.testing import HOSTILE_TEXTS, Aggregate, DisciplineAggregate, one_line

# what free text accepts (see servicecore.domain.values.check_text): no NUL, surrogates or controls but tab and newlines
_SAFE_CHARACTERS = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="".join(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x80, 0xA0))),
)
# what a single line accepts: no control character, line or paragraph separator, or invisible format character
_LINE_CHARACTERS = st.characters(exclude_categories=["Cs", "Cc", "Cf", "Zl", "Zp"])

_KEYS = st.sampled_from(
    ["arrive", "brief", "inspect", "prepare", "treat", "sign", "report", "tidy", "clean", "leave", "no-pests", "photos"]
)

MAX_STEPS = 15
"""Default upper bound on the number of commands applied after creation."""


# --- values -------------------------------------------------------------------


@functools.cache
def texts(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Any NUL-free, surrogate-free text, sometimes one of :data:`~servicecore.testing.HOSTILE_TEXTS`."""
    plain = st.text(_SAFE_CHARACTERS, min_size=min_size, max_size=max_size)
    hostile = st.sampled_from(sorted(v for v in HOSTILE_TEXTS.values() if len(v) <= max(max_size, 200)))
    return st.one_of(plain, hostile.filter(lambda v: len(v) >= min_size))


@functools.cache
def non_blank_texts(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text with at least one non-whitespace character (what ``non_empty`` fields accept)."""
    return texts(min_size=1, max_size=max_size).filter(lambda v: bool(v.strip()))


@functools.cache
def lines(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text a single-line field accepts (names, keys, categories), sometimes a hostile text on one line."""
    plain = st.text(_LINE_CHARACTERS, min_size=min_size, max_size=max_size)
    hostile = st.sampled_from(sorted(one_line(v) for v in HOSTILE_TEXTS.values() if len(v) <= max(max_size, 200)))
    return st.one_of(plain, hostile.filter(lambda v: len(v) >= min_size))


@functools.cache
def non_blank_lines(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """A single line with at least one non-whitespace character (what ``non_empty_line`` fields accept)."""
    return lines(min_size=1, max_size=max_size).filter(lambda v: bool(v.strip()))


@functools.cache
def identifiers(prefix: str) -> st.SearchStrategy[str]:
    """Ids such as ``REQ-0042``."""
    return st.integers(min_value=1, max_value=99_999).map(lambda n: f"{prefix}-{n:04d}")


@functools.cache
def utc_offsets() -> st.SearchStrategy[timezone]:
    """Fixed UTC offsets from -12:00 to +14:00, in quarter hours."""
    return st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))


@functools.cache
def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between 2000 and 2090, with microseconds, in a random offset."""
    return st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=utc_offsets())


@functools.cache
def decimals(
    *, min_value: Decimal | int = 0, max_value: Decimal | int = 10**9, places: int = 2
) -> st.SearchStrategy[Decimal]:
    """Finite decimals with ``places`` decimal places (``Decimal("12.50")`` keeps its exponent)."""
    return st.decimals(min_value=min_value, max_value=max_value, places=places, allow_nan=False, allow_infinity=False)


@functools.cache
def currencies() -> st.SearchStrategy[str]:
    """ISO 4217-shaped codes."""
    return st.sampled_from(["CNY", "EUR", "USD", "JPY", "HKD"])


@functools.cache
def actors(role: str) -> st.SearchStrategy[Actor]:
    """An actor with one role and possibly others."""
    return st.builds(
        Actor,
        identifiers("E").map(ActorId),
        non_blank_lines(),
        st.frozensets(st.sampled_from(["agent", "reviewer", "engineer", "supervisor", "customer"])).map(
            lambda roles: roles | {role}
        ),
    )


@functools.cache
def customers() -> st.SearchStrategy[Customer]:
    """A customer with optional contact data."""
    optional = st.none() | lines(max_size=30)
    return st.builds(
        Customer,
        identifiers("C").map(CustomerId),
        non_blank_lines(),
        phone=optional,
        email=optional,
        address=st.none() | texts(max_size=30),
    )


@functools.cache
def evidence() -> st.SearchStrategy[tuple[EvidenceRef, ...]]:
    """Zero to two evidence references."""
    return st.lists(st.builds(EvidenceRef, non_blank_lines(), texts()), max_size=2).map(tuple)


@functools.cache
def measurements() -> st.SearchStrategy[Measurement]:
    """A reading with a three-place decimal value."""
    return st.builds(
        Measurement,
        non_blank_lines(max_size=15),
        decimals(min_value=-(10**6), max_value=10**6, places=3),
        non_blank_lines(max_size=5),
    )


@functools.cache
def notifications() -> st.SearchStrategy[Notification]:
    """A notification with arbitrary text, recipients and creation time."""
    return st.builds(
        Notification,
        id=identifiers("NTF"),
        event=non_blank_texts(),
        aggregate_type=st.sampled_from(["ServiceRequest", "ServiceAgreement", "WorkOrder", "Acceptance"]),
        aggregate_id=identifiers("REQ"),
        recipients=st.lists(texts(max_size=20).map(lambda v: f"customer:{v}"), max_size=3).map(tuple),
        subject=non_blank_texts(),
        body=texts(),
        created_at=aware_datetimes(),
    )


# --- composite values -----------------------------------------------------------


@functools.cache
def _service_items(currency: str) -> st.SearchStrategy[list[ServiceItem]]:
    return st.lists(
        st.builds(
            ServiceItem,
            non_blank_texts(),
            non_blank_lines(max_size=20),
            decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
            non_blank_lines(max_size=10),
            decimals(max_value=10**7).map(lambda amount: Money(amount, currency)),
        ),
        min_size=1,
        max_size=3,
    )


_ASSIGNEES = st.lists(identifiers("E").map(ActorId), min_size=1, max_size=3, unique=True)
_DEPARTMENTS = st.lists(texts(max_size=10), max_size=2).map(tuple)
_TICKS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))
_GRACE = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=30))
_MEASUREMENTS = st.lists(measurements(), max_size=2)
_WORK_ORDER_IDS = st.lists(identifiers("WO").map(WorkOrderId), max_size=2, unique=True)


@st.composite
def agreement_terms(draw: st.DrawFn, *, start: datetime | None = None) -> AgreementTerms:
    """Valid terms: one to three items in one currency, a schedule, one to three criteria."""
    items = draw(_service_items(draw(currencies())))
    begin = start if start is not None else draw(aware_datetimes())
    begin = begin + timedelta(days=draw(st.integers(0, 60)))
    schedule = Schedule(begin, begin + timedelta(minutes=draw(st.integers(1, 60 * 24 * 3))), draw(non_blank_texts()))
    codes = draw(st.lists(_KEYS, min_size=1, max_size=3, unique=True))
    required = [True] + [draw(st.booleans()) for _ in codes[1:]]
    criteria = [
        AcceptanceCriterion(code, draw(non_blank_texts()), draw(st.sampled_from(InspectionMethod)), flag)
        for code, flag in zip(codes, draw(st.permutations(required)), strict=True)
    ]
    return AgreementTerms(items=items, schedule=schedule, criteria=criteria, process=draw(texts()), notes=draw(texts()))


@st.composite
def checklist_templates(draw: st.DrawFn) -> ChecklistTemplate:
    """A template with one to five uniquely keyed steps, some optional."""
    keys = draw(st.lists(_KEYS, min_size=1, max_size=5, unique=True))
    steps = [
        StepTemplate(key, draw(non_blank_texts()), draw(st.booleans()), draw(texts(max_size=10)), draw(texts()))
        for key in keys
    ]
    return ChecklistTemplate(draw(identifiers("tpl")), draw(non_blank_texts()), steps)


_TERMS = agreement_terms()


# --- the story machinery ----------------------------------------------------------


class _Clock:
    """Moves forward by drawn amounts; each instant is shown in a drawn UTC offset."""

    def __init__(self, draw: st.DrawFn, start: datetime) -> None:
        self._draw = draw
        self._now = start

    def tick(self) -> datetime:
        self._now += self._draw(_TICKS)
        return self._now.astimezone(self._draw(utc_offsets()))

    @property
    def now(self) -> datetime:
        """The last instant handed out (a tick is never earlier)."""
        return self._now


Move = Callable[[], Aggregate | DisciplineAggregate]


Moves = tuple[list[Move], list[Move]]
"""Commands the current state allows: ``(forward, endings)``; endings end the story early."""


AnyAggregate = Aggregate | DisciplineAggregate


def _walk(
    draw: st.DrawFn, aggregate: AnyAggregate, moves_of: Callable[[AnyAggregate], Moves], max_steps: int
) -> AnyAggregate:
    """Apply up to ``max_steps`` drawn commands; an early ending is taken about one time in eight."""
    for _ in range(draw(st.integers(0, max_steps))):
        forward, endings = moves_of(aggregate)
        if endings and (not forward or draw(st.integers(0, 7)) == 7):
            aggregate = endings[draw(st.integers(0, len(endings) - 1))]()
        elif forward:
            aggregate = forward[draw(st.integers(0, len(forward) - 1))]()
        else:
            break
    return aggregate


# --- aggregates -------------------------------------------------------------------


@st.composite
def service_requests(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> ServiceRequest:
    """A request received, then taken through up to ``max_steps`` valid commands."""
    clock = _Clock(draw, draw(aware_datetimes()))
    agent, customer = draw(actors("agent")), draw(customers())
    request = ServiceRequest.receive(
        id=RequestId(draw(identifiers("REQ"))),
        customer=customer,
        channel=draw(st.sampled_from(Channel)),
        category=draw(non_blank_lines()),
        priority=draw(st.sampled_from(Priority)),
        description=draw(non_blank_texts()),
        actor=agent,
        at=clock.tick(),
    )
    counter = iter(range(1, 10**6))

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, ServiceRequest)
        r = current
        early = r.status in {RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, RequestStatus.ASSESSED}
        found: list[Move] = []
        if r.status is RequestStatus.RECEIVED:
            found.append(lambda: r.acknowledge(actor=agent, at=clock.tick(), message=draw(non_blank_texts())))
        if r.status in {RequestStatus.ACKNOWLEDGED, RequestStatus.ASSESSED}:
            found.append(
                lambda: r.assess(
                    actor=agent,
                    at=clock.tick(),
                    feasible=draw(st.booleans()),
                    analysis=draw(non_blank_texts()),
                    departments=draw(_DEPARTMENTS),
                )
            )
        if r.status is RequestStatus.ASSESSED and r.assessment is not None and r.assessment.feasible:
            found.append(lambda: r.mark_agreed(actor=agent, at=clock.tick(), agreement_id=AgreementId(f"AGR-{r.id}")))
        if r.status in {RequestStatus.AGREED, RequestStatus.IN_SERVICE}:
            found.append(
                lambda: r.start_service(actor=agent, at=clock.tick(), work_order_id=WorkOrderId(f"WO-{next(counter)}"))
            )
        if r.status is RequestStatus.IN_SERVICE:
            found.append(lambda: r.complete(actor=agent, at=clock.tick(), note=draw(texts())))
        if r.status is RequestStatus.COMPLETED:
            found.append(lambda: r.close(actor=agent, at=clock.tick(), note=draw(texts())))
        endings: list[Move] = []
        if early:
            endings.append(lambda: r.decline(actor=agent, at=clock.tick(), reason=draw(non_blank_texts())))
            endings.append(lambda: r.withdraw(actor=agent, at=clock.tick(), reason=draw(non_blank_texts())))
        return found, endings

    result = _walk(draw, request, moves, max_steps)
    assert isinstance(result, ServiceRequest)
    return result


@st.composite
def service_agreements(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> ServiceAgreement:
    """An agreement drafted, then taken through up to ``max_steps`` valid commands
    (review rounds, customer change requests, activation, fulfilment, termination)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    author, reviewer, customer = draw(actors("agent")), draw(actors("reviewer")), draw(actors("customer"))
    if reviewer.id == author.id:
        reviewer = Actor(ActorId(f"{author.id}-reviewer"), reviewer.name, reviewer.roles)
    agreement = ServiceAgreement.draft(
        id=AgreementId(draw(identifiers("AGR"))),
        request_id=RequestId(draw(identifiers("REQ"))),
        customer_id=CustomerId(customer.id),
        title=draw(non_blank_texts()),
        terms=draw(_TERMS),
        actor=author,
        at=clock.tick(),
    )

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, ServiceAgreement)
        a = current
        found: list[Move] = []
        endings: list[Move] = []
        if a.status in {AgreementStatus.DRAFT, AgreementStatus.RETURNED}:
            found.append(lambda: a.revise(actor=author, at=clock.tick(), terms=draw(_TERMS), note=draw(texts())))
            found.append(lambda: a.submit_for_review(actor=author, at=clock.tick(), note=draw(texts())))
        if a.status is AgreementStatus.IN_REVIEW:
            found.append(lambda: a.approve(reviewer=reviewer, at=clock.tick(), comments=draw(texts())))
            found.append(
                lambda: a.return_for_changes(reviewer=reviewer, at=clock.tick(), comments=draw(non_blank_texts()))
            )
        if a.status is AgreementStatus.APPROVED:
            found.append(lambda: a.offer(actor=author, at=clock.tick(), note=draw(texts())))
        if a.status is AgreementStatus.OFFERED:
            found.append(lambda: a.confirm(actor=customer, at=clock.tick(), note=draw(texts())))
            endings.append(lambda: a.decline(actor=customer, at=clock.tick(), reason=draw(non_blank_texts())))
            found.append(lambda: a.request_change(actor=customer, at=clock.tick(), comments=draw(non_blank_texts())))
        if a.status is AgreementStatus.CONFIRMED:
            found.append(lambda: a.activate(actor=author, at=clock.tick(), note=draw(texts())))
        if a.status is AgreementStatus.ACTIVE:
            found.append(lambda: a.fulfil(actor=author, at=clock.tick(), note=draw(texts())))
        if not a.is_terminal:
            endings.append(lambda: a.terminate(actor=author, at=clock.tick(), reason=draw(non_blank_texts())))
        return found, endings

    result = _walk(draw, agreement, moves, max_steps)
    assert isinstance(result, ServiceAgreement)
    return result


@st.composite
def work_orders(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> WorkOrder:
    """A work order created from a drawn checklist, then taken through up to ``max_steps``
    valid commands (steps done or skipped, holds through the exception procedure,
    reassignment, completion, cancellation)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    agent, worker, supervisor = draw(actors("agent")), draw(actors("engineer")), draw(actors("supervisor"))
    begin = draw(aware_datetimes())
    order = WorkOrder.create(
        id=WorkOrderId(draw(identifiers("WO"))),
        agreement_id=AgreementId(draw(identifiers("AGR"))),
        request_id=RequestId(draw(identifiers("REQ"))),
        title=draw(non_blank_texts()),
        assignees=draw(_ASSIGNEES),
        window=Schedule(begin, begin + timedelta(hours=draw(st.integers(1, 48))), draw(non_blank_texts())),
        template=draw(checklist_templates()),
        actor=agent,
        at=clock.tick(),
    )

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, WorkOrder)
        w = current
        found: list[Move] = []
        endings: list[Move] = []
        open_ = w.status in {WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.ON_HOLD}
        engineer = Actor(w.assignees[0], worker.name, worker.roles)  # only an assignee works on the order
        if w.status is WorkOrderStatus.SCHEDULED:
            found.append(lambda: w.start(actor=engineer, at=clock.tick(), note=draw(texts())))
        if w.status is WorkOrderStatus.IN_PROGRESS:

            def complete_step(key: str) -> WorkOrder:
                return w.complete_step(
                    actor=engineer,
                    at=clock.tick(),
                    step_key=key,
                    note=draw(texts()),
                    evidence=draw(evidence()),
                    measurements=draw(_MEASUREMENTS),
                )

            def skip_step(key: str) -> WorkOrder:
                return w.skip_step(actor=engineer, at=clock.tick(), step_key=key, reason=draw(non_blank_texts()))

            for step in w.steps:
                if step.status is StepStatus.PENDING:
                    found.append(functools.partial(complete_step, step.key))
                    if not step.required:
                        found.append(functools.partial(skip_step, step.key))
            found.append(
                lambda: w.hold(
                    actor=engineer,
                    at=clock.tick(),
                    reason=draw(st.sampled_from(HoldReason)),
                    description=draw(non_blank_texts()),
                )
            )
            if not w.open_required_steps:

                def complete() -> WorkOrder:
                    signed_at = clock.tick()  # signed on site, then recorded
                    return w.complete(
                        actor=engineer,
                        at=clock.tick(),
                        sign_off=SiteSignOff(draw(non_blank_lines()), signed_at, draw(lines())),
                        note=draw(texts()),
                    )

                found.append(complete)
        hold = w.current_hold
        if hold is not None:
            stage = hold.stage
            if stage is HoldStage.PAUSED:
                found.append(
                    lambda: w.report_hold(actor=engineer, at=clock.tick(), supervisor=supervisor, note=draw(texts()))
                )
            elif stage is HoldStage.REPORTED:
                found.append(lambda: w.coordinate_hold(actor=supervisor, at=clock.tick(), plan=draw(non_blank_texts())))
            elif stage is HoldStage.COORDINATED:
                found.append(
                    lambda: w.inform_customer_of_hold(actor=engineer, at=clock.tick(), message=draw(non_blank_texts()))
                )
            elif stage is HoldStage.CUSTOMER_INFORMED:
                found.append(lambda: w.resume(actor=engineer, at=clock.tick(), note=draw(texts())))
        if open_:
            found.append(
                lambda: w.reassign(
                    actor=agent,
                    at=clock.tick(),
                    assignees=draw(_ASSIGNEES),
                    note=draw(texts()),
                )
            )
            endings.append(lambda: w.cancel(actor=agent, at=clock.tick(), reason=draw(non_blank_texts())))
        return found, endings

    result = _walk(draw, order, moves, max_steps)
    assert isinstance(result, WorkOrder)
    return result


@st.composite
def acceptances(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> Acceptance:
    """An acceptance opened on drawn criteria, then taken through up to ``max_steps``
    valid commands (passed and failed rounds, rectification, signing)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    agent, inspector = draw(actors("agent")), draw(actors("customer"))
    engineer = draw(actors("engineer").filter(lambda e: e.id != inspector.id))  # the inspector never rectifies
    criteria = draw(_TERMS).criteria
    acceptance = Acceptance.open(
        id=AcceptanceId(draw(identifiers("ACC"))),
        agreement_id=AgreementId(draw(identifiers("AGR"))),
        request_id=RequestId(draw(identifiers("REQ"))),
        criteria=criteria,
        inspector=Inspector(inspector.ref, draw(st.sampled_from(InspectorKind)), draw(lines())),
        actor=agent,
        at=clock.tick(),
        work_order_ids=draw(_WORK_ORDER_IDS),
    )

    def results() -> list[CriterionResult]:
        chosen = [c for c in criteria if c.required or draw(st.booleans())]
        return [
            CriterionResult(
                criterion_code=c.code, passed=draw(st.booleans()), note=draw(texts()), evidence=draw(evidence())
            )
            for c in draw(st.permutations(chosen))
        ]

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, Acceptance)
        a = current
        found: list[Move] = []
        if a.status in {AcceptanceStatus.AWAITING_INSPECTION, AcceptanceStatus.RECTIFIED}:
            found.append(
                lambda: a.record_inspection(actor=inspector, at=clock.tick(), results=results(), note=draw(texts()))
            )
        if a.status is AcceptanceStatus.PASSED:
            found.append(
                lambda: a.sign_report(
                    actor=inspector, at=clock.tick(), signed_by=draw(non_blank_lines()), summary=draw(texts())
                )
            )
        if a.status is AcceptanceStatus.FAILED:

            def order() -> Acceptance:
                at = clock.tick()
                deadline = at + draw(_GRACE)
                return a.order_rectification(
                    actor=agent,
                    at=at,
                    responsible_party=draw(non_blank_lines()),
                    deadline=deadline,
                    instructions=draw(texts()),
                )

            found.append(order)
        if a.status is AcceptanceStatus.RECTIFICATION_ORDERED:
            found.append(
                lambda: a.mark_rectified(
                    actor=engineer, at=clock.tick(), note=draw(non_blank_texts()), workers={engineer.id}
                )
            )
        return found, []

    result = _walk(draw, acceptance, moves, max_steps)
    assert isinstance(result, Acceptance)
    return result


def aggregates(*, max_steps: int = MAX_STEPS) -> st.SearchStrategy[Aggregate]:
    """Any of the four aggregate types."""
    return st.one_of(
        service_requests(max_steps=max_steps),
        service_agreements(max_steps=max_steps),
        work_orders(max_steps=max_steps),
        acceptances(max_steps=max_steps),
    )


# --- complaints, violations, appeals -------------------------------------------------

_MAX_TICK = timedelta(days=2)  # the largest step _TICKS draws
_SILENCES = st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=10))
_APPEAL_WINDOWS = st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=20))


@functools.cache
def amounts() -> st.SearchStrategy[Money]:
    """Positive amounts of money in one of :func:`currencies`."""
    return st.builds(Money, decimals(min_value=Decimal("0.01"), max_value=10**6), currencies())


@st.composite
def complaint_subjects(draw: st.DrawFn) -> ComplaintSubject:
    """What a complaint is about: any non-empty mix of a request, a work order and staff (ids ``S-…``)."""
    request_id = draw(st.none() | identifiers("REQ").map(RequestId))
    work_order_id = draw(st.none() | identifiers("WO").map(WorkOrderId))
    fewest = 0 if request_id or work_order_id else 1
    staff = draw(st.lists(identifiers("S").map(ActorId), min_size=fewest, max_size=2, unique=True))
    return ComplaintSubject(request_id=request_id, work_order_id=work_order_id, staff_ids=staff)


@st.composite
def remedies(draw: st.DrawFn) -> Remedy:
    """One valid remedy of any kind."""
    kind = draw(st.sampled_from(RemedyKind))
    if kind in {RemedyKind.REFUND, RemedyKind.COMPENSATION}:
        return Remedy(kind=kind, amount=draw(amounts()), note=draw(texts()))
    if kind is RemedyKind.REDO:
        return Remedy(kind=kind, work_order_id=WorkOrderId(draw(identifiers("WO"))), note=draw(texts()))
    return Remedy(kind=kind, note=draw(texts()))


_CATEGORIES = st.one_of(st.sampled_from(ComplaintCategory), non_blank_lines(max_size=20))


@st.composite
def complaints(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> Complaint:
    """A complaint received (with or without a disputed amount), then taken through up to
    ``max_steps`` valid commands (acknowledgement, investigation, evidence, linked
    violations, resolutions of every outcome, reopening, closing on confirmation or
    after silence, withdrawal)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    agent, investigator, customer = draw(actors("agent")), draw(actors("supervisor")), draw(customers())
    contact = Actor(ActorId(customer.id), customer.name, ["customer"])
    complaint = Complaint.receive(
        id=ComplaintId(draw(identifiers("CMP"))),
        complainant=customer,
        subject=draw(complaint_subjects()),
        channel=draw(st.sampled_from(Channel)),
        category=draw(_CATEGORIES),
        severity=draw(st.sampled_from(ComplaintSeverity)),
        description=draw(non_blank_texts()),
        actor=agent,
        at=clock.tick(),
        work_staff_ids=draw(st.lists(identifiers("W").map(ActorId), max_size=2, unique=True)),
        disputed_amount=draw(st.none() | amounts()),
    )
    counter = iter(range(1, 10**6))

    def resolve(c: Complaint) -> Complaint:
        offered = draw(st.lists(remedies(), max_size=3))
        outcome = (
            ComplaintOutcome.REMEDIED
            if offered
            else draw(st.sampled_from([ComplaintOutcome.NOT_UPHELD, ComplaintOutcome.CHARGE_MAINTAINED]))
        )
        return c.resolve(
            actor=investigator,
            at=clock.tick(),
            summary=draw(non_blank_texts()),
            reply=draw(non_blank_texts()),
            remedies=offered,
            outcome=outcome,
        )

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, Complaint)
        c = current
        found: list[Move] = []
        endings: list[Move] = []
        if c.status is ComplaintStatus.RECEIVED:
            found.append(lambda: c.acknowledge(actor=agent, at=clock.tick(), message=draw(non_blank_texts())))
        if c.status is ComplaintStatus.ACKNOWLEDGED:
            found.append(lambda: c.start_investigation(actor=agent, at=clock.tick(), investigator=investigator))
        if c.status is ComplaintStatus.INVESTIGATING:
            found.append(
                lambda: c.link_violation(
                    actor=investigator, at=clock.tick(), violation_id=ViolationId(f"VIO-{next(counter)}")
                )
            )
            found.append(
                lambda: c.add_evidence(
                    actor=investigator,
                    at=clock.tick(),
                    kind=draw(st.sampled_from(EvidenceKind)),
                    description=draw(non_blank_texts()),
                    reference=draw(st.none() | st.builds(EvidenceRef, non_blank_lines(), texts())),
                )
            )
            found.append(lambda: resolve(c))
        if c.status is ComplaintStatus.RESOLVED:
            found.append(lambda: c.reopen(actor=contact, at=clock.tick(), reason=draw(non_blank_texts())))
            endings.append(lambda: c.confirm_resolution(actor=contact, at=clock.tick(), note=draw(texts())))

            def close_after_silence() -> Complaint:
                silence = draw(_SILENCES)
                at = max(clock.tick(), c.silence_ends_at(silence))
                return c.close_after_silence(actor=agent, at=at, silence=silence)

            endings.append(close_after_silence)
        if not c.is_terminal:
            endings.append(lambda: c.withdraw(actor=contact, at=clock.tick(), reason=draw(non_blank_texts())))
        return found, endings

    result = _walk(draw, complaint, moves, max_steps)
    assert isinstance(result, Complaint)
    return result


def _measures_for(draw: st.DrawFn, person: ActorRef) -> tuple[list[Sanction], list[Compensation]]:
    kinds = draw(st.lists(st.sampled_from(SanctionKind), max_size=2, unique=True))
    sanctions = [
        Sanction(person=person, kind=k, amount=draw(amounts()) if k is SanctionKind.FINE else None, note=draw(texts()))
        for k in kinds
    ]
    compensations = (
        [Compensation(person=person, amount=draw(amounts()), note=draw(texts()))] if draw(st.booleans()) else []
    )
    return sanctions, compensations


@st.composite
def violation_sources(draw: st.DrawFn) -> ViolationSource:
    """Any valid source: a complaint, an inspection, a staff or customer report."""
    return draw(
        st.one_of(
            identifiers("CMP").map(lambda i: ViolationSource.from_complaint(ComplaintId(i))),
            identifiers("ACC").map(ViolationSource.from_inspection),
            actors("agent").map(ViolationSource.staff_report),
            st.builds(ViolationSource.customer_report, st.none() | actors("customer"), texts(max_size=10)),
        )
    )


@st.composite
def violations(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> Violation:
    """A violation reported, then taken through up to ``max_steps`` valid commands
    (investigators, evidence, determination or dismissal, decision, publication,
    appeals registered and concluded either way, finalization)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    reporter, officer, panel = draw(actors("agent")), draw(actors("discipline_officer")), draw(actors("panel"))
    subject = ActorRef(ActorId(draw(identifiers("S"))), draw(non_blank_lines()))
    colleague = ActorRef(ActorId(f"{subject.id}-b"), draw(non_blank_lines()))
    violation = Violation.report(
        id=ViolationId(draw(identifiers("VIO"))),
        subject=subject,
        category=draw(st.one_of(st.sampled_from(ViolationCategory), non_blank_lines(max_size=20))),
        source=draw(violation_sources()),
        description=draw(non_blank_texts()),
        actor=reporter,
        at=clock.tick(),
    )
    counter = iter(range(1, 10**6))

    def investigator_of(v: Violation) -> Actor:
        first = v.investigators[draw(st.integers(0, len(v.investigators) - 1))]
        return Actor(first.id, first.name, ["quality_inspector"])

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, Violation)
        v = current
        found: list[Move] = []
        endings: list[Move] = []
        if v.status in {ViolationStatus.REPORTED, ViolationStatus.INVESTIGATING} and len(v.investigators) < 4:
            found.append(
                lambda: v.assign_investigators(
                    actor=officer,
                    at=clock.tick(),
                    investigators=[ActorRef(ActorId(f"I-{next(counter)}"), draw(non_blank_lines()))],
                )
            )
        if v.status is ViolationStatus.INVESTIGATING:
            found.append(
                lambda: v.add_evidence(
                    actor=investigator_of(v),
                    at=clock.tick(),
                    kind=draw(st.sampled_from(EvidenceKind)),
                    description=draw(non_blank_texts()),
                    reference=draw(st.none() | st.builds(EvidenceRef, non_blank_lines(), texts())),
                )
            )
            if v.evidence:

                def determine() -> Violation:
                    people = [subject] + ([colleague] if draw(st.booleans()) else [])
                    findings = [
                        Finding(person=p, degree=draw(st.sampled_from(ResponsibilityDegree)), reason=draw(texts()))
                        for p in people
                    ]
                    return v.determine(
                        actor=investigator_of(v), at=clock.tick(), findings=findings, summary=draw(non_blank_texts())
                    )

                found.append(determine)
        if v.status is ViolationStatus.DETERMINED:
            assert v.determination is not None
            responsible = [f.person for f in v.determination.responsible]

            def decide() -> Violation:
                sanctions: list[Sanction] = []
                compensations: list[Compensation] = []
                for person in responsible:
                    more = _measures_for(draw, person)
                    sanctions += more[0]
                    compensations += more[1]
                if not sanctions and not compensations:
                    sanctions = [Sanction(person=responsible[0], kind=SanctionKind.WARNING)]
                at = clock.tick()
                return v.decide(
                    actor=officer,
                    at=at,
                    sanctions=sanctions,
                    compensations=compensations,
                    reasons=draw(non_blank_texts()),
                    appeal_deadline=at + draw(_APPEAL_WINDOWS),
                )

            found.append(decide)
        if v.status is ViolationStatus.DECIDED and v.open_appeal is None:
            found.append(lambda: v.publish(actor=officer, at=clock.tick(), note=draw(texts())))
        decision = v.decision
        if v.status in {ViolationStatus.DECIDED, ViolationStatus.PUBLISHED} and decision is not None:
            open_appeal = v.open_appeal
            waiting = v.may_still_appeal(clock.now + _MAX_TICK)
            if open_appeal is None and waiting:
                appellant_id = waiting[draw(st.integers(0, len(waiting) - 1))]
                name = subject.name if appellant_id == subject.id else colleague.name
                appellant = Actor(appellant_id, name, ["engineer"])
                found.append(
                    lambda: v.register_appeal(
                        appellant=appellant, at=clock.tick(), appeal_id=AppealId(f"APL-{next(counter)}")
                    )
                )
            if open_appeal is not None:

                def conclude() -> Violation:
                    assert open_appeal is not None
                    assert decision is not None
                    upheld = draw(st.booleans())
                    sanctions: list[Sanction] = []
                    compensations: list[Compensation] = []
                    if upheld:
                        sanctions, compensations = _measures_for(draw, open_appeal.appellant)
                    conclusion = AppealConclusion(
                        appeal_id=open_appeal.appeal_id,
                        appellant=open_appeal.appellant,
                        decision_number=decision.number,
                        upheld=upheld,
                        reasons=draw(non_blank_texts()),
                        decided_by=panel.ref,
                        sanctions=sanctions,
                        compensations=compensations,
                    )
                    return v.conclude_appeal(actor=panel, at=clock.tick(), conclusion=conclusion)

                found.append(conclude)
            if v.status is ViolationStatus.PUBLISHED and open_appeal is None and not v.may_still_appeal(clock.now):
                endings.append(lambda: v.finalize(actor=officer, at=clock.tick()))
            elif v.status is ViolationStatus.PUBLISHED and open_appeal is None:

                def finalize_after_deadline() -> Violation:
                    assert decision is not None
                    at = max(clock.tick(), decision.appeal_deadline + timedelta(microseconds=1))
                    return v.finalize(actor=officer, at=at)

                endings.append(finalize_after_deadline)
        return found, endings

    result = _walk(draw, violation, moves, max_steps)
    assert isinstance(result, Violation)
    return result


@st.composite
def appeals(draw: st.DrawFn, *, max_steps: int = MAX_STEPS) -> Appeal:
    """An appeal filed against a freshly decided violation, then taken through up to
    ``max_steps`` valid commands (panel review, upheld or rejected, closed)."""
    clock = _Clock(draw, draw(aware_datetimes()))
    officer, investigator = draw(actors("discipline_officer")), draw(actors("quality_inspector"))
    investigator = Actor(ActorId(f"I-{investigator.id}"), investigator.name, investigator.roles)
    appellant = Actor(ActorId(draw(identifiers("S"))), draw(non_blank_lines()), ["engineer"])
    members = [Actor(ActorId(f"P-{n}"), draw(non_blank_lines()), ["appeal_panel_member"]) for n in range(3)]
    violation = (
        Violation.report(
            id=ViolationId(draw(identifiers("VIO"))),
            subject=appellant,
            category=draw(st.sampled_from(ViolationCategory)),
            source=draw(violation_sources()),
            description=draw(non_blank_texts()),
            actor=officer,
            at=clock.tick(),
        )
        .assign_investigators(actor=officer, at=clock.tick(), investigators=[investigator])
        .add_evidence(
            actor=investigator,
            at=clock.tick(),
            kind=draw(st.sampled_from(EvidenceKind)),
            description=draw(non_blank_texts()),
        )
        .determine(
            actor=investigator,
            at=clock.tick(),
            findings=[Finding(person=appellant, degree=ResponsibilityDegree.PRIMARY)],
            summary=draw(non_blank_texts()),
        )
    )
    sanctions, compensations = _measures_for(draw, appellant.ref)
    if not sanctions and not compensations:
        sanctions = [Sanction(person=appellant, kind=SanctionKind.WARNING)]
    decided_at = clock.tick()
    violation = violation.decide(
        actor=officer,
        at=decided_at,
        sanctions=sanctions,
        compensations=compensations,
        reasons=draw(non_blank_texts()),
        appeal_deadline=decided_at + _MAX_TICK + draw(_APPEAL_WINDOWS),
    )
    appeal = Appeal.file(
        id=AppealId(draw(identifiers("APL"))),
        violation=violation,
        appellant=appellant,
        at=clock.tick(),
        grounds=draw(non_blank_texts()),
    )

    def moves(current: AnyAggregate) -> Moves:
        assert isinstance(current, Appeal)
        a = current
        found: list[Move] = []
        if a.status is AppealStatus.FILED:
            size = draw(st.integers(1, len(members)))
            found.append(lambda: a.start_review(actor=officer, at=clock.tick(), panel=members[:size]))
        if a.status is AppealStatus.UNDER_REVIEW:
            member = members[0]
            found.append(lambda: a.reject(actor=member, at=clock.tick(), reasons=draw(non_blank_texts())))

            def uphold() -> Appeal:
                revised = _measures_for(draw, a.appellant)
                if same_measures_as_contested(a, revised):
                    revised = ([], [])  # revoke instead
                return a.uphold(
                    actor=member,
                    at=clock.tick(),
                    reasons=draw(non_blank_texts()),
                    sanctions=revised[0],
                    compensations=revised[1],
                )

            found.append(uphold)
        if a.status in {AppealStatus.UPHELD, AppealStatus.REJECTED}:
            found.append(lambda: a.close(actor=officer, at=clock.tick(), notification=draw(non_blank_texts())))
        return found, []

    result = _walk(draw, appeal, moves, max_steps)
    assert isinstance(result, Appeal)
    return result


def same_measures_as_contested(appeal: Appeal, revised: tuple[list[Sanction], list[Compensation]]) -> bool:
    """True if ``revised`` would leave the appellant's measures as contested (an upheld appeal must change them)."""
    return same_measures(
        (tuple(revised[0]), tuple(revised[1])), (appeal.contested_sanctions, appeal.contested_compensations)
    )


def discipline_aggregates(*, max_steps: int = MAX_STEPS) -> st.SearchStrategy[DisciplineAggregate]:
    """Any complaint, violation or appeal (not part of :func:`aggregates` until storage knows them)."""
    return st.one_of(complaints(max_steps=max_steps), violations(max_steps=max_steps), appeals(max_steps=max_steps))


__all__ = [
    "MAX_STEPS",
    "acceptances",
    "actors",
    "aggregates",
    "agreement_terms",
    "amounts",
    "appeals",
    "aware_datetimes",
    "checklist_templates",
    "complaint_subjects",
    "complaints",
    "currencies",
    "customers",
    "decimals",
    "discipline_aggregates",
    "evidence",
    "identifiers",
    "lines",
    "measurements",
    "non_blank_lines",
    "non_blank_texts",
    "notifications",
    "remedies",
    "same_measures_as_contested",
    "service_agreements",
    "service_requests",
    "texts",
    "utc_offsets",
    "violation_sources",
    "violations",
    "work_orders",
]
